package crd

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// attrs exposes metadata.name, metadata.namespace and the version's
// selectableFields (simple dotted paths) to field selectors.
func attrs(selectable []string) rest.AttrFunc {
	return func(obj runtime.Object) (labels.Set, fields.Set, error) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return nil, nil, fmt.Errorf("not a custom resource: %T", obj)
		}
		fs := fields.Set{"metadata.name": u.GetName()}
		if ns := u.GetNamespace(); ns != "" {
			fs["metadata.namespace"] = ns
		}
		for _, path := range selectable {
			v, found, _ := unstructured.NestedFieldNoCopy(u.Object, strings.Split(path, ".")...)
			if found {
				fs[path] = fmt.Sprint(v)
			}
		}
		return labels.Set(u.GetLabels()), fs, nil
	}
}
