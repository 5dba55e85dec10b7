// Package csistoragecapacity is the storage.k8s.io/v1 CSIStorageCapacity
// resource (csistoragecapacities, namespaced) as kube-apiserver 1.31
// serves it: kube's validation with its messages; printed with kube's
// default table.
package csistoragecapacity

import (
	"context"

	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Type is the csistoragecapacities resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: storagev1.SchemeGroupVersion.WithResource("csistoragecapacities"),
			Kind:                 "CSIStorageCapacity",
			ListKind:             "CSIStorageCapacityList",
			Singular:             "csistoragecapacity",
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &storagev1.CSIStorageCapacity{} },
		NewList:  func() runtime.Object { return &storagev1.CSIStorageCapacityList{} },
		Strategy: Strategy{},
	}
}

// Strategy is the CSIStorageCapacity rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// Validate checks a new capacity.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*storagev1.CSIStorageCapacity))
}

// ValidateUpdate checks the new capacity.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*storagev1.CSIStorageCapacity))
}

// Validate returns the errors of c, as kube's ValidateCSIStorageCapacity.
func Validate(c *storagev1.CSIStorageCapacity) field.ErrorList {
	var errs field.ErrorList
	if c.NodeTopology != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(c.NodeTopology, metav1validation.LabelSelectorValidationOptions{}, field.NewPath("nodeTopology"))...)
	}
	errs = append(errs, core.Names(validation.IsDNS1123Subdomain, c.StorageClassName, field.NewPath("storageClassName"))...)
	for _, q := range []struct {
		name string
		v    *resource.Quantity
	}{{"capacity", c.Capacity}, {"maximumVolumeSize", c.MaximumVolumeSize}} {
		if q.v != nil && q.v.Sign() < 0 {
			errs = append(errs, field.Invalid(field.NewPath(q.name), q.v.String(), "must be greater than or equal to 0"))
		}
	}
	return errs
}
