// Package horizontalpodautoscaler is the autoscaling/v2
// HorizontalPodAutoscaler resource (horizontalpodautoscalers, namespaced,
// short name hpa, category all) as kube-apiserver 1.31 serves it: kube's
// defaults (one replica at least, 80% CPU when no metric is given), its
// validation of bounds, target and metric types with its messages, a
// generation that moves with the spec, /status, and kube's columns.
// autoscaling/v1 (what kubectl autoscale writes) serves the same objects,
// converted as kube converts them; scaling is kube-controller-manager's.
package horizontalpodautoscaler

import (
	"context"
	"fmt"
	"slices"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

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

// Default sets one replica at least, without metrics 80% CPU, and the
// rules a given behavior leaves out.
func Default(h *autoscalingv2.HorizontalPodAutoscaler) {
	DefaultBehavior(h.Spec.Behavior)
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

// DefaultBehavior completes a behavior with kube's rules: scaling up by 4
// Pods or 100% every 15 s at once, down by 100% every 15 s, the larger
// change winning.
func DefaultBehavior(b *autoscalingv2.HorizontalPodAutoscalerBehavior) {
	if b == nil {
		return
	}
	up := autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](0), Policies: []autoscalingv2.HPAScalingPolicy{
		{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
		{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
	}}
	down := autoscalingv2.HPAScalingRules{Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}}
	b.ScaleUp, b.ScaleDown = rulesOver(b.ScaleUp, up), rulesOver(b.ScaleDown, down)
}

// rulesOver returns def with what given sets in place of its parts.
func rulesOver(given *autoscalingv2.HPAScalingRules, def autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	def.SelectPolicy = ptr.To(autoscalingv2.MaxChangePolicySelect)
	if given == nil {
		return &def
	}
	if given.SelectPolicy != nil {
		def.SelectPolicy = given.SelectPolicy
	}
	if given.StabilizationWindowSeconds != nil {
		def.StabilizationWindowSeconds = given.StabilizationWindowSeconds
	}
	if given.Policies != nil {
		def.Policies = given.Policies
	}
	return &def
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
			continue
		}
		errs = append(errs, validateSource(m, at.Child(sourceField(m.Type)))...)
	}
	if minReplicas == 0 && !scalesToZero {
		errs = append(errs, field.Forbidden(fld.Child("metrics"), "must specify at least one Object or External metric to support scaling to zero replicas"))
	}
	return errs
}

// sourceField is the JSON name of the source of a metric type.
// validateSource checks a metric's target as kube does, and a Resource
// or ContainerResource metric's name and kind of target.
func validateSource(m autoscalingv2.MetricSpec, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	var target autoscalingv2.MetricTarget
	switch {
	case m.Resource != nil:
		target = m.Resource.Target
		errs = append(errs, resourceSource(m.Resource.Name, target, fld)...)
	case m.ContainerResource != nil:
		target = m.ContainerResource.Target
		errs = append(errs, resourceSource(m.ContainerResource.Name, target, fld)...)
	case m.Pods != nil:
		target = m.Pods.Target
	case m.Object != nil:
		target = m.Object.Target
	case m.External != nil:
		target = m.External.Target
	}
	return append(errs, metricTarget(target, fld.Child("target"))...)
}

func resourceSource(name corev1.ResourceName, t autoscalingv2.MetricTarget, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		errs = append(errs, field.Required(fld.Child("name"), "must specify a resource name"))
	}
	switch {
	case t.AverageUtilization == nil && t.AverageValue == nil:
		errs = append(errs, field.Required(fld.Child("target", "averageUtilization"), "must set either a target raw value or a target utilization"))
	case t.AverageUtilization != nil && t.AverageValue != nil:
		errs = append(errs, field.Forbidden(fld.Child("target", "averageValue"), "may not set both a target raw value and a target utilization"))
	}
	return errs
}

// targetTypes are the kinds of target a metric may have.
var targetTypes = []autoscalingv2.MetricTargetType{autoscalingv2.UtilizationMetricType, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType}

func metricTarget(t autoscalingv2.MetricTarget, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if t.Type == "" {
		errs = append(errs, field.Required(fld.Child("type"), "must specify a metric target type"))
	}
	if !slices.Contains(targetTypes, t.Type) {
		errs = append(errs, field.Invalid(fld.Child("type"), t.Type, "must be either Utilization, Value, or AverageValue"))
	}
	if t.Value != nil && t.Value.Sign() != 1 {
		errs = append(errs, field.Invalid(fld.Child("value"), t.Value.String(), "must be positive"))
	}
	if t.AverageValue != nil && t.AverageValue.Sign() != 1 {
		errs = append(errs, field.Invalid(fld.Child("averageValue"), t.AverageValue.String(), "must be positive"))
	}
	if t.AverageUtilization != nil && *t.AverageUtilization < 1 {
		errs = append(errs, field.Invalid(fld.Child("averageUtilization"), *t.AverageUtilization, "must be greater than 0"))
	}
	return errs
}

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

// maxPrinted is how many metrics kube's printer shows before "+ N more".
const maxPrinted = 2

// targets prints each metric as kube's printer: current/target, the
// current value taken from the status metric at the same index.
func targets(h *autoscalingv2.HorizontalPodAutoscaler) string {
	if len(h.Spec.Metrics) == 0 {
		return "<none>"
	}
	var out []string
	for i, m := range h.Spec.Metrics {
		var cur *autoscalingv2.MetricStatus
		if i < len(h.Status.CurrentMetrics) {
			cur = &h.Status.CurrentMetrics[i]
		}
		out = append(out, printMetric(m, cur))
	}
	if len(out) > maxPrinted {
		return fmt.Sprintf("%s + %d more...", strings.Join(out[:maxPrinted], ", "), len(out)-maxPrinted)
	}
	return strings.Join(out, ", ")
}

// printMetric prints one metric against its status (nil: none).
func printMetric(m autoscalingv2.MetricSpec, cur *autoscalingv2.MetricStatus) string {
	value := func(q *resource.Quantity) string {
		if q == nil {
			return "<unknown>"
		}
		return q.String()
	}
	valueOf := func(v *autoscalingv2.MetricValueStatus, average bool) string {
		if v == nil {
			return "<unknown>"
		}
		if average {
			return value(v.AverageValue)
		}
		return value(v.Value)
	}
	// valueOrAverage prints a target of a value or an average value, as
	// External and Object metrics have.
	valueOrAverage := func(t autoscalingv2.MetricTarget, current *autoscalingv2.MetricValueStatus) string {
		if t.AverageValue != nil {
			return fmt.Sprintf("%s/%s (avg)", valueOf(current, true), t.AverageValue.String())
		}
		return fmt.Sprintf("%s/%s", valueOf(current, false), value(t.Value))
	}
	// resourceTarget prints a Resource or ContainerResource target.
	resourceTarget := func(name corev1.ResourceName, t autoscalingv2.MetricTarget, current *autoscalingv2.MetricValueStatus) string {
		if t.AverageValue != nil {
			return fmt.Sprintf("%s: %s/%s", name, valueOf(current, true), t.AverageValue.String())
		}
		now, target := "<unknown>", "<auto>"
		if current != nil && current.AverageUtilization != nil {
			now = fmt.Sprintf("%d%%", *current.AverageUtilization)
		}
		if t.AverageUtilization != nil {
			target = fmt.Sprintf("%d%%", *t.AverageUtilization)
		}
		return fmt.Sprintf("%s: %s/%s", name, now, target)
	}
	switch {
	case m.Type == autoscalingv2.ExternalMetricSourceType && m.External != nil:
		var c *autoscalingv2.MetricValueStatus
		if cur != nil && cur.External != nil {
			c = &cur.External.Current
		}
		return valueOrAverage(m.External.Target, c)
	case m.Type == autoscalingv2.ObjectMetricSourceType && m.Object != nil:
		var c *autoscalingv2.MetricValueStatus
		if cur != nil && cur.Object != nil {
			c = &cur.Object.Current
		}
		return valueOrAverage(m.Object.Target, c)
	case m.Type == autoscalingv2.PodsMetricSourceType && m.Pods != nil:
		var c *autoscalingv2.MetricValueStatus
		if cur != nil && cur.Pods != nil {
			c = &cur.Pods.Current
		}
		return fmt.Sprintf("%s/%s", valueOf(c, true), value(m.Pods.Target.AverageValue))
	case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil:
		var c *autoscalingv2.MetricValueStatus
		if cur != nil && cur.Resource != nil {
			c = &cur.Resource.Current
		}
		return resourceTarget(m.Resource.Name, m.Resource.Target, c)
	case m.Type == autoscalingv2.ContainerResourceMetricSourceType && m.ContainerResource != nil:
		var c *autoscalingv2.MetricValueStatus
		if cur != nil && cur.ContainerResource != nil {
			c = &cur.ContainerResource.Current
		}
		return resourceTarget(m.ContainerResource.Name, m.ContainerResource.Target, c)
	}
	return "<unknown type>"
}
