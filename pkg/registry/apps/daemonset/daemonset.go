// Package daemonset is the apps/v1 DaemonSet resource (daemonsets,
// namespaced, short name ds, category all) as kube-apiserver 1.31 serves
// it: kube's defaults, validation with kube's messages, a generation that
// moves with the spec, /status, and kube's columns. Placing Pods on nodes
// needs kube-controller-manager and kubelets, which this server has not.
package daemonset

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/internal/workload"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the daemonsets resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: appsv1.SchemeGroupVersion.WithResource("daemonsets"),
			Kind:                 "DaemonSet",
			ListKind:             "DaemonSetList",
			Singular:             "daemonset",
			ShortNames:           []string{"ds"},
			Categories:           []string{"all"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &appsv1.DaemonSet{} },
		NewList:  func() runtime.Object { return &appsv1.DaemonSetList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*appsv1.DaemonSet)) },
	}
}

// StatusType is the type of daemonsets/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// Default sets what kube's defaulting of a DaemonSet sets on decode: a
// rolling update of one Pod at a time, ten revisions kept.
func Default(d *appsv1.DaemonSet) {
	spec := &d.Spec
	if spec.UpdateStrategy.Type == "" {
		spec.UpdateStrategy.Type = appsv1.RollingUpdateDaemonSetStrategyType
	}
	if spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if spec.UpdateStrategy.RollingUpdate == nil {
			spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		if spec.UpdateStrategy.RollingUpdate.MaxUnavailable == nil {
			one := intstr.FromInt32(1)
			spec.UpdateStrategy.RollingUpdate.MaxUnavailable = &one
		}
		if spec.UpdateStrategy.RollingUpdate.MaxSurge == nil {
			zero := intstr.FromInt32(0)
			spec.UpdateStrategy.RollingUpdate.MaxSurge = &zero
		}
	}
	if spec.RevisionHistoryLimit == nil {
		ten := int32(10)
		spec.RevisionHistoryLimit = &ten
	}
	core.DefaultPodTemplate(&spec.Template)
}

// Strategy is the DaemonSet rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// Validate checks a new DaemonSet.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*appsv1.DaemonSet))
}

// ValidateUpdate checks the new DaemonSet and that its selector stays.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	d, o := obj.(*appsv1.DaemonSet), old.(*appsv1.DaemonSet)
	return append(Validate(d), workload.ImmutableSelector(d.Spec.Selector, o.Spec.Selector)...)
}

// Validate returns the errors of d, as kube's ValidateDaemonSet.
func Validate(d *appsv1.DaemonSet) field.ErrorList {
	spec := &d.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	if spec.Selector != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(spec.Selector, metav1validation.LabelSelectorValidationOptions{}, fld.Child("selector"))...)
	}
	if sel, err := metav1.LabelSelectorAsSelector(spec.Selector); err == nil && !sel.Matches(labels.Set(spec.Template.Labels)) {
		errs = append(errs, field.Invalid(fld.Child("template", "metadata", "labels"), core.Printed(fmt.Sprintf("%#v", spec.Template.Labels)), "`selector` does not match template `labels`"))
	}
	if spec.Selector != nil && len(spec.Selector.MatchLabels)+len(spec.Selector.MatchExpressions) == 0 {
		errs = append(errs, field.Invalid(fld.Child("selector"), core.Printed(workload.PrintSelector(spec.Selector)), "empty selector is invalid for daemonset"))
	}
	errs = append(errs, core.PodTemplate(&spec.Template, fld.Child("template"), []corev1.RestartPolicy{corev1.RestartPolicyAlways})...)
	if spec.Template.Spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Invalid(fld.Child("template", "spec", "activeDeadlineSeconds"), *spec.Template.Spec.ActiveDeadlineSeconds, "activeDeadlineSeconds in DaemonSet is not Supported"))
	}
	errs = append(errs, workload.NonNegative(spec.MinReadySeconds, fld.Child("minReadySeconds"))...)
	us := fld.Child("updateStrategy")
	switch spec.UpdateStrategy.Type {
	case appsv1.OnDeleteDaemonSetStrategyType:
	case appsv1.RollingUpdateDaemonSetStrategyType:
		if spec.UpdateStrategy.RollingUpdate == nil {
			errs = append(errs, field.Required(us.Child("rollingUpdate"), ""))
		}
	default:
		ru := "(*apps.RollingUpdateDaemonSet)(nil)"
		if spec.UpdateStrategy.RollingUpdate != nil {
			ru = "&apps.RollingUpdateDaemonSet{...}"
		}
		errs = append(errs, field.NotSupported(us, core.Printed(fmt.Sprintf("apps.DaemonSetUpdateStrategy{Type:%q, RollingUpdate:%s}", spec.UpdateStrategy.Type, ru)),
			[]string{string(appsv1.RollingUpdateDaemonSetStrategyType), string(appsv1.OnDeleteDaemonSetStrategyType)}))
	}
	if spec.RevisionHistoryLimit != nil {
		errs = append(errs, workload.NonNegative(*spec.RevisionHistoryLimit, fld.Child("revisionHistoryLimit"))...)
	}
	return errs
}

// statusStrategy is the strategy of daemonsets/status.
type statusStrategy struct{ rest.StatusStrategy }

// ValidateUpdate checks the counts of the status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	st := obj.(*appsv1.DaemonSet).Status
	fld := field.NewPath("status")
	var errs field.ErrorList
	for _, c := range []struct {
		name string
		v    int32
	}{{"currentNumberScheduled", st.CurrentNumberScheduled}, {"numberMisscheduled", st.NumberMisscheduled},
		{"desiredNumberScheduled", st.DesiredNumberScheduled}, {"numberReady", st.NumberReady},
		{"updatedNumberScheduled", st.UpdatedNumberScheduled}, {"numberAvailable", st.NumberAvailable}, {"numberUnavailable", st.NumberUnavailable}} {
		errs = append(errs, workload.NonNegative(c.v, fld.Child(c.name))...)
	}
	return errs
}

// Table prints DaemonSets as kube-apiserver does: NAME, DESIRED, CURRENT,
// READY, UP-TO-DATE, AVAILABLE, NODE SELECTOR, AGE, and CONTAINERS,
// IMAGES, SELECTOR with -o wide.
func Table() tables.Convertor {
	st := appsv1.DaemonSetStatus{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			{Name: "Desired", Type: "integer", Description: st["desiredNumberScheduled"]},
			{Name: "Current", Type: "integer", Description: st["currentNumberScheduled"]},
			{Name: "Ready", Type: "integer", Description: st["numberReady"]},
			{Name: "Up-to-date", Type: "integer", Description: st["updatedNumberScheduled"]},
			{Name: "Available", Type: "integer", Description: st["numberAvailable"]},
			tables.Column("Node Selector", corev1.PodSpec{}.SwaggerDoc()["nodeSelector"]),
			tables.AgeColumn(),
			tables.WideColumn("Containers", "Names of each container in the template."),
			tables.WideColumn("Images", "Images referenced by each container in the template."),
			tables.WideColumn("Selector", appsv1.DaemonSetSpec{}.SwaggerDoc()["selector"]),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			d, ok := obj.(*appsv1.DaemonSet)
			if !ok {
				return nil, fmt.Errorf("not a DaemonSet: %T", obj)
			}
			s := d.Status
			names, images := workload.Containers(d.Spec.Template.Spec.Containers)
			selector := "<none>"
			if d.Spec.Selector != nil {
				if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
					selector = sel.String()
				}
			}
			return []interface{}{d.Name, int64(s.DesiredNumberScheduled), int64(s.CurrentNumberScheduled), int64(s.NumberReady),
				int64(s.UpdatedNumberScheduled), int64(s.NumberAvailable), labels.FormatLabels(d.Spec.Template.Spec.NodeSelector),
				tables.Age(d.CreationTimestamp), names, images, selector}, nil
		},
	}
}
