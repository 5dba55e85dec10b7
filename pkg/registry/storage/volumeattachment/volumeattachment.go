// Package volumeattachment is the storage.k8s.io/v1 VolumeAttachment
// resource (volumeattachments, cluster-scoped) as kube-apiserver 1.31
// serves it: kube's validation with its messages, a spec that never
// changes, /status, and kube's columns. Attaching is a CSI attacher's.
package volumeattachment

import (
	"context"
	"fmt"
	"reflect"

	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the volumeattachments resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: storagev1.SchemeGroupVersion.WithResource("volumeattachments"),
			Kind:                 "VolumeAttachment",
			ListKind:             "VolumeAttachmentList",
			Singular:             "volumeattachment",
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &storagev1.VolumeAttachment{} },
		NewList:  func() runtime.Object { return &storagev1.VolumeAttachmentList{} },
		Strategy: Strategy{},
		Table:    Table(),
	}
}

// StatusType is the type of volumeattachments/status.
func StatusType() rest.Type { return Type().WithStrategy(rest.StatusStrategy{}) }

// Strategy is the VolumeAttachment rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// PrepareForCreate clears the status; kube keeps no generation here.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*storagev1.VolumeAttachment).Status = storagev1.VolumeAttachmentStatus{}
}

// Validate checks a new attachment.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*storagev1.VolumeAttachment))
}

// ValidateUpdate checks the new attachment, whose spec never changes.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	va, o := obj.(*storagev1.VolumeAttachment), old.(*storagev1.VolumeAttachment)
	errs := Validate(va)
	if !reflect.DeepEqual(va.Spec, o.Spec) {
		errs = append(errs, field.Invalid(field.NewPath("spec"), core.Printed("storage.VolumeAttachmentSpec{...}"), "field is immutable"))
	}
	return errs
}

// Validate returns the errors of va, as kube's ValidateVolumeAttachment.
func Validate(va *storagev1.VolumeAttachment) field.ErrorList {
	fld := field.NewPath("spec")
	var errs field.ErrorList
	src := va.Spec.Source
	if (src.PersistentVolumeName == nil) == (src.InlineVolumeSpec == nil) {
		errs = append(errs, field.Required(fld.Child("source"), "must specify exactly one of inlineVolumeSpec and persistentVolumeName"))
	} else if n := src.PersistentVolumeName; n != nil && *n == "" {
		errs = append(errs, field.Required(fld.Child("source", "persistentVolumeName"), "must specify non empty persistentVolumeName"))
	}
	errs = append(errs, core.Names(validation.IsDNS1123Subdomain, va.Spec.NodeName, fld.Child("nodeName"))...)
	if va.Spec.Attacher == "" {
		errs = append(errs, field.Required(fld.Child("attacher"), ""))
	} else {
		errs = append(errs, core.Names(validation.IsDNS1123Subdomain, va.Spec.Attacher, fld.Child("attacher"))...)
	}
	return errs
}

// Table prints attachments as kube-apiserver does: NAME, ATTACHER, PV,
// NODE, ATTACHED, AGE.
func Table() tables.Convertor {
	spec := storagev1.VolumeAttachmentSpec{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Attacher", spec["attacher"]),
			tables.Column("PV", storagev1.VolumeAttachmentSource{}.SwaggerDoc()["persistentVolumeName"]),
			tables.Column("Node", spec["nodeName"]),
			{Name: "Attached", Type: "boolean", Description: storagev1.VolumeAttachmentStatus{}.SwaggerDoc()["attached"]},
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			va, ok := obj.(*storagev1.VolumeAttachment)
			if !ok {
				return nil, fmt.Errorf("not a VolumeAttachment: %T", obj)
			}
			pv := ""
			if n := va.Spec.Source.PersistentVolumeName; n != nil {
				pv = *n
			}
			return []interface{}{va.Name, va.Spec.Attacher, pv, va.Spec.NodeName, va.Status.Attached, tables.Age(va.CreationTimestamp)}, nil
		},
	}
}
