package serviceaccount

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

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
// (the generic store's rule), and there is nothing else to check or
// prepare; kube never bumps a ServiceAccount's metadata.generation.
type Strategy struct{ rest.PlainStrategy }

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
