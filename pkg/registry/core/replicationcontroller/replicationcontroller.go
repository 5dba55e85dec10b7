// Package replicationcontroller is the core/v1 ReplicationController
// resource (replicationcontrollers, namespaced, short name rc, category
// all) as kube-apiserver 1.31 serves it: selector and labels defaulted
// from the template, kube's validation and messages, a generation that
// moves with the spec, /status, /scale, and kube's columns.
package replicationcontroller

import (
	"context"
	"fmt"
	"maps"

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

// Type is the replicationcontrollers resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("replicationcontrollers"),
			Kind:                 "ReplicationController",
			ListKind:             "ReplicationControllerList",
			Singular:             "replicationcontroller",
			ShortNames:           []string{"rc"},
			Categories:           []string{"all"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &corev1.ReplicationController{} },
		NewList:  func() runtime.Object { return &corev1.ReplicationControllerList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*corev1.ReplicationController)) },
	}
}

// StatusType is the type of replicationcontrollers/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// Replicas are what replicationcontrollers/scale shows and changes.
var Replicas = generic.Replicas{
	SpecPath: []string{"spec", "replicas"},
	Get: func(obj runtime.Object) (int32, int32, string) {
		rc := obj.(*corev1.ReplicationController)
		var spec int32
		if rc.Spec.Replicas != nil {
			spec = *rc.Spec.Replicas
		}
		return spec, rc.Status.Replicas, labels.SelectorFromSet(rc.Spec.Selector).String()
	},
	Set: func(obj runtime.Object, replicas int32) error {
		obj.(*corev1.ReplicationController).Spec.Replicas = &replicas
		return nil
	},
}

// Default takes the selector, and the labels when there are none, from
// the template; one replica; the template's defaults, as kube.
func Default(rc *corev1.ReplicationController) {
	if t := rc.Spec.Template; t != nil {
		if len(rc.Spec.Selector) == 0 {
			rc.Spec.Selector = maps.Clone(t.Labels)
		}
		if len(rc.Labels) == 0 {
			rc.Labels = maps.Clone(t.Labels)
		}
		core.DefaultPodTemplate(t)
	}
	if rc.Spec.Replicas == nil {
		one := int32(1)
		rc.Spec.Replicas = &one
	}
}

// Strategy is the ReplicationController rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// Validate checks a new controller.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.ReplicationController))
}

// ValidateUpdate checks the new controller.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.ReplicationController))
}

// Validate returns the errors of rc, as kube's
// ValidateReplicationControllerSpec.
func Validate(rc *corev1.ReplicationController) field.ErrorList {
	spec := &rc.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	if len(spec.Selector) == 0 {
		errs = append(errs, field.Required(fld.Child("selector"), ""))
	} else {
		errs = append(errs, metav1validation.ValidateLabels(spec.Selector, fld.Child("selector"))...)
	}
	if spec.Replicas != nil {
		errs = append(errs, workload.NonNegative(*spec.Replicas, fld.Child("replicas"))...)
	}
	errs = append(errs, workload.NonNegative(spec.MinReadySeconds, fld.Child("minReadySeconds"))...)
	t := spec.Template
	if t == nil {
		return append(errs, field.Required(fld.Child("template"), ""))
	}
	if len(spec.Selector) > 0 && !labels.SelectorFromSet(spec.Selector).Matches(labels.Set(t.Labels)) {
		errs = append(errs, field.Invalid(fld.Child("template", "metadata", "labels"), core.Printed(fmt.Sprintf("%#v", t.Labels)), "`selector` does not match template `labels`"))
	}
	return append(errs, core.PodTemplate(t, fld.Child("template"), []corev1.RestartPolicy{corev1.RestartPolicyAlways})...)
}

// statusStrategy is the strategy of replicationcontrollers/status.
type statusStrategy struct{ rest.StatusStrategy }

// ValidateUpdate checks the counts of the status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	st := obj.(*corev1.ReplicationController).Status
	fld := field.NewPath("status")
	var errs field.ErrorList
	for _, c := range []struct {
		name string
		v    int32
	}{{"replicas", st.Replicas}, {"fullyLabeledReplicas", st.FullyLabeledReplicas}, {"readyReplicas", st.ReadyReplicas}, {"availableReplicas", st.AvailableReplicas}} {
		errs = append(errs, workload.NonNegative(c.v, fld.Child(c.name))...)
	}
	return errs
}

// Table prints controllers as kube-apiserver does: NAME, DESIRED,
// CURRENT, READY, AGE, and CONTAINERS, IMAGES, SELECTOR with -o wide.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			{Name: "Desired", Type: "integer", Description: corev1.ReplicationControllerSpec{}.SwaggerDoc()["replicas"]},
			{Name: "Current", Type: "integer", Description: corev1.ReplicationControllerStatus{}.SwaggerDoc()["replicas"]},
			{Name: "Ready", Type: "integer", Description: corev1.ReplicationControllerStatus{}.SwaggerDoc()["readyReplicas"]},
			tables.AgeColumn(),
			tables.WideColumn("Containers", "Names of each container in the template."),
			tables.WideColumn("Images", "Images referenced by each container in the template."),
			tables.WideColumn("Selector", corev1.ReplicationControllerSpec{}.SwaggerDoc()["selector"]),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			rc, ok := obj.(*corev1.ReplicationController)
			if !ok {
				return nil, fmt.Errorf("not a ReplicationController: %T", obj)
			}
			var desired int32
			if rc.Spec.Replicas != nil {
				desired = *rc.Spec.Replicas
			}
			var names, images string
			if rc.Spec.Template != nil {
				names, images = workload.Containers(rc.Spec.Template.Spec.Containers)
			}
			return []interface{}{rc.Name, int64(desired), int64(rc.Status.Replicas), int64(rc.Status.ReadyReplicas),
				tables.Age(rc.CreationTimestamp), names, images, labels.FormatLabels(rc.Spec.Selector)}, nil
		},
	}
}
