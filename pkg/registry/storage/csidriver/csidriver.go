// Package csidriver is the storage.k8s.io/v1 CSIDriver resource
// (csidrivers, cluster-scoped) as kube-apiserver 1.31 serves it: kube's
// defaults and validation with its messages, and kube's columns.
package csidriver

import (
	"context"
	"fmt"
	"strings"

	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the csidrivers resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: storagev1.SchemeGroupVersion.WithResource("csidrivers"),
			Kind:                 "CSIDriver",
			ListKind:             "CSIDriverList",
			Singular:             "csidriver",
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &storagev1.CSIDriver{} },
		NewList:  func() runtime.Object { return &storagev1.CSIDriverList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*storagev1.CSIDriver)) },
	}
}

// Default sets kube's defaults: attach required, no Pod info on mount,
// persistent volumes, no capacity tracking, ReadWriteOnceWithFSType, no
// republishing, no SELinux mount.
func Default(d *storagev1.CSIDriver) {
	spec := &d.Spec
	yes, no := true, false
	for _, b := range []struct {
		p   **bool
		def bool
	}{{&spec.AttachRequired, yes}, {&spec.PodInfoOnMount, no}, {&spec.StorageCapacity, no}, {&spec.RequiresRepublish, no}, {&spec.SELinuxMount, no}} {
		if *b.p == nil {
			v := b.def
			*b.p = &v
		}
	}
	if len(spec.VolumeLifecycleModes) == 0 {
		spec.VolumeLifecycleModes = []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent}
	}
	if spec.FSGroupPolicy == nil {
		p := storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy
		spec.FSGroupPolicy = &p
	}
}

// Strategy is the CSIDriver rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// Validate checks a new driver.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*storagev1.CSIDriver))
}

// ValidateUpdate checks the new driver.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*storagev1.CSIDriver))
}

// Validate returns the errors of d, as kube's ValidateCSIDriver.
func Validate(d *storagev1.CSIDriver) field.ErrorList {
	spec := &d.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	for _, b := range []struct {
		name string
		v    *bool
	}{{"attachRequired", spec.AttachRequired}, {"podInfoOnMount", spec.PodInfoOnMount}, {"storageCapacity", spec.StorageCapacity},
		{"requiresRepublish", spec.RequiresRepublish}, {"seLinuxMount", spec.SELinuxMount}} {
		if b.v == nil {
			errs = append(errs, field.Required(fld.Child(b.name), ""))
		}
	}
	if p := spec.FSGroupPolicy; p != nil {
		switch *p {
		case storagev1.FileFSGroupPolicy, storagev1.NoneFSGroupPolicy, storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy:
		default:
			errs = append(errs, field.NotSupported(fld.Child("fsGroupPolicy"), *p, []string{"File", "None", "ReadWriteOnceWithFSType"}))
		}
	}
	for _, m := range spec.VolumeLifecycleModes {
		if m != storagev1.VolumeLifecyclePersistent && m != storagev1.VolumeLifecycleEphemeral {
			errs = append(errs, field.NotSupported(fld.Child("volumeLifecycleModes"), m, []string{"Persistent", "Ephemeral"}))
		}
	}
	audiences := map[string]bool{}
	for i, t := range spec.TokenRequests {
		at := fld.Child("tokenRequests").Index(i)
		if audiences[t.Audience] {
			errs = append(errs, field.Duplicate(at.Child("audience"), t.Audience))
		}
		audiences[t.Audience] = true
		if s := t.ExpirationSeconds; s != nil && *s < 600 {
			errs = append(errs, field.Invalid(at.Child("expirationSeconds"), *s, "may not specify a duration less than 10 minutes"))
		}
	}
	return errs
}

// Table prints drivers as kube-apiserver does: NAME, ATTACHREQUIRED,
// PODINFOONMOUNT, STORAGECAPACITY, TOKENREQUESTS, REQUIRESREPUBLISH,
// MODES, AGE.
func Table() tables.Convertor {
	doc := storagev1.CSIDriverSpec{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			{Name: "AttachRequired", Type: "boolean", Description: doc["attachRequired"]},
			tables.Column("PodInfoOnMount", doc["podInfoOnMount"]),
			tables.Column("StorageCapacity", doc["storageCapacity"]),
			tables.Column("TokenRequests", doc["tokenRequests"]),
			tables.Column("RequiresRepublish", doc["requiresRepublish"]),
			tables.Column("Modes", doc["volumeLifecycleModes"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			d, ok := obj.(*storagev1.CSIDriver)
			if !ok {
				return nil, fmt.Errorf("not a CSIDriver: %T", obj)
			}
			b := func(v *bool) string { return fmt.Sprint(v != nil && *v) }
			tokens := "<unset>"
			if len(d.Spec.TokenRequests) > 0 {
				var a []string
				for _, t := range d.Spec.TokenRequests {
					a = append(a, t.Audience)
				}
				tokens = strings.Join(a, ",")
			}
			modes := make([]string, len(d.Spec.VolumeLifecycleModes))
			for i, m := range d.Spec.VolumeLifecycleModes {
				modes[i] = string(m)
			}
			return []interface{}{d.Name, d.Spec.AttachRequired != nil && *d.Spec.AttachRequired, b(d.Spec.PodInfoOnMount), b(d.Spec.StorageCapacity),
				tokens, b(d.Spec.RequiresRepublish), strings.Join(modes, ","), tables.Age(d.CreationTimestamp)}, nil
		},
	}
}
