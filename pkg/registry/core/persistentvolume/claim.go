package persistentvolume

import (
	"context"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// ClaimType is the persistentvolumeclaims resource.
func ClaimType() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims"),
			Kind:                 "PersistentVolumeClaim",
			ListKind:             "PersistentVolumeClaimList",
			Singular:             "persistentvolumeclaim",
			ShortNames:           []string{"pvc"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &corev1.PersistentVolumeClaim{} },
		NewList:  func() runtime.Object { return &corev1.PersistentVolumeClaimList{} },
		Strategy: ClaimStrategy{},
		Table:    ClaimTable(),
		Defaults: func(obj runtime.Object) { DefaultClaim(obj.(*corev1.PersistentVolumeClaim)) },
	}
}

// ClaimStatusType is the type of persistentvolumeclaims/status.
func ClaimStatusType() rest.Type { return ClaimType().WithStrategy(rest.StatusStrategy{}) }

// DefaultClaim sets Filesystem when no volume mode is given, as kube.
func DefaultClaim(c *corev1.PersistentVolumeClaim) {
	if c.Spec.VolumeMode == nil {
		fs := corev1.PersistentVolumeFilesystem
		c.Spec.VolumeMode = &fs
	}
}

// ClaimStrategy is the PersistentVolumeClaim rest.Strategy.
type ClaimStrategy struct{ rest.SpecStatusStrategy }

// PrepareForCreate starts the claim Pending; kube keeps no generation.
func (ClaimStrategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*corev1.PersistentVolumeClaim).Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}
}

// SpecChanged is false: kube keeps no generation for claims.
func (ClaimStrategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// Validate checks a new claim.
func (ClaimStrategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return ValidateClaim(obj.(*corev1.PersistentVolumeClaim))
}

// ValidateUpdate checks the new claim, whose spec is fixed but for its
// requests, its volume attributes class, and a volume name set once.
func (ClaimStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	c, o := obj.(*corev1.PersistentVolumeClaim), old.(*corev1.PersistentVolumeClaim)
	errs := ValidateClaim(c)
	a, b := c.Spec.DeepCopy(), o.Spec.DeepCopy()
	a.Resources.Requests, b.Resources.Requests = nil, nil
	a.VolumeAttributesClassName, b.VolumeAttributesClassName = nil, nil
	if b.VolumeName == "" {
		a.VolumeName = ""
	}
	if !reflect.DeepEqual(a, b) {
		// kube follows this with a diff of its internal specs.
		errs = append(errs, field.Forbidden(specPath, "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"))
	}
	return errs
}

// ValidateClaim returns the errors of c, as kube's
// ValidatePersistentVolumeClaim.
func ValidateClaim(c *corev1.PersistentVolumeClaim) field.ErrorList {
	spec := &c.Spec
	errs := validateAccessModes(spec.AccessModes, "at least 1 access mode is required")
	at := specPath.Child("resources").Key(string(storageRequest))
	if q, ok := spec.Resources.Requests[storageRequest]; !ok {
		errs = append(errs, field.Required(at, ""))
	} else if q.Sign() <= 0 {
		errs = append(errs, field.Invalid(at, q.String(), "must be greater than zero"))
	}
	if sc := spec.StorageClassName; sc != nil && *sc != "" {
		errs = append(errs, core.Names(validation.IsDNS1123Subdomain, *sc, specPath.Child("storageClassName"))...)
	}
	return append(errs, validateVolumeMode(spec.VolumeMode)...)
}

// ClaimTable prints claims as kube-apiserver does: NAME, STATUS, VOLUME,
// CAPACITY, ACCESS MODES, STORAGECLASS, VOLUMEATTRIBUTESCLASS, AGE, and
// VOLUMEMODE with -o wide.
func ClaimTable() tables.Convertor {
	spec := corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()
	status := corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Status", status["phase"]),
			tables.Column("Volume", spec["volumeName"]),
			tables.Column("Capacity", status["capacity"]),
			tables.Column("Access Modes", status["accessModes"]),
			tables.Column("StorageClass", "StorageClass of the pvc"),
			tables.Column("VolumeAttributesClass", status["currentVolumeAttributesClassName"]),
			tables.AgeColumn(),
			tables.WideColumn("VolumeMode", spec["volumeMode"]),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			c, ok := obj.(*corev1.PersistentVolumeClaim)
			if !ok {
				return nil, fmt.Errorf("not a PersistentVolumeClaim: %T", obj)
			}
			capacity, access := "", ""
			if c.Spec.VolumeName != "" {
				size := c.Status.Capacity[storageRequest]
				capacity, access = size.String(), modes(c.Status.AccessModes)
			}
			class := ""
			if c.Spec.StorageClassName != nil {
				class = *c.Spec.StorageClassName
			}
			return []interface{}{c.Name, string(c.Status.Phase), c.Spec.VolumeName, capacity, access, class,
				unset(c.Status.CurrentVolumeAttributesClassName), tables.Age(c.CreationTimestamp), mode(c.Spec.VolumeMode)}, nil
		},
	}
}
