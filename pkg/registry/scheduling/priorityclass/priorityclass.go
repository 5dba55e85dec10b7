package priorityclass

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// HighestUserDefinablePriority is the largest value a user's class may have.
const HighestUserDefinablePriority = 1_000_000_000

// SystemPriorityClasses are the classes kube-apiserver creates at start.
func SystemPriorityClasses() []*schedulingv1.PriorityClass {
	policy := corev1.PreemptLowerPriority
	return []*schedulingv1.PriorityClass{
		{
			ObjectMeta: metav1.ObjectMeta{Name: "system-node-critical"}, Value: 2_000_001_000, PreemptionPolicy: &policy,
			Description: "Used for system critical pods that must not be moved from their current node.",
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "system-cluster-critical"}, Value: 2_000_000_000, PreemptionPolicy: &policy,
			Description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
		},
	}
}

// IsSystem reports whether name is a system class's.
func IsSystem(name string) bool {
	for _, pc := range SystemPriorityClasses() {
		if pc.Name == name {
			return true
		}
	}
	return false
}

// Type is the priorityclasses resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: schedulingv1.SchemeGroupVersion.WithResource("priorityclasses"),
			Kind:                 "PriorityClass",
			ListKind:             "PriorityClassList",
			Singular:             "priorityclass",
			ShortNames:           []string{"pc"},
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &schedulingv1.PriorityClass{} },
		NewList:  func() runtime.Object { return &schedulingv1.PriorityClassList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*schedulingv1.PriorityClass)) },
	}
}

// Default sets what kube's defaulting sets: preemptionPolicy.
func Default(pc *schedulingv1.PriorityClass) {
	if pc.PreemptionPolicy == nil {
		policy := corev1.PreemptLowerPriority
		pc.PreemptionPolicy = &policy
	}
}

// Strategy is the PriorityClass rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// Validate checks the name, value and preemption policy, as kube's
// ValidatePriorityClass.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*schedulingv1.PriorityClass))
}

// ValidateUpdate refuses a new value or preemption policy, then validates
// the new class.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return ValidateUpdate(obj.(*schedulingv1.PriorityClass), old.(*schedulingv1.PriorityClass))
}

// Validate returns the errors of pc.
func Validate(pc *schedulingv1.PriorityClass) field.ErrorList {
	var errs field.ErrorList
	if strings.HasPrefix(pc.Name, "system-") {
		if err := knownSystem(pc); err != nil {
			errs = append(errs, field.Forbidden(field.NewPath("metadata", "name"),
				"priority class names with 'system-' prefix are reserved for system use only. error: "+err.Error()))
		}
	} else if pc.Value > HighestUserDefinablePriority {
		errs = append(errs, field.Forbidden(field.NewPath("value"), fmt.Sprintf("maximum allowed value of a user defined priority is %v", HighestUserDefinablePriority)))
	}
	if p := pc.PreemptionPolicy; p != nil && *p != corev1.PreemptLowerPriority && *p != corev1.PreemptNever {
		errs = append(errs, field.NotSupported(field.NewPath("preemptionPolicy"), *p, []string{string(corev1.PreemptLowerPriority), string(corev1.PreemptNever)}))
	}
	return errs
}

// knownSystem checks a class named as a system one against that class.
func knownSystem(pc *schedulingv1.PriorityClass) error {
	for _, sys := range SystemPriorityClasses() {
		if sys.Name != pc.Name {
			continue
		}
		if sys.Value != pc.Value {
			return fmt.Errorf("value of %v PriorityClass must be %v", sys.Name, sys.Value)
		}
		if sys.GlobalDefault != pc.GlobalDefault {
			return fmt.Errorf("globalDefault of %v PriorityClass must be %v", sys.Name, sys.GlobalDefault)
		}
		return nil
	}
	return fmt.Errorf("%v is not a known system priority class", pc.Name)
}

// ValidateUpdate returns the errors of updating old to pc.
func ValidateUpdate(pc, old *schedulingv1.PriorityClass) field.ErrorList {
	var errs field.ErrorList
	if pc.Value != old.Value {
		errs = append(errs, field.Forbidden(field.NewPath("value"), "may not be changed in an update."))
	}
	if p, o := pc.PreemptionPolicy, old.PreemptionPolicy; p != nil && o != nil && *p != *o {
		errs = append(errs, field.Invalid(field.NewPath("preemptionPolicy"), *p, "field is immutable"))
	}
	return append(errs, Validate(pc)...)
}

// Table prints PriorityClasses as kube-apiserver does: NAME, VALUE,
// GLOBAL-DEFAULT and AGE.
func Table() tables.Convertor {
	doc := schedulingv1.PriorityClass{}.SwaggerDoc()
	value := tables.Column("Value", doc["value"])
	value.Type = "integer"
	def := tables.Column("Global-Default", doc["globalDefault"])
	def.Type = "boolean"
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{tables.NameColumn(), value, def, tables.AgeColumn()},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			pc, ok := obj.(*schedulingv1.PriorityClass)
			if !ok {
				return nil, fmt.Errorf("not a PriorityClass: %T", obj)
			}
			return []interface{}{pc.Name, int64(pc.Value), pc.GlobalDefault, tables.Age(pc.CreationTimestamp)}, nil
		},
	}
}
