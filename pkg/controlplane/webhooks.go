package controlplane

import (
	"context"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/admission/webhook"
	"github.com/apiserver/apiserver/pkg/client/resolver"
	"github.com/apiserver/apiserver/pkg/client/webhookclient"
	"github.com/apiserver/apiserver/pkg/registry/core/endpoints"
	"github.com/apiserver/apiserver/pkg/registry/core/service"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// ServiceResolver finds a webhook Service's endpoint from the stored
// Service and Endpoints.
func ServiceResolver(backend *etcd3.Backend) (webhookclient.ServiceResolver, error) {
	services, err := generic.NewStore(backend, service.Type(nil), nil, "")
	if err != nil {
		return nil, err
	}
	eps, err := generic.NewStore(backend, endpoints.Type(), nil, "")
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, ns, name string, port int32) (*url.URL, error) {
		var svc *corev1.Service
		var ep *corev1.Endpoints
		obj, err := services.Get(ctx, ns, name, &metav1.GetOptions{})
		switch {
		case err == nil:
			svc = obj.(*corev1.Service)
		case !apierrors.IsNotFound(err):
			return nil, err
		}
		obj, err = eps.Get(ctx, ns, name, &metav1.GetOptions{})
		switch {
		case err == nil:
			ep = obj.(*corev1.Endpoints)
		case !apierrors.IsNotFound(err):
			return nil, err
		}
		u, f := resolver.Resolve(ns, name, port, svc, ep)
		if f != nil {
			return nil, f
		}
		return u, nil
	}, nil
}

// equivalents lists, for matchPolicy Equivalent, the other served
// versions of a custom resource: their objects differ only in
// apiVersion. Built-in resources served in several versions with other
// Go types (autoscaling/v1 and v2) are matched by their own version.
func equivalents(catalog *rest.Catalog) func(a *admission.Attributes) []webhook.Version {
	return func(a *admission.Attributes) []webhook.Version {
		obj := a.Object
		if obj == nil {
			obj = a.OldObject
		}
		if _, ok := obj.(*unstructured.Unstructured); !ok || catalog == nil {
			return nil
		}
		var out []webhook.Version
		for _, info := range catalog.Versions(a.Resource.GroupResource()) {
			out = append(out, webhook.Version{Resource: info.GroupVersionResource, Kind: info.GroupVersionKind()})
		}
		return out
	}
}
