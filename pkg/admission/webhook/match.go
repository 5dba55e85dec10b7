package webhook

import (
	"context"
	"fmt"
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/admission"
)

// Version is one version under which a request's resource is served, for
// matchPolicy Equivalent.
type Version struct {
	Resource schema.GroupVersionResource
	Kind     schema.GroupVersionKind
	// To and From convert a typed object of the request's version into
	// this one and back; nil for the request's own version and for custom
	// resources, whose versions differ only in apiVersion.
	To, From func(runtime.Object) (runtime.Object, error)
}

// in returns obj as v sees it.
func (v Version) in(obj runtime.Object) (runtime.Object, error) {
	if obj == nil || v.To == nil {
		return obj, nil
	}
	return v.To(obj)
}

// RuleMatches reports whether r covers op on gvr/sub in a namespace (ns
// non-empty) or not.
func RuleMatches(r admissionregistrationv1.RuleWithOperations, op admission.Operation, gvr schema.GroupVersionResource, sub, ns string) bool {
	if !slices.ContainsFunc(r.Operations, func(o admissionregistrationv1.OperationType) bool {
		return o == admissionregistrationv1.OperationAll || string(o) == string(op)
	}) {
		return false
	}
	if !slices.ContainsFunc(r.APIGroups, func(g string) bool { return g == "*" || g == gvr.Group }) ||
		!slices.ContainsFunc(r.APIVersions, func(v string) bool { return v == "*" || v == gvr.Version }) {
		return false
	}
	if r.Scope != nil {
		switch *r.Scope {
		case admissionregistrationv1.ClusterScope:
			if ns != "" {
				return false
			}
		case admissionregistrationv1.NamespacedScope:
			if ns == "" {
				return false
			}
		}
	}
	return slices.ContainsFunc(r.Resources, func(res string) bool {
		switch {
		case res == "*/*":
			return true
		case sub == "":
			return res == "*" || res == gvr.Resource
		default:
			return res == gvr.Resource+"/"+sub || res == "*/"+sub || res == gvr.Resource+"/*"
		}
	})
}

// matchVersion returns the version h is called with for a: the request's
// own when a rule covers it, else (matchPolicy Equivalent) the first
// equivalent version a rule covers.
func (h *hook) matchVersion(a *admission.Attributes, equivalents []Version) (Version, bool) {
	covers := func(gvr schema.GroupVersionResource) bool {
		return slices.ContainsFunc(h.Rules, func(r admissionregistrationv1.RuleWithOperations) bool {
			return RuleMatches(r, a.Operation, gvr, a.Subresource, a.Namespace)
		})
	}
	if covers(a.Resource) {
		return Version{Resource: a.Resource, Kind: a.Kind}, true
	}
	if h.MatchPolicy == nil || *h.MatchPolicy != admissionregistrationv1.Equivalent {
		return Version{}, false
	}
	for _, v := range equivalents {
		if v.Resource != a.Resource && covers(v.Resource) {
			return v, true
		}
	}
	return Version{}, false
}

// matchObject reports whether the object (new or old) has labels
// objectSelector selects.
func (h *hook) matchObject(a *admission.Attributes) bool {
	if h.objectSelector.Empty() {
		return true
	}
	for _, obj := range []runtime.Object{a.Object, a.OldObject} {
		if obj == nil {
			continue
		}
		if m, err := meta.Accessor(obj); err == nil && h.objectSelector.Matches(labels.Set(m.GetLabels())) {
			return true
		}
	}
	return false
}

// matchNamespace reports whether namespaceSelector selects the request's
// namespace: cluster-scoped objects other than namespaces always match;
// a Namespace is matched by its own labels.
func (h *hook) matchNamespace(ctx context.Context, a *admission.Attributes, get NamespaceGetter) (bool, error) {
	if h.namespaceSelector.Empty() {
		return true, nil
	}
	if a.Resource.Group == "" && a.Resource.Resource == "namespaces" && a.Subresource == "" {
		obj := a.Object
		if obj == nil {
			obj = a.OldObject
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			return false, err
		}
		return h.namespaceSelector.Matches(labels.Set(m.GetLabels())), nil
	}
	if a.Namespace == "" {
		return true, nil
	}
	if get == nil {
		return false, fmt.Errorf("namespace labels unavailable")
	}
	ns, err := get(ctx, a.Namespace)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return false, err
		}
		return false, fmt.Errorf("reading namespace %q: %w", a.Namespace, err)
	}
	return h.namespaceSelector.Matches(labels.Set(ns.Labels)), nil
}

// NamespaceGetter reads a namespace.
type NamespaceGetter func(ctx context.Context, name string) (*corev1.Namespace, error)
