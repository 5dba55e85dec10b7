// Package horizontalpodautoscaler is the autoscaling/v2
// HorizontalPodAutoscaler resource (horizontalpodautoscalers, namespaced,
// short name hpa, category all) as kube-apiserver 1.31 serves it: kube's
// defaults (one replica at least, 80% CPU when no metric is given), its
// validation of bounds, target and metric types with its messages, a
// generation that moves with the spec, /status, and kube's columns.
// autoscaling/v1 (what kubectl autoscale writes) is not served yet;
// scaling is kube-controller-manager's.
package horizontalpodautoscaler

import (
	"context"
	"fmt"
	"slices"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// defaultCPUUtilization is the target when no metric is given, kube's.
const defaultCPUUtilization = int32(80)

// Type is the horizontalpodautoscalers resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: autoscalingv2.SchemeGroupVersion.WithResource("horizontalpodautoscalers"),
			Kind:                 "HorizontalPodAutoscaler",
			ListKind:             "HorizontalPodAutoscalerList",
			Singular:             "horizontalpodautoscaler",
			ShortNames:           []string{"hpa"},
			Categories:           []string{"all"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
		NewList:  func() runtime.Object { return &autoscalingv2.HorizontalPodAutoscalerList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*autoscalingv2.HorizontalPodAutoscaler)) },
	}
}

// StatusType is the type of horizontalpodautoscalers/status.
func StatusType() rest.Type { return Type().WithStrategy(rest.StatusStrategy{}) }

// Default sets one replica at least and, without metrics, 80% CPU.
func Default(h *autoscalingv2.HorizontalPodAutoscaler) {
	if h.Spec.MinReplicas == nil {
		one := int32(1)
		h.Spec.MinReplicas = &one
	}
	if len(h.Spec.Metrics) == 0 {
		target := defaultCPUUtilization
		h.Spec.Metrics = []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target},
			},
		}}
	}
}

// Strategy is the HorizontalPodAutoscaler rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// PrepareForCreate clears the status; kube keeps no generation here.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*autoscalingv2.HorizontalPodAutoscaler).Status = autoscalingv2.HorizontalPodAutoscalerStatus{}
}

// SpecChanged is false: kube keeps no generation for autoscalers.
func (Strategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// Validate checks a new autoscaler.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*autoscalingv2.HorizontalPodAutoscaler))
}

// ValidateUpdate checks the new autoscaler.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*autoscalingv2.HorizontalPodAutoscaler))
}

var metricTypes = []string{"ContainerResource", "External", "Object", "Pods", "Resource"}

// Validate returns the errors of h, as kube's
// ValidateHorizontalPodAutoscaler.
func Validate(h *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	spec := &h.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	minReplicas := int32(1)
	if spec.MinReplicas != nil {
		minReplicas = *spec.MinReplicas
		if minReplicas < 1 {
			errs = append(errs, field.Invalid(fld.Child("minReplicas"), minReplicas, "must be greater than or equal to 1"))
		}
	}
	switch {
	case spec.MaxReplicas < 1:
		errs = append(errs, field.Invalid(fld.Child("maxReplicas"), spec.MaxReplicas, "must be greater than 0"))
	case spec.MaxReplicas < minReplicas:
		errs = append(errs, field.Invalid(fld.Child("maxReplicas"), spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	ref := fld.Child("scaleTargetRef")
	if spec.ScaleTargetRef.Kind == "" {
		errs = append(errs, field.Required(ref.Child("kind"), ""))
	}
	if spec.ScaleTargetRef.Name == "" {
		errs = append(errs, field.Required(ref.Child("name"), ""))
	}
	scalesToZero := false
	for i, m := range spec.Metrics {
		at := fld.Child("metrics").Index(i)
		if !slices.Contains(metricTypes, string(m.Type)) {
			errs = append(errs, field.NotSupported(at.Child("type"), m.Type, metricTypes))
			continue
		}
		if m.Type == autoscalingv2.ObjectMetricSourceType || m.Type == autoscalingv2.ExternalMetricSourceType {
			scalesToZero = true
		}
		if sourceOf(m) == nil {
			errs = append(errs, field.Required(at.Child(sourceField(m.Type)), "must populate information for the given metric source"))
		}
	}
	if minReplicas == 0 && !scalesToZero {
		errs = append(errs, field.Forbidden(fld.Child("metrics"), "must specify at least one Object or External metric to support scaling to zero replicas"))
	}
	return errs
}

// sourceField is the JSON name of the source of a metric type.
func sourceField(t autoscalingv2.MetricSourceType) string {
	s := string(t)
	return strings.ToLower(s[:1]) + s[1:]
}

func sourceOf(m autoscalingv2.MetricSpec) any {
	switch m.Type {
	case autoscalingv2.ResourceMetricSourceType:
		if m.Resource != nil {
			return m.Resource
		}
	case autoscalingv2.ContainerResourceMetricSourceType:
		if m.ContainerResource != nil {
			return m.ContainerResource
		}
	case autoscalingv2.PodsMetricSourceType:
		if m.Pods != nil {
			return m.Pods
		}
	case autoscalingv2.ObjectMetricSourceType:
		if m.Object != nil {
			return m.Object
		}
	case autoscalingv2.ExternalMetricSourceType:
		if m.External != nil {
			return m.External
		}
	}
	return nil
}

// Table prints autoscalers as kube-apiserver does: NAME, REFERENCE,
// TARGETS, MINPODS, MAXPODS, REPLICAS, AGE.
func Table() tables.Convertor {
	spec := autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Reference", spec["scaleTargetRef"]),
			tables.Column("Targets", spec["metrics"]),
			tables.Column("MinPods", spec["minReplicas"]),
			{Name: "MaxPods", Type: "integer", Description: spec["maxReplicas"]},
			{Name: "Replicas", Type: "integer", Description: autoscalingv2.HorizontalPodAutoscalerStatus{}.SwaggerDoc()["currentReplicas"]},
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			h, ok := obj.(*autoscalingv2.HorizontalPodAutoscaler)
			if !ok {
				return nil, fmt.Errorf("not a HorizontalPodAutoscaler: %T", obj)
			}
			minPods := "<unset>"
			if h.Spec.MinReplicas != nil {
				minPods = fmt.Sprint(*h.Spec.MinReplicas)
			}
			reference := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
			return []interface{}{h.Name, reference, targets(h), minPods, int64(h.Spec.MaxReplicas), int64(h.Status.CurrentReplicas),
				tables.Age(h.CreationTimestamp)}, nil
		},
	}
}

// targets prints each metric's current value and target as kube's
// printer does for resource metrics, <unknown> until the controller
// reports, and <none> without metrics.
func targets(h *autoscalingv2.HorizontalPodAutoscaler) string {
	var out []string
	for i, m := range h.Spec.Metrics {
		current := "<unknown>"
		switch {
		case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil:
			t := m.Resource.Target
			if t.AverageUtilization != nil {
				if i < len(h.Status.CurrentMetrics) && h.Status.CurrentMetrics[i].Resource != nil && h.Status.CurrentMetrics[i].Resource.Current.AverageUtilization != nil {
					current = fmt.Sprintf("%d%%", *h.Status.CurrentMetrics[i].Resource.Current.AverageUtilization)
				}
				out = append(out, fmt.Sprintf("%s: %s/%d%%", m.Resource.Name, current, *t.AverageUtilization))
			} else if t.AverageValue != nil {
				out = append(out, fmt.Sprintf("%s: %s/%s", m.Resource.Name, current, t.AverageValue.String()))
			}
		default:
			out = append(out, current)
		}
	}
	if len(out) == 0 {
		return "<none>"
	}
	return strings.Join(out, ", ")
}
