package crd

import (
	"context"
	"fmt"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// scaleHandler is the storage of /scale of a custom resource as an autoscaling/v1
// Scale, mapped through the definition's replica paths.
type scaleHandler struct {
	store *generic.Store
	paths *apiextensionsv1.CustomResourceSubresourceScale
}

// managed maps the object's managedFields to the Scale's (who manages
// spec.replicas) and back, as kube-apiserver does.
func (h scaleHandler) managed(u *unstructured.Unstructured) *managedfields.ScaleHandler {
	gv := h.store.Info().GroupVersion()
	return managedfields.NewScaleHandler(u.GetManagedFields(), gv, managedfields.ResourcePathMappings{
		gv.String(): fieldpath.MakePathOrDie(toPathElements(path(h.paths.SpecReplicasPath))...),
	})
}

func toPathElements(p []string) []any {
	out := make([]any, len(p))
	for i, s := range p {
		out[i] = s
	}
	return out
}

// scaleOf is the Scale of u with the managedFields of its replicas.
func (h scaleHandler) scaleOf(u *unstructured.Unstructured) *autoscalingv1.Scale {
	s := h.toScale(u)
	if entries, err := h.managed(u).ToSubresource(); err == nil {
		s.ManagedFields = entries
	}
	return s
}

func path(p string) []string { return strings.Split(strings.TrimPrefix(p, "."), ".") }

func (h scaleHandler) toScale(u *unstructured.Unstructured) *autoscalingv1.Scale {
	s := &autoscalingv1.Scale{
		TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v1", Kind: "Scale"},
		ObjectMeta: metav1.ObjectMeta{
			Name: u.GetName(), Namespace: u.GetNamespace(), UID: u.GetUID(),
			ResourceVersion: u.GetResourceVersion(), CreationTimestamp: u.GetCreationTimestamp(),
		},
	}
	if v, ok, _ := unstructured.NestedInt64(u.Object, path(h.paths.SpecReplicasPath)...); ok {
		s.Spec.Replicas = int32(v)
	}
	if v, ok, _ := unstructured.NestedInt64(u.Object, path(h.paths.StatusReplicasPath)...); ok {
		s.Status.Replicas = int32(v)
	}
	if h.paths.LabelSelectorPath != nil {
		if v, ok, _ := unstructured.NestedString(u.Object, path(*h.paths.LabelSelectorPath)...); ok {
			s.Status.Selector = v
		}
	}
	return s
}

// New returns an empty Scale, what bodies decode into.
func (h scaleHandler) New() runtime.Object { return &autoscalingv1.Scale{} }

// Get returns the Scale of the object.
func (h scaleHandler) Get(ctx context.Context, ns, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	obj, err := h.store.Get(ctx, ns, name, opts)
	if err != nil {
		return nil, err
	}
	return h.scaleOf(obj.(*unstructured.Unstructured)), nil
}

// Update applies the Scale that update computes from the current one to
// the replicas of the object. A Scale carrying a resourceVersion must match
// the object's.
func (h scaleHandler) Update(ctx context.Context, ns, name string, update rest.UpdateFunc, dryRun, _ bool) (runtime.Object, bool, error) {
	gr := h.store.Info().GroupResource()
	updated, _, err := h.store.Update(ctx, ns, name, func(ctx context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(gr, name)
		}
		u := current.DeepCopyObject().(*unstructured.Unstructured)
		next, err := update(ctx, h.scaleOf(u))
		if err != nil {
			return nil, err
		}
		scale, ok := next.(*autoscalingv1.Scale)
		if !ok {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("expected a Scale, got %T", next))
		}
		if scale.ResourceVersion != "" && scale.ResourceVersion != u.GetResourceVersion() {
			return nil, apierrors.NewConflict(gr, name,
				fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
		}
		if err := unstructured.SetNestedField(u.Object, int64(scale.Spec.Replicas), path(h.paths.SpecReplicasPath)...); err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		if scale.ManagedFields != nil {
			entries, err := h.managed(u).ToParent(scale.ManagedFields)
			if err != nil {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("managedFields of the scale: %v", err))
			}
			u.SetManagedFields(entries)
		}
		return u, nil
	}, dryRun, false)
	if err != nil {
		return nil, false, err
	}
	return h.scaleOf(updated.(*unstructured.Unstructured)), false, nil
}
