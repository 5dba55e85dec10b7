package secret

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// SelectableFields are the field selectors of secrets beyond metadata.
var SelectableFields = []string{"type"}

// Type is the secrets resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("secrets"),
			Kind:                 "Secret",
			ListKind:             "SecretList",
			Singular:             "secret",
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:              func() runtime.Object { return &corev1.Secret{} },
		NewList:          func() runtime.Object { return &corev1.SecretList{} },
		Strategy:         Strategy{},
		Attrs:            Attrs,
		SelectableFields: SelectableFields,
		Table:            Table(),
		Defaults:         func(obj runtime.Object) { Normalize(obj.(*corev1.Secret)) },
	}
}

// Strategy is the Secret rest.Strategy. Names are DNS subdomains, the
// generic store's default rule.
type Strategy struct{}

var (
	_ rest.Strategy         = Strategy{}
	_ rest.GenerationPolicy = Strategy{}
)

// PrepareForCreate does nothing: what kube does while decoding a request
// (stringData folded into data, type Opaque by default) is the type's
// Defaults, which the scheme runs on every decoded body.
func (Strategy) PrepareForCreate(context.Context, runtime.Object) {}

// PrepareForUpdate does nothing, as PrepareForCreate.
func (Strategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}

// Validate checks keys, size and the rules of the Secret's type.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.Secret))
}

// ValidateUpdate refuses a new type and changes to an immutable Secret,
// then validates the new one.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return ValidateUpdate(obj.(*corev1.Secret), old.(*corev1.Secret))
}

// Canonicalize makes sure no stringData is stored.
func (Strategy) Canonicalize(obj runtime.Object) {
	FoldStringData(obj.(*corev1.Secret))
}

// AllowCreateOnUpdate is false: PUT of a missing Secret is a 404.
func (Strategy) AllowCreateOnUpdate() bool { return false }

// AllowUnconditionalUpdate is true: PUT without resourceVersion overwrites.
func (Strategy) AllowUnconditionalUpdate() bool { return true }

// SpecChanged is always false: kube-apiserver never bumps the
// metadata.generation of a Secret.
func (Strategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// Normalize puts a Secret as decoded from a request in the form kube
// validates and stores: stringData folded into data, type defaulted.
func Normalize(s *corev1.Secret) {
	FoldStringData(s)
	if s.Type == "" {
		s.Type = corev1.SecretTypeOpaque
	}
}

// FoldStringData writes each stringData entry into data, replacing a value
// of the same key, and clears stringData, as kube's conversion from v1
// does.
func FoldStringData(s *corev1.Secret) {
	if len(s.StringData) > 0 {
		if s.Data == nil {
			s.Data = make(map[string][]byte, len(s.StringData))
		}
		for k, v := range s.StringData {
			s.Data[k] = []byte(v)
		}
	}
	s.StringData = nil
}

// Attrs returns the labels of a Secret and its selectable fields:
// metadata.name, metadata.namespace and type.
func Attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return nil, nil, fmt.Errorf("not a Secret: %T", obj)
	}
	return s.Labels, fields.Set{
		"metadata.name":      s.Name,
		"metadata.namespace": s.Namespace,
		"type":               string(s.Type),
	}, nil
}

// Table prints Secrets as kube-apiserver does: NAME, TYPE, DATA (the number
// of keys) and AGE.
func Table() tables.Convertor {
	doc := corev1.Secret{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Type", doc["type"]),
			tables.Column("Data", doc["data"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			s, ok := obj.(*corev1.Secret)
			if !ok {
				return nil, fmt.Errorf("not a Secret: %T", obj)
			}
			return []interface{}{s.Name, string(s.Type), int64(len(s.Data)), tables.Age(s.CreationTimestamp)}, nil
		},
	}
}
