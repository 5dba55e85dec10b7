package crd

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/registry/generic"
)

// scaleStorage is /scale of a custom resource as an autoscaling/v1 Scale,
// mapped through the definition's replica paths.
func scaleStorage(store *generic.Store, paths *apiextensionsv1.CustomResourceSubresourceScale) generic.ScaleStorage {
	return generic.ScaleStorage{Store: store, Replicas: generic.Replicas{
		SpecPath:      path(paths.SpecReplicasPath),
		ManagedFields: true,
		Get: func(obj runtime.Object) (spec, status int32, selector string) {
			u := obj.(*unstructured.Unstructured)
			if v, ok, _ := unstructured.NestedInt64(u.Object, path(paths.SpecReplicasPath)...); ok {
				spec = int32(v)
			}
			if v, ok, _ := unstructured.NestedInt64(u.Object, path(paths.StatusReplicasPath)...); ok {
				status = int32(v)
			}
			if paths.LabelSelectorPath != nil {
				selector, _, _ = unstructured.NestedString(u.Object, path(*paths.LabelSelectorPath)...)
			}
			return spec, status, selector
		},
		Set: func(obj runtime.Object, replicas int32) error {
			return unstructured.SetNestedField(obj.(*unstructured.Unstructured).Object, int64(replicas), path(paths.SpecReplicasPath)...)
		},
	}}
}

func path(p string) []string { return strings.Split(strings.TrimPrefix(p, "."), ".") }
