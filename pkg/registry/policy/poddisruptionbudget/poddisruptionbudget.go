// Package poddisruptionbudget is the policy/v1 PodDisruptionBudget
// resource (poddisruptionbudgets, namespaced, short name pdb) as
// kube-apiserver 1.31 serves it: kube's validation with its messages, a
// generation that moves with the spec, /status, and kube's columns. The
// disruption controller that fills the status is kube-controller-manager's.
package poddisruptionbudget

import (
	"context"
	"fmt"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/internal/workload"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the poddisruptionbudgets resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: policyv1.SchemeGroupVersion.WithResource("poddisruptionbudgets"),
			Kind:                 "PodDisruptionBudget",
			ListKind:             "PodDisruptionBudgetList",
			Singular:             "poddisruptionbudget",
			ShortNames:           []string{"pdb"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &policyv1.PodDisruptionBudget{} },
		NewList:  func() runtime.Object { return &policyv1.PodDisruptionBudgetList{} },
		Strategy: Strategy{},
		Table:    Table(),
	}
}

// StatusType is the type of poddisruptionbudgets/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// Strategy is the PodDisruptionBudget rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// Validate checks a new budget.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*policyv1.PodDisruptionBudget))
}

// ValidateUpdate checks the new budget.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*policyv1.PodDisruptionBudget))
}

var evictionPolicies = []string{string(policyv1.AlwaysAllow), string(policyv1.IfHealthyBudget)}

// Validate returns the errors of p, as kube's
// ValidatePodDisruptionBudgetSpec.
func Validate(p *policyv1.PodDisruptionBudget) field.ErrorList {
	spec := &p.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	if spec.MinAvailable != nil && spec.MaxUnavailable != nil {
		// kube prints its internal spec, pointers as addresses.
		errs = append(errs, field.Invalid(fld, core.Printed("policy.PodDisruptionBudgetSpec{...}"), "minAvailable and maxUnavailable cannot be both set"))
	}
	for _, v := range []struct {
		name string
		v    *intstr.IntOrString
	}{{"minAvailable", spec.MinAvailable}, {"maxUnavailable", spec.MaxUnavailable}} {
		if v.v != nil {
			errs = append(errs, intOrPercent(*v.v, fld.Child(v.name))...)
		}
	}
	if spec.Selector != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(spec.Selector, metav1validation.LabelSelectorValidationOptions{}, fld.Child("selector"))...)
	}
	if e := spec.UnhealthyPodEvictionPolicy; e != nil && *e != policyv1.AlwaysAllow && *e != policyv1.IfHealthyBudget {
		errs = append(errs, field.NotSupported(fld.Child("unhealthyPodEvictionPolicy"), *e, evictionPolicies))
	}
	return errs
}

// intOrPercent checks a count or a percentage of at most 100%.
func intOrPercent(v intstr.IntOrString, fld *field.Path) field.ErrorList {
	if v.Type == intstr.Int {
		return workload.NonNegative(v.IntVal, fld)
	}
	var n int
	if _, err := fmt.Sscanf(v.StrVal, "%d%%", &n); err != nil || fmt.Sprintf("%d%%", n) != v.StrVal {
		return field.ErrorList{field.Invalid(fld, v.StrVal, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")}
	}
	if n > 100 {
		return field.ErrorList{field.Invalid(fld, core.Printed(fmt.Sprintf("%#v", v)), "must not be greater than 100%")}
	}
	return nil
}

// statusStrategy is the strategy of poddisruptionbudgets/status.
type statusStrategy struct{ rest.StatusStrategy }

// ValidateUpdate checks the counts of the status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	st := obj.(*policyv1.PodDisruptionBudget).Status
	fld := field.NewPath("status")
	var errs field.ErrorList
	for _, c := range []struct {
		name string
		v    int32
	}{{"disruptionsAllowed", st.DisruptionsAllowed}, {"currentHealthy", st.CurrentHealthy}, {"desiredHealthy", st.DesiredHealthy}, {"expectedPods", st.ExpectedPods}} {
		errs = append(errs, workload.NonNegative(c.v, fld.Child(c.name))...)
	}
	return errs
}

// Table prints budgets as kube-apiserver does: NAME, MIN AVAILABLE, MAX
// UNAVAILABLE, ALLOWED DISRUPTIONS, AGE.
func Table() tables.Convertor {
	spec := policyv1.PodDisruptionBudgetSpec{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Min Available", spec["minAvailable"]),
			tables.Column("Max Unavailable", spec["maxUnavailable"]),
			{Name: "Allowed Disruptions", Type: "integer", Description: policyv1.PodDisruptionBudgetStatus{}.SwaggerDoc()["disruptionsAllowed"]},
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			p, ok := obj.(*policyv1.PodDisruptionBudget)
			if !ok {
				return nil, fmt.Errorf("not a PodDisruptionBudget: %T", obj)
			}
			show := func(v *intstr.IntOrString) string {
				if v == nil {
					return "N/A"
				}
				return v.String()
			}
			return []interface{}{p.Name, show(p.Spec.MinAvailable), show(p.Spec.MaxUnavailable), int64(p.Status.DisruptionsAllowed), tables.Age(p.CreationTimestamp)}, nil
		},
	}
}
