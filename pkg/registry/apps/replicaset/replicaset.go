// Package replicaset is the apps/v1 ReplicaSet resource (replicasets,
// namespaced, short name rs, category all) as kube-apiserver 1.31 serves
// it: kube's defaults and validation, a generation that moves with the
// spec, /status, /scale as autoscaling/v1 Scale, and kube's columns.
// Creating Pods needs kube-controller-manager, which this server has not.
package replicaset

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/internal/workload"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the replicasets resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: appsv1.SchemeGroupVersion.WithResource("replicasets"),
			Kind:                 "ReplicaSet",
			ListKind:             "ReplicaSetList",
			Singular:             "replicaset",
			ShortNames:           []string{"rs"},
			Categories:           []string{"all"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &appsv1.ReplicaSet{} },
		NewList:  func() runtime.Object { return &appsv1.ReplicaSetList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*appsv1.ReplicaSet)) },
	}
}

// StatusType is the type of replicasets/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// Replicas are what replicasets/scale shows and changes.
var Replicas = generic.WorkloadReplicas

// Default sets one replica when none is asked for, and the Pod template's
// defaults, as kube.
func Default(rs *appsv1.ReplicaSet) {
	if rs.Spec.Replicas == nil {
		one := int32(1)
		rs.Spec.Replicas = &one
	}
	core.DefaultPodTemplate(&rs.Spec.Template)
}

// Strategy is the ReplicaSet rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// Validate checks a new ReplicaSet.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*appsv1.ReplicaSet))
}

// ValidateUpdate checks the new ReplicaSet and that its selector stays.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	rs, o := obj.(*appsv1.ReplicaSet), old.(*appsv1.ReplicaSet)
	return append(Validate(rs), workload.ImmutableSelector(rs.Spec.Selector, o.Spec.Selector)...)
}

// Validate returns the errors of rs, as kube's ValidateReplicaSet.
func Validate(rs *appsv1.ReplicaSet) field.ErrorList {
	fld := field.NewPath("spec")
	var errs field.ErrorList
	if rs.Spec.Replicas != nil {
		errs = append(errs, workload.NonNegative(*rs.Spec.Replicas, fld.Child("replicas"))...)
	}
	errs = append(errs, workload.NonNegative(rs.Spec.MinReadySeconds, fld.Child("minReadySeconds"))...)
	errs = append(errs, workload.Selector(rs.Spec.Selector, rs.Spec.Template.Labels, fld)...)
	return append(errs, core.PodTemplate(&rs.Spec.Template, fld.Child("template"), []corev1.RestartPolicy{corev1.RestartPolicyAlways})...)
}

// statusStrategy is the strategy of replicasets/status.
type statusStrategy struct{ rest.StatusStrategy }

// ValidateUpdate checks the counts, none above status.replicas.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	st := obj.(*appsv1.ReplicaSet).Status
	fld := field.NewPath("status")
	var errs field.ErrorList
	counts := []struct {
		name string
		v    int32
	}{{"replicas", st.Replicas}, {"fullyLabeledReplicas", st.FullyLabeledReplicas}, {"readyReplicas", st.ReadyReplicas},
		{"availableReplicas", st.AvailableReplicas}, {"observedGeneration", int32(st.ObservedGeneration)}}
	for _, c := range counts {
		errs = append(errs, workload.NonNegative(c.v, fld.Child(c.name))...)
	}
	for _, c := range counts[1:4] {
		if c.v > st.Replicas {
			errs = append(errs, field.Invalid(fld.Child(c.name), c.v, "cannot be greater than status.replicas"))
		}
	}
	if st.AvailableReplicas > st.ReadyReplicas {
		errs = append(errs, field.Invalid(fld.Child("availableReplicas"), st.AvailableReplicas, "cannot be greater than readyReplicas"))
	}
	return errs
}

// Table prints ReplicaSets as kube-apiserver does: NAME, DESIRED,
// CURRENT, READY, AGE, and CONTAINERS, IMAGES, SELECTOR with -o wide.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			{Name: "Desired", Type: "integer", Description: appsv1.ReplicaSetSpec{}.SwaggerDoc()["replicas"]},
			{Name: "Current", Type: "integer", Description: appsv1.ReplicaSetStatus{}.SwaggerDoc()["replicas"]},
			{Name: "Ready", Type: "integer", Description: appsv1.ReplicaSetStatus{}.SwaggerDoc()["readyReplicas"]},
			tables.AgeColumn(),
			tables.WideColumn("Containers", "Names of each container in the template."),
			tables.WideColumn("Images", "Images referenced by each container in the template."),
			tables.WideColumn("Selector", appsv1.ReplicaSetSpec{}.SwaggerDoc()["selector"]),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			rs, ok := obj.(*appsv1.ReplicaSet)
			if !ok {
				return nil, fmt.Errorf("not a ReplicaSet: %T", obj)
			}
			var desired int32
			if rs.Spec.Replicas != nil {
				desired = *rs.Spec.Replicas
			}
			names, images := workload.Containers(rs.Spec.Template.Spec.Containers)
			selector := "<none>"
			if rs.Spec.Selector != nil {
				if s, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector); err == nil {
					selector = s.String()
				}
			}
			return []interface{}{rs.Name, int64(desired), int64(rs.Status.Replicas), int64(rs.Status.ReadyReplicas),
				tables.Age(rs.CreationTimestamp), names, images, selector}, nil
		},
	}
}
