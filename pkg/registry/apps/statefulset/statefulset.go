// Package statefulset is the apps/v1 StatefulSet resource (statefulsets,
// namespaced, short name sts, category all) as kube-apiserver 1.31 serves
// it: kube's defaults, validation (kube checks the template's labels
// against the selector, not the Pod spec), the fields an update may
// change, a generation that moves with the spec, /status, /scale, and
// kube's columns.
package statefulset

import (
	"context"
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/internal/workload"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the statefulsets resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: appsv1.SchemeGroupVersion.WithResource("statefulsets"),
			Kind:                 "StatefulSet",
			ListKind:             "StatefulSetList",
			Singular:             "statefulset",
			ShortNames:           []string{"sts"},
			Categories:           []string{"all"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &appsv1.StatefulSet{} },
		NewList:  func() runtime.Object { return &appsv1.StatefulSetList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*appsv1.StatefulSet)) },
	}
}

// StatusType is the type of statefulsets/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// Replicas are what statefulsets/scale shows and changes.
var Replicas = generic.WorkloadReplicas

// Default sets what kube's defaulting of a StatefulSet sets on decode.
func Default(s *appsv1.StatefulSet) {
	spec := &s.Spec
	if spec.PodManagementPolicy == "" {
		spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	}
	if spec.UpdateStrategy.Type == "" {
		spec.UpdateStrategy.Type = appsv1.RollingUpdateStatefulSetStrategyType
		if spec.UpdateStrategy.RollingUpdate == nil {
			spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
	}
	if spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType && spec.UpdateStrategy.RollingUpdate != nil &&
		spec.UpdateStrategy.RollingUpdate.Partition == nil {
		zero := int32(0)
		spec.UpdateStrategy.RollingUpdate.Partition = &zero
	}
	if spec.PersistentVolumeClaimRetentionPolicy == nil {
		spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	if spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted == "" {
		spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if spec.PersistentVolumeClaimRetentionPolicy.WhenScaled == "" {
		spec.PersistentVolumeClaimRetentionPolicy.WhenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if spec.Replicas == nil {
		one := int32(1)
		spec.Replicas = &one
	}
	if spec.RevisionHistoryLimit == nil {
		ten := int32(10)
		spec.RevisionHistoryLimit = &ten
	}
	core.DefaultPodTemplate(&spec.Template)
}

// Strategy is the StatefulSet rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// Validate checks a new StatefulSet.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*appsv1.StatefulSet))
}

// ValidateUpdate checks the new StatefulSet, of which only some fields
// may change.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	s, o := obj.(*appsv1.StatefulSet), old.(*appsv1.StatefulSet)
	errs := Validate(s)
	a, b := s.Spec.DeepCopy(), o.Spec.DeepCopy()
	for _, spec := range []*appsv1.StatefulSetSpec{a, b} {
		spec.Replicas, spec.Ordinals, spec.Template, spec.UpdateStrategy = nil, nil, corev1.PodTemplateSpec{}, appsv1.StatefulSetUpdateStrategy{}
		spec.PersistentVolumeClaimRetentionPolicy, spec.MinReadySeconds = nil, 0
	}
	if !reflect.DeepEqual(a, b) {
		errs = append(errs, field.Forbidden(field.NewPath("spec"), "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"))
	}
	return errs
}

// Validate returns the errors of s, as kube's ValidateStatefulSet.
func Validate(s *appsv1.StatefulSet) field.ErrorList {
	spec := &s.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	switch spec.PodManagementPolicy {
	case "":
		errs = append(errs, field.Required(fld.Child("podManagementPolicy"), ""))
	case appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
	default:
		errs = append(errs, field.Invalid(fld.Child("podManagementPolicy"), spec.PodManagementPolicy, "must be 'OrderedReady' or 'Parallel'"))
	}
	us := fld.Child("updateStrategy")
	switch spec.UpdateStrategy.Type {
	case "":
		errs = append(errs, field.Required(us, ""))
	case appsv1.OnDeleteStatefulSetStrategyType:
		if spec.UpdateStrategy.RollingUpdate != nil {
			errs = append(errs, field.Invalid(us.Child("rollingUpdate"), core.Printed("&apps.RollingUpdateStatefulSetStrategy{...}"), "only allowed for updateStrategy 'RollingUpdate'"))
		}
	case appsv1.RollingUpdateStatefulSetStrategyType:
		if ru := spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
			errs = append(errs, workload.NonNegative(*ru.Partition, us.Child("rollingUpdate", "partition"))...)
		}
	default:
		ru := "(*apps.RollingUpdateStatefulSetStrategy)(nil)"
		if spec.UpdateStrategy.RollingUpdate != nil {
			ru = "&apps.RollingUpdateStatefulSetStrategy{...}"
		}
		errs = append(errs, field.Invalid(us, core.Printed(fmt.Sprintf("apps.StatefulSetUpdateStrategy{Type:%q, RollingUpdate:%s}", spec.UpdateStrategy.Type, ru)), "must be 'RollingUpdate' or 'OnDelete'"))
	}
	if p := spec.PersistentVolumeClaimRetentionPolicy; p != nil {
		for _, c := range []struct {
			name string
			v    appsv1.PersistentVolumeClaimRetentionPolicyType
		}{{"whenDeleted", p.WhenDeleted}, {"whenScaled", p.WhenScaled}} {
			if c.v != appsv1.RetainPersistentVolumeClaimRetentionPolicyType && c.v != appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
				errs = append(errs, field.NotSupported(fld.Child("persistentVolumeClaimRetentionPolicy", c.name), c.v, []string{"Retain", "Delete"}))
			}
		}
	}
	if o := spec.Ordinals; o != nil {
		errs = append(errs, workload.NonNegative(o.Start, fld.Child("ordinals", "start"))...)
	}
	if spec.Replicas != nil {
		errs = append(errs, workload.NonNegative(*spec.Replicas, fld.Child("replicas"))...)
	}
	errs = append(errs, workload.NonNegative(spec.MinReadySeconds, fld.Child("minReadySeconds"))...)
	if spec.Selector == nil {
		errs = append(errs, field.Required(fld.Child("selector"), ""))
	} else {
		errs = append(errs, metav1validation.ValidateLabelSelector(spec.Selector, metav1validation.LabelSelectorValidationOptions{}, fld.Child("selector"))...)
		if len(spec.Selector.MatchLabels)+len(spec.Selector.MatchExpressions) == 0 {
			errs = append(errs, field.Invalid(fld.Child("selector"), core.Printed(workload.PrintSelector(spec.Selector)), "empty selector is invalid for statefulset"))
		}
	}
	if sel, err := metav1.LabelSelectorAsSelector(spec.Selector); err == nil && !sel.Empty() && !sel.Matches(labels.Set(spec.Template.Labels)) {
		errs = append(errs, field.Invalid(fld.Child("template", "metadata", "labels"), core.Printed(fmt.Sprintf("%#v", spec.Template.Labels)), "`selector` does not match template `labels`"))
	}
	errs = append(errs, metav1validation.ValidateLabels(spec.Template.Labels, fld.Child("template", "labels"))...)
	if spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(fld.Child("template", "spec", "restartPolicy"), spec.Template.Spec.RestartPolicy, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	if spec.Template.Spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Forbidden(fld.Child("template", "spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in StatefulSet is not Supported"))
	}
	return errs
}

// statusStrategy is the strategy of statefulsets/status.
type statusStrategy struct{ rest.StatusStrategy }

// ValidateUpdate checks the counts of the status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	st := obj.(*appsv1.StatefulSet).Status
	fld := field.NewPath("status")
	var errs field.ErrorList
	for _, c := range []struct {
		name string
		v    int32
	}{{"replicas", st.Replicas}, {"readyReplicas", st.ReadyReplicas}, {"currentReplicas", st.CurrentReplicas},
		{"updatedReplicas", st.UpdatedReplicas}, {"availableReplicas", st.AvailableReplicas}} {
		errs = append(errs, workload.NonNegative(c.v, fld.Child(c.name))...)
	}
	return errs
}

// Table prints StatefulSets as kube-apiserver does: NAME, READY, AGE,
// and CONTAINERS, IMAGES with -o wide.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Ready", "Number of the pod with ready state"),
			tables.AgeColumn(),
			tables.WideColumn("Containers", "Names of each container in the template."),
			tables.WideColumn("Images", "Images referenced by each container in the template."),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			s, ok := obj.(*appsv1.StatefulSet)
			if !ok {
				return nil, fmt.Errorf("not a StatefulSet: %T", obj)
			}
			var desired int32
			if s.Spec.Replicas != nil {
				desired = *s.Spec.Replicas
			}
			names, images := workload.Containers(s.Spec.Template.Spec.Containers)
			return []interface{}{s.Name, fmt.Sprintf("%d/%d", s.Status.ReadyReplicas, desired), tables.Age(s.CreationTimestamp), names, images}, nil
		},
	}
}
