package controlplane

import (
	"context"
	"net/url"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

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
// versions of a request's resource that its object converts to: every
// version of a custom resource (they differ only in apiVersion), and of
// a built-in resource the versions one serves over the other's stored
// objects (autoscaling/v1 HorizontalPodAutoscalers over v2), with the
// conversions both ways.
func equivalents(catalog *rest.Catalog) func(a *admission.Attributes) []webhook.Version {
	return func(a *admission.Attributes) []webhook.Version {
		obj := a.Object
		if obj == nil {
			obj = a.OldObject
		}
		if catalog == nil || obj == nil {
			return nil
		}
		if _, custom := obj.(*unstructured.Unstructured); custom {
			var out []webhook.Version
			for _, info := range catalog.Versions(a.Resource.GroupResource()) {
				out = append(out, webhook.Version{Resource: info.GroupVersionResource, Kind: info.GroupVersionKind()})
			}
			return out
		}
		own, ok := catalog.ResourceOf(a.Kind)
		if !ok {
			return nil
		}
		var out []webhook.Version
		for _, info := range catalog.Versions(a.Resource.GroupResource()) {
			if info.Version == a.Resource.Version {
				continue
			}
			other, ok := catalog.ResourceOf(info.GroupVersionKind())
			if !ok {
				continue
			}
			if to, from, ok := conversions(own.Storage, other.Storage); ok {
				out = append(out, webhook.Version{Resource: info.GroupVersionResource, Kind: info.GroupVersionKind(), To: to, From: from})
			}
		}
		return out
	}
}

// conversions are those from the objects of storage a to b's and back,
// when one serves over objects of the other's type.
func conversions(a, b rest.Storage) (to, from func(runtime.Object) (runtime.Object, error), ok bool) {
	fromStored := func(c generic.Converting) func(runtime.Object) (runtime.Object, error) {
		return func(obj runtime.Object) (runtime.Object, error) { return c.FromStored(obj), nil }
	}
	sameType := func(x, y rest.Storage) bool { return reflect.TypeOf(x.New()) == reflect.TypeOf(y.New()) }
	if c, isConverting := a.(generic.Converting); isConverting && sameType(c.Stored, b) {
		return c.ToStored, fromStored(c), true
	}
	if c, isConverting := b.(generic.Converting); isConverting && sameType(c.Stored, a) {
		return fromStored(c), c.ToStored, true
	}
	return nil, nil, false
}
