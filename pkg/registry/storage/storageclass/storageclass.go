// Package storageclass is the storage.k8s.io/v1 StorageClass resource
// (storageclasses, cluster-scoped, short name sc) as kube-apiserver 1.31
// serves it: kube's defaults (Delete, Immediate), validation and the
// fields that never change, with its messages, and kube's columns (the
// default class marked so).
package storageclass

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// DefaultAnnotation marks the default StorageClass.
const DefaultAnnotation = "storageclass.kubernetes.io/is-default-class"

// Type is the storageclasses resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: storagev1.SchemeGroupVersion.WithResource("storageclasses"),
			Kind:                 "StorageClass",
			ListKind:             "StorageClassList",
			Singular:             "storageclass",
			ShortNames:           []string{"sc"},
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &storagev1.StorageClass{} },
		NewList:  func() runtime.Object { return &storagev1.StorageClassList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*storagev1.StorageClass)) },
	}
}

// Default sets Delete and Immediate when unset, as kube.
func Default(sc *storagev1.StorageClass) {
	if sc.ReclaimPolicy == nil {
		del := corev1.PersistentVolumeReclaimDelete
		sc.ReclaimPolicy = &del
	}
	if sc.VolumeBindingMode == nil {
		immediate := storagev1.VolumeBindingImmediate
		sc.VolumeBindingMode = &immediate
	}
}

// Strategy is the StorageClass rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// Validate checks a new class.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*storagev1.StorageClass))
}

// ValidateUpdate checks the new class; its provisioner, parameters,
// reclaim policy and binding mode never change.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	sc, o := obj.(*storagev1.StorageClass), old.(*storagev1.StorageClass)
	errs := Validate(sc)
	if !reflect.DeepEqual(sc.Parameters, o.Parameters) {
		errs = append(errs, field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden."))
	}
	if sc.Provisioner != o.Provisioner {
		errs = append(errs, field.Forbidden(field.NewPath("provisioner"), "updates to provisioner are forbidden."))
	}
	if !reflect.DeepEqual(sc.ReclaimPolicy, o.ReclaimPolicy) {
		errs = append(errs, field.Forbidden(field.NewPath("reclaimPolicy"), "updates to reclaimPolicy are forbidden."))
	}
	if !reflect.DeepEqual(sc.VolumeBindingMode, o.VolumeBindingMode) {
		errs = append(errs, field.Forbidden(field.NewPath("volumeBindingMode"), "field is immutable"))
	}
	return errs
}

// maxParametersSize bounds the parameters, as kube bounds them.
const maxParametersSize = 256 * 1024

// Validate returns the errors of sc, as kube's ValidateStorageClass.
func Validate(sc *storagev1.StorageClass) field.ErrorList {
	var errs field.ErrorList
	fld := field.NewPath("provisioner")
	if sc.Provisioner == "" {
		errs = append(errs, field.Required(fld, ""))
	} else {
		// kube checks the provisioner lower-cased, and shows it so.
		lower := strings.ToLower(sc.Provisioner)
		for _, msg := range validation.IsQualifiedName(lower) {
			errs = append(errs, field.Invalid(fld, lower, msg))
		}
	}
	size := 0
	params := field.NewPath("parameters")
	for k, v := range sc.Parameters {
		if k == "" {
			errs = append(errs, field.Invalid(params, k, "field can not be empty."))
		}
		size += len(k) + len(v)
	}
	if size > maxParametersSize {
		errs = append(errs, field.TooLong(params, "", maxParametersSize))
	}
	if p := sc.ReclaimPolicy; p != nil && *p != corev1.PersistentVolumeReclaimDelete && *p != corev1.PersistentVolumeReclaimRetain {
		errs = append(errs, field.NotSupported(field.NewPath("reclaimPolicy"), *p, []string{"Delete", "Retain"}))
	}
	if m := sc.VolumeBindingMode; m == nil {
		errs = append(errs, field.Required(field.NewPath("volumeBindingMode"), ""))
	} else if *m != storagev1.VolumeBindingImmediate && *m != storagev1.VolumeBindingWaitForFirstConsumer {
		errs = append(errs, field.NotSupported(field.NewPath("volumeBindingMode"), *m, []string{"Immediate", "WaitForFirstConsumer"}))
	}
	return errs
}

// Table prints classes as kube-apiserver does: NAME (with "(default)"
// for the default class), PROVISIONER, RECLAIMPOLICY, VOLUMEBINDINGMODE,
// ALLOWVOLUMEEXPANSION, AGE.
func Table() tables.Convertor {
	doc := storagev1.StorageClass{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Provisioner", doc["provisioner"]),
			tables.Column("ReclaimPolicy", doc["reclaimPolicy"]),
			tables.Column("VolumeBindingMode", doc["volumeBindingMode"]),
			tables.Column("AllowVolumeExpansion", doc["allowVolumeExpansion"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			sc, ok := obj.(*storagev1.StorageClass)
			if !ok {
				return nil, fmt.Errorf("not a StorageClass: %T", obj)
			}
			name := sc.Name
			if sc.Annotations[DefaultAnnotation] == "true" {
				name += " (default)"
			}
			reclaim, mode := string(corev1.PersistentVolumeReclaimDelete), string(storagev1.VolumeBindingImmediate)
			if sc.ReclaimPolicy != nil {
				reclaim = string(*sc.ReclaimPolicy)
			}
			if sc.VolumeBindingMode != nil {
				mode = string(*sc.VolumeBindingMode)
			}
			expansion := sc.AllowVolumeExpansion != nil && *sc.AllowVolumeExpansion
			return []interface{}{name, sc.Provisioner, reclaim, mode, fmt.Sprint(expansion), tables.Age(sc.CreationTimestamp)}, nil
		},
	}
}
