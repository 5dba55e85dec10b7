package namespace

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// StatusStrategy is the strategy of /status, which changes the status and
// metadata but never the spec.
func StatusStrategy() rest.Strategy { return statusStrategy{} }

// FinalizeStrategy is the strategy of /finalize, which changes
// spec.finalizers (and metadata) but never the status.
func FinalizeStrategy() rest.Strategy { return finalizeStrategy{} }

type statusStrategy struct{ Strategy }

// PrepareForUpdate keeps the old spec; an empty phase defaults to Active
// as kube's defaulting does.
func (statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	ns, o := obj.(*corev1.Namespace), old.(*corev1.Namespace)
	ns.Spec = o.Spec
	if ns.Status.Phase == "" {
		ns.Status.Phase = corev1.NamespaceActive
	}
	setNameLabel(ns)
}

// ValidateUpdate lets the phase be Active only while the namespace is not
// being deleted, and Terminating only once it is.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	ns := obj.(*corev1.Namespace)
	p := field.NewPath("status", "Phase")
	if ns.DeletionTimestamp.IsZero() {
		if ns.Status.Phase != corev1.NamespaceActive {
			return field.ErrorList{field.Invalid(p, ns.Status.Phase, "may only be 'Active' if `deletionTimestamp` is empty")}
		}
	} else if ns.Status.Phase != corev1.NamespaceTerminating {
		return field.ErrorList{field.Invalid(p, ns.Status.Phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")}
	}
	return nil
}

type finalizeStrategy struct{ Strategy }

// PrepareForUpdate keeps the old status.
func (finalizeStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	ns, o := obj.(*corev1.Namespace), old.(*corev1.Namespace)
	ns.Status = o.Status
	setNameLabel(ns)
}

// ValidateUpdate checks each new finalizer, reported at spec.finalizers[i].
func (finalizeStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return validateFinalizers(obj.(*corev1.Namespace), true)
}
