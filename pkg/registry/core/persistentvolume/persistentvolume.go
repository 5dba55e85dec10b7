// Package persistentvolume is the core/v1 PersistentVolume resource
// (persistentvolumes, cluster-scoped, short name pv) and
// PersistentVolumeClaim resource (persistentvolumeclaims, namespaced,
// short name pvc) as kube-apiserver 1.31 serves them: kube's defaults,
// phase Pending on create, the checks kube makes of access modes,
// capacity and requests, reclaim policy, volume mode and the number of
// volume sources, with its messages, a claim's spec fixed after creation
// but for its requests, /status, and kube's columns. The sources' own
// fields are not checked as kube checks each of them; binding claims to
// volumes is kube-controller-manager's.
package persistentvolume

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the persistentvolumes resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("persistentvolumes"),
			Kind:                 "PersistentVolume",
			ListKind:             "PersistentVolumeList",
			Singular:             "persistentvolume",
			ShortNames:           []string{"pv"},
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &corev1.PersistentVolume{} },
		NewList:  func() runtime.Object { return &corev1.PersistentVolumeList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*corev1.PersistentVolume)) },
	}
}

// StatusType is the type of persistentvolumes/status.
func StatusType() rest.Type { return Type().WithStrategy(rest.StatusStrategy{}) }

// Default sets Retain, Filesystem and an unset host path type, as kube.
func Default(pv *corev1.PersistentVolume) {
	if pv.Spec.PersistentVolumeReclaimPolicy == "" {
		pv.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
	}
	if pv.Spec.VolumeMode == nil {
		fs := corev1.PersistentVolumeFilesystem
		pv.Spec.VolumeMode = &fs
	}
	if hp := pv.Spec.HostPath; hp != nil && hp.Type == nil {
		unset := corev1.HostPathUnset
		hp.Type = &unset
	}
}

// Strategy is the PersistentVolume rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// PrepareForCreate starts the volume Pending; kube keeps no generation.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	pv := obj.(*corev1.PersistentVolume)
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	pv.Status = corev1.PersistentVolumeStatus{Phase: corev1.VolumePending, LastPhaseTransitionTime: &now}
}

// SpecChanged is false: kube keeps no generation for volumes.
func (Strategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// Validate checks a new volume.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.PersistentVolume))
}

// ValidateUpdate checks the new volume.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.PersistentVolume))
}

var (
	accessModes    = []string{"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"}
	reclaimModes   = []string{"Delete", "Recycle", "Retain"}
	volumeModes    = []string{"Block", "Filesystem"}
	specPath       = field.NewPath("spec")
	storageRequest = corev1.ResourceStorage
)

func validateAccessModes(modes []corev1.PersistentVolumeAccessMode, requiredDetail string) field.ErrorList {
	fld := specPath.Child("accessModes")
	if len(modes) == 0 {
		return field.ErrorList{field.Required(fld, requiredDetail)}
	}
	var errs field.ErrorList
	for _, m := range modes {
		if !slices.Contains(accessModes, string(m)) {
			errs = append(errs, field.NotSupported(fld, m, accessModes))
		}
	}
	return errs
}

func validateVolumeMode(m *corev1.PersistentVolumeMode) field.ErrorList {
	if m != nil && !slices.Contains(volumeModes, string(*m)) {
		return field.ErrorList{field.NotSupported(specPath.Child("volumeMode"), *m, volumeModes)}
	}
	return nil
}

// Validate returns the errors of pv, as kube's ValidatePersistentVolume
// checks them but for each volume source's own fields.
func Validate(pv *corev1.PersistentVolume) field.ErrorList {
	spec := &pv.Spec
	errs := validateAccessModes(spec.AccessModes, "")
	capacity := specPath.Child("capacity")
	if len(spec.Capacity) == 0 {
		errs = append(errs, field.Required(capacity, ""))
	}
	if _, ok := spec.Capacity[storageRequest]; !ok || len(spec.Capacity) > 1 {
		shown := "core.ResourceList(nil)"
		if spec.Capacity != nil {
			shown = fmt.Sprintf("core.ResourceList{%d entries}", len(spec.Capacity))
		}
		errs = append(errs, field.NotSupported(capacity, core.Printed(shown), []string{string(storageRequest)}))
	}
	for k, q := range spec.Capacity {
		at := capacity.Key(string(k))
		if q.Value() <= 0 {
			errs = append(errs, field.Invalid(at, q.Value(), "must be a valid resource quantity"))
		}
		if q.Sign() <= 0 {
			errs = append(errs, field.Invalid(at, q.String(), "must be greater than zero"))
		}
	}
	if sc := spec.StorageClassName; sc != "" {
		errs = append(errs, core.Names(validation.IsDNS1123Subdomain, sc, specPath.Child("storageClassName"))...)
	}
	if p := spec.PersistentVolumeReclaimPolicy; p != "" && !slices.Contains(reclaimModes, string(p)) {
		errs = append(errs, field.NotSupported(specPath.Child("persistentVolumeReclaimPolicy"), p, reclaimModes))
	}
	sources := volumeSources(&spec.PersistentVolumeSource)
	if len(sources) == 0 {
		errs = append(errs, field.Required(specPath, "must specify a volume type"))
	}
	for _, name := range sources[min(1, len(sources)):] {
		errs = append(errs, field.Forbidden(specPath.Child(name), "may not specify more than 1 volume type"))
	}
	if hp := spec.HostPath; hp != nil && hp.Path == "" {
		errs = append(errs, field.Required(specPath.Child("hostPath", "path"), ""))
	}
	return append(errs, validateVolumeMode(spec.VolumeMode)...)
}

// volumeSources names the volume sources set, by JSON name, in field
// order.
func volumeSources(src *corev1.PersistentVolumeSource) []string {
	var out []string
	v := reflect.ValueOf(src).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	return out
}

// Table prints volumes as kube-apiserver does: NAME, CAPACITY, ACCESS
// MODES, RECLAIM POLICY, STATUS, CLAIM, STORAGECLASS,
// VOLUMEATTRIBUTESCLASS, REASON, AGE, and VOLUMEMODE with -o wide.
func Table() tables.Convertor {
	spec := corev1.PersistentVolumeSpec{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Capacity", spec["capacity"]),
			tables.Column("Access Modes", spec["accessModes"]),
			tables.Column("Reclaim Policy", spec["persistentVolumeReclaimPolicy"]),
			tables.Column("Status", corev1.PersistentVolumeStatus{}.SwaggerDoc()["phase"]),
			tables.Column("Claim", spec["claimRef"]),
			tables.Column("StorageClass", "StorageClass of the pv"),
			tables.Column("VolumeAttributesClass", spec["volumeAttributesClassName"]),
			tables.Column("Reason", corev1.PersistentVolumeStatus{}.SwaggerDoc()["reason"]),
			tables.AgeColumn(),
			tables.WideColumn("VolumeMode", spec["volumeMode"]),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			pv, ok := obj.(*corev1.PersistentVolume)
			if !ok {
				return nil, fmt.Errorf("not a PersistentVolume: %T", obj)
			}
			claim := ""
			if r := pv.Spec.ClaimRef; r != nil {
				claim = r.Namespace + "/" + r.Name
			}
			size := pv.Spec.Capacity[storageRequest]
			return []interface{}{pv.Name, size.String(), modes(pv.Spec.AccessModes), string(pv.Spec.PersistentVolumeReclaimPolicy),
				string(pv.Status.Phase), claim, pv.Spec.StorageClassName, unset(pv.Spec.VolumeAttributesClassName), pv.Status.Reason,
				tables.Age(pv.CreationTimestamp), mode(pv.Spec.VolumeMode)}, nil
		},
	}
}

// modes abbreviates access modes as kubectl shows them (RWO, ROX, RWX,
// RWOP).
func modes(ms []corev1.PersistentVolumeAccessMode) string {
	short := map[corev1.PersistentVolumeAccessMode]string{
		corev1.ReadWriteOnce: "RWO", corev1.ReadOnlyMany: "ROX", corev1.ReadWriteMany: "RWX", corev1.ReadWriteOncePod: "RWOP",
	}
	var out []string
	for _, m := range ms {
		if s := short[m]; s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

func unset(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}

func mode(m *corev1.PersistentVolumeMode) string {
	if m == nil {
		return "<unset>"
	}
	return string(*m)
}
