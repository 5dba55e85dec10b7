// Package resourcequota is the core/v1 ResourceQuota resource
// (resourcequotas, namespaced, short name quota) as kube-apiserver 1.31
// serves it: hard limits of standard or fully qualified resource names
// with kube's messages, known scopes, /status, and kube's REQUEST and
// LIMIT columns. Usage is counted by kube-controller-manager's quota
// controller and enforced by kube's ResourceQuota admission, neither of
// which this server runs: status stays as clients write it.
package resourcequota

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the resourcequotas resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("resourcequotas"),
			Kind:                 "ResourceQuota",
			ListKind:             "ResourceQuotaList",
			Singular:             "resourcequota",
			ShortNames:           []string{"quota"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &corev1.ResourceQuota{} },
		NewList:  func() runtime.Object { return &corev1.ResourceQuotaList{} },
		Strategy: Strategy{},
		Table:    Table(),
	}
}

// StatusType is the type of resourcequotas/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// Strategy is the ResourceQuota rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// PrepareForCreate clears the status.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*corev1.ResourceQuota).Status = corev1.ResourceQuotaStatus{}
}

// PrepareForUpdate keeps the status.
func (Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	obj.(*corev1.ResourceQuota).Status = old.(*corev1.ResourceQuota).Status
}

// Validate checks a new quota.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.ResourceQuota))
}

// ValidateUpdate checks the new quota.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.ResourceQuota))
}

// statusStrategy is the strategy of resourcequotas/status.
type statusStrategy struct{ rest.PlainStrategy }

// PrepareForUpdate keeps the old spec.
func (statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	obj.(*corev1.ResourceQuota).Spec = old.(*corev1.ResourceQuota).Spec
}

// ValidateUpdate checks the hard and used quantities of the status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	q := obj.(*corev1.ResourceQuota)
	errs := validateList(q.Status.Hard, field.NewPath("status", "hard"))
	return append(errs, validateList(q.Status.Used, field.NewPath("status", "used"))...)
}

// standardQuota are the resource names a quota may limit without a
// domain, as kube's IsStandardQuotaResourceName knows them.
var standardQuota = []string{
	"pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
	"persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
	"cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.storage",
	"requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
}

// integerResources are counted, not measured: their quantities are whole.
var integerResources = []string{
	"pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
	"persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
}

var scopes = []corev1.ResourceQuotaScope{
	corev1.ResourceQuotaScopeTerminating, corev1.ResourceQuotaScopeNotTerminating, corev1.ResourceQuotaScopeBestEffort,
	corev1.ResourceQuotaScopeNotBestEffort, corev1.ResourceQuotaScopePriorityClass, corev1.ResourceQuotaScopeCrossNamespacePodAffinity,
}

// Validate returns the errors of q, as kube's ValidateResourceQuota.
func Validate(q *corev1.ResourceQuota) field.ErrorList {
	fld := field.NewPath("spec")
	errs := validateList(q.Spec.Hard, fld.Child("hard"))
	for _, s := range q.Spec.Scopes {
		if !slices.Contains(scopes, s) {
			shown := make([]string, len(q.Spec.Scopes))
			for i, s := range q.Spec.Scopes {
				shown[i] = fmt.Sprintf("%q", s)
			}
			errs = append(errs, field.Invalid(fld.Child("scopes"), core.Printed("[]core.ResourceQuotaScope{"+strings.Join(shown, ", ")+"}"), "unsupported scope"))
			break
		}
	}
	if sel := q.Spec.ScopeSelector; sel != nil {
		for i, e := range sel.MatchExpressions {
			at := fld.Child("scopeSelector", "matchExpressions").Index(i)
			if !slices.Contains(scopes, e.ScopeName) {
				errs = append(errs, field.Invalid(at.Child("scopeName"), e.ScopeName, "unsupported scope"))
			}
			switch e.Operator {
			case corev1.ScopeSelectorOpIn, corev1.ScopeSelectorOpNotIn:
				if len(e.Values) == 0 {
					errs = append(errs, field.Required(at.Child("values"), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"))
				}
			case corev1.ScopeSelectorOpExists, corev1.ScopeSelectorOpDoesNotExist:
				if len(e.Values) != 0 {
					errs = append(errs, field.Invalid(at.Child("values"), core.Printed(fmt.Sprintf("%#v", e.Values)), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"))
				}
			default:
				errs = append(errs, field.Invalid(at.Child("operator"), e.Operator, "not a valid selector operator"))
			}
		}
	}
	return errs
}

// validateList checks each name and quantity of a list of hard limits or
// usage, in name order.
func validateList(list corev1.ResourceList, fld *field.Path) field.ErrorList {
	names := make([]string, 0, len(list))
	for n := range list {
		names = append(names, string(n))
	}
	slices.Sort(names)
	var errs field.ErrorList
	for _, n := range names {
		at := fld.Key(n)
		shown := core.Printed(n)
		for _, msg := range validation.IsQualifiedName(n) {
			errs = append(errs, field.Invalid(at, shown, msg))
		}
		if !strings.Contains(n, "/") {
			if !standard(n) {
				errs = append(errs, field.Invalid(at, shown, "must be a standard resource type or fully qualified"))
			}
			if !slices.Contains(standardQuota, n) && !hugePages(n) {
				errs = append(errs, field.Invalid(at, shown, "must be a standard resource for quota"))
			}
		}
		q := list[corev1.ResourceName(n)]
		if q.Sign() < 0 {
			errs = append(errs, field.Invalid(at, q.String(), "must be greater than or equal to 0"))
		}
		if (slices.Contains(integerResources, n) || strings.HasPrefix(n, "count/")) && q.MilliValue()%1000 != 0 {
			errs = append(errs, field.Invalid(at, q.String(), "must be an integer"))
		}
	}
	return errs
}

// standard reports whether n is a resource name kube knows without a
// domain.
func standard(n string) bool {
	return slices.Contains(standardQuota, n) || hugePages(n) || n == "storage"
}

func hugePages(n string) bool {
	for _, p := range []string{"hugepages-", "requests.hugepages-", "limits.hugepages-"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// Table prints quotas as kube-apiserver does: NAME, AGE, and REQUEST and
// LIMIT as "resource: used/hard" from the status.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.AgeColumn(),
			tables.Column("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
			tables.Column("Limit", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			q, ok := obj.(*corev1.ResourceQuota)
			if !ok {
				return nil, fmt.Errorf("not a ResourceQuota: %T", obj)
			}
			names := make([]string, 0, len(q.Status.Hard))
			for n := range q.Status.Hard {
				names = append(names, string(n))
			}
			slices.Sort(names)
			var requests, limits []string
			for _, n := range names {
				used, hard := q.Status.Used[corev1.ResourceName(n)], q.Status.Hard[corev1.ResourceName(n)]
				cell := fmt.Sprintf("%s: %s/%s", n, used.String(), hard.String())
				if strings.HasPrefix(n, "limits.") {
					limits = append(limits, cell)
				} else {
					requests = append(requests, cell)
				}
			}
			return []interface{}{q.Name, tables.Age(q.CreationTimestamp), strings.Join(requests, ", "), strings.Join(limits, ", ")}, nil
		},
	}
}
