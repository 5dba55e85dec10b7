package serviceaccount

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the serviceaccounts resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("serviceaccounts"),
			Kind:                 "ServiceAccount",
			ListKind:             "ServiceAccountList",
			Singular:             "serviceaccount",
			ShortNames:           []string{"sa"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &corev1.ServiceAccount{} },
		NewList:  func() runtime.Object { return &corev1.ServiceAccountList{} },
		Strategy: Strategy{},
		Table:    Table(),
	}
}

// Strategy is the ServiceAccount rest.Strategy: names are DNS subdomains
// (the generic store's rule) and every field may be written.
type Strategy struct{}

var (
	_ rest.Strategy         = Strategy{}
	_ rest.GenerationPolicy = Strategy{}
)

// PrepareForCreate does nothing: a ServiceAccount has no status.
func (Strategy) PrepareForCreate(context.Context, runtime.Object) {}

// PrepareForUpdate does nothing.
func (Strategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}

// Validate has nothing to check beyond the metadata the store checks.
func (Strategy) Validate(context.Context, runtime.Object) field.ErrorList { return nil }

// ValidateUpdate has nothing to check either.
func (Strategy) ValidateUpdate(context.Context, runtime.Object, runtime.Object) field.ErrorList {
	return nil
}

// Canonicalize does nothing.
func (Strategy) Canonicalize(runtime.Object) {}

// AllowCreateOnUpdate is false: PUT of a missing ServiceAccount is a 404.
func (Strategy) AllowCreateOnUpdate() bool { return false }

// AllowUnconditionalUpdate is true: PUT without resourceVersion overwrites.
func (Strategy) AllowUnconditionalUpdate() bool { return true }

// SpecChanged is always false: kube never bumps a ServiceAccount's
// metadata.generation.
func (Strategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// Table prints ServiceAccounts as kube-apiserver does: NAME, SECRETS and
// AGE.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Secrets", corev1.ServiceAccount{}.SwaggerDoc()["secrets"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			sa, ok := obj.(*corev1.ServiceAccount)
			if !ok {
				return nil, fmt.Errorf("not a ServiceAccount: %T", obj)
			}
			return []interface{}{sa.Name, int64(len(sa.Secrets)), tables.Age(sa.CreationTimestamp)}, nil
		},
	}
}
