// Package lease declares coordination.k8s.io/v1 Leases, the objects
// leader election (client-go's leaderelection, controller-runtime managers)
// and node heartbeats are built on: storage only, with kube-apiserver's
// validation of the spec.
package lease

import (
	"context"
	"fmt"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the leases resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: coordinationv1.SchemeGroupVersion.WithResource("leases"),
			Kind:                 "Lease",
			ListKind:             "LeaseList",
			Singular:             "lease",
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &coordinationv1.Lease{} },
		NewList:  func() runtime.Object { return &coordinationv1.LeaseList{} },
		Strategy: Strategy{},
		Table:    Table(),
	}
}

// Strategy is the Lease rest.Strategy.
type Strategy struct{}

var (
	_ rest.Strategy         = Strategy{}
	_ rest.GenerationPolicy = Strategy{}
)

// PrepareForCreate drops the coordinated leader election fields, alpha and
// off in kube-apiserver 1.31.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	dropAlphaFields(obj.(*coordinationv1.Lease))
}

// PrepareForUpdate drops the alpha fields, as on create.
func (Strategy) PrepareForUpdate(_ context.Context, obj, _ runtime.Object) {
	dropAlphaFields(obj.(*coordinationv1.Lease))
}

func dropAlphaFields(l *coordinationv1.Lease) {
	l.Spec.Strategy = nil
	l.Spec.PreferredHolder = nil
}

// Validate checks the spec as kube's ValidateLeaseSpec.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return ValidateSpec(&obj.(*coordinationv1.Lease).Spec, field.NewPath("spec"))
}

// ValidateUpdate checks the new spec; every field may change.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return ValidateSpec(&obj.(*coordinationv1.Lease).Spec, field.NewPath("spec"))
}

// Canonicalize does nothing.
func (Strategy) Canonicalize(runtime.Object) {}

// AllowCreateOnUpdate is true, as kube-apiserver allows for leases: a PUT
// of a missing lease creates it.
func (Strategy) AllowCreateOnUpdate() bool { return true }

// AllowUnconditionalUpdate is false: leader election relies on
// compare-and-swap, and kube refuses a PUT without resourceVersion.
func (Strategy) AllowUnconditionalUpdate() bool { return false }

// SpecChanged is false: kube-apiserver never bumps a lease's generation.
func (Strategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// ValidateSpec returns the errors of a lease spec: a duration must be
// positive and the transition count not negative.
func ValidateSpec(spec *coordinationv1.LeaseSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if d := spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		errs = append(errs, field.Invalid(p.Child("leaseDurationSeconds"), *d, "must be greater than 0"))
	}
	if n := spec.LeaseTransitions; n != nil && *n < 0 {
		errs = append(errs, field.Invalid(p.Child("leaseTransitions"), *n, "must be greater than or equal to 0"))
	}
	return errs
}

// Table prints leases as kube-apiserver does: NAME, HOLDER and AGE.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Holder", coordinationv1.LeaseSpec{}.SwaggerDoc()["holderIdentity"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			l, ok := obj.(*coordinationv1.Lease)
			if !ok {
				return nil, fmt.Errorf("not a Lease: %T", obj)
			}
			holder := ""
			if l.Spec.HolderIdentity != nil {
				holder = *l.Spec.HolderIdentity
			}
			return []interface{}{l.Name, holder, tables.Age(l.CreationTimestamp)}, nil
		},
	}
}
