package configmap

import (
	"context"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/core/internal/validate"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the configmaps resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("configmaps"),
			Kind:                 "ConfigMap",
			ListKind:             "ConfigMapList",
			Singular:             "configmap",
			ShortNames:           []string{"cm"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &corev1.ConfigMap{} },
		NewList:  func() runtime.Object { return &corev1.ConfigMapList{} },
		Strategy: Strategy{},
		Attrs:    Attrs,
		Table:    Table(),
	}
}

// Strategy is the ConfigMap rest.Strategy. Names are DNS subdomains, the
// generic store's default rule.
type Strategy struct{}

var (
	_ rest.Strategy         = Strategy{}
	_ rest.GenerationPolicy = Strategy{}
)

// PrepareForCreate does nothing: a ConfigMap has no status or defaults.
func (Strategy) PrepareForCreate(context.Context, runtime.Object) {}

// PrepareForUpdate does nothing: every field may be written.
func (Strategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}

// Validate checks keys and size, as kube's ValidateConfigMap.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.ConfigMap))
}

// ValidateUpdate refuses changes to an immutable ConfigMap, then validates
// the new one.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return ValidateUpdate(obj.(*corev1.ConfigMap), old.(*corev1.ConfigMap))
}

// Canonicalize does nothing.
func (Strategy) Canonicalize(runtime.Object) {}

// AllowCreateOnUpdate is false: PUT of a missing ConfigMap is a 404.
func (Strategy) AllowCreateOnUpdate() bool { return false }

// AllowUnconditionalUpdate is true: PUT without resourceVersion overwrites.
func (Strategy) AllowUnconditionalUpdate() bool { return true }

// SpecChanged is always false: kube-apiserver never bumps the
// metadata.generation of a ConfigMap.
func (Strategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// Validate returns the errors of cm: each key of data and binaryData must
// be a config key (reported at data[key] or binaryData[key]), a key may not
// be in both (reported at data[key]), and the values together may not
// exceed 1 MiB (reported at the whole object, "[]").
func Validate(cm *corev1.ConfigMap) field.ErrorList {
	var errs field.ErrorList
	size := 0
	data, binary := field.NewPath("data"), field.NewPath("binaryData")
	for _, k := range validate.SortedKeys(cm.Data) {
		errs = append(errs, validate.ConfigKey(data, k)...)
		if _, dup := cm.BinaryData[k]; dup {
			errs = append(errs, field.Invalid(data.Key(k), k, "duplicate of key present in binaryData"))
		}
		size += len(cm.Data[k])
	}
	for _, k := range validate.SortedKeys(cm.BinaryData) {
		errs = append(errs, validate.ConfigKey(binary, k)...)
		size += len(cm.BinaryData[k])
	}
	if size > validate.MaxDataSize {
		errs = append(errs, validate.TooLarge(field.NewPath("")))
	}
	return errs
}

// ValidateUpdate returns the errors of updating old to cm: once old is
// immutable, immutable must stay true and data and binaryData may not
// change; cm must be valid too.
func ValidateUpdate(cm, old *corev1.ConfigMap) field.ErrorList {
	var changed []*field.Path
	if !reflect.DeepEqual(cm.Data, old.Data) {
		changed = append(changed, field.NewPath("data"))
	}
	if !reflect.DeepEqual(cm.BinaryData, old.BinaryData) {
		changed = append(changed, field.NewPath("binaryData"))
	}
	errs := validate.Immutable(old.Immutable, cm.Immutable, changed...)
	return append(errs, Validate(cm)...)
}

// Attrs returns the labels of a ConfigMap and its only selectable fields,
// metadata.name and metadata.namespace.
func Attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return nil, nil, fmt.Errorf("not a ConfigMap: %T", obj)
	}
	return cm.Labels, fields.Set{"metadata.name": cm.Name, "metadata.namespace": cm.Namespace}, nil
}

// Table prints ConfigMaps as kube-apiserver does: NAME, DATA (the number
// of keys of data and binaryData) and AGE.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Data", corev1.ConfigMap{}.SwaggerDoc()["data"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			cm, ok := obj.(*corev1.ConfigMap)
			if !ok {
				return nil, fmt.Errorf("not a ConfigMap: %T", obj)
			}
			return []interface{}{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), tables.Age(cm.CreationTimestamp)}, nil
		},
	}
}
