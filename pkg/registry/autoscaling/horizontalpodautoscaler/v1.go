package horizontalpodautoscaler

import (
	"encoding/json"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// The annotations kube keeps what autoscaling/v1 cannot say in, so that an
// object read and written back through v1 loses nothing of its v2 form.
const (
	metricsAnnotation        = "autoscaling.alpha.kubernetes.io/metrics"
	currentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics"
	conditionsAnnotation     = "autoscaling.alpha.kubernetes.io/conditions"
	behaviorAnnotation       = "autoscaling.alpha.kubernetes.io/behavior"
)

var roundTripAnnotations = []string{metricsAnnotation, currentMetricsAnnotation, conditionsAnnotation, behaviorAnnotation}

// V1Info is autoscaling/v1's horizontalpodautoscalers, which serves the
// same stored objects as v2.
func V1Info() rest.ResourceInfo {
	info := Type().Info
	info.GroupVersionResource = autoscalingv1.SchemeGroupVersion.WithResource("horizontalpodautoscalers")
	return info
}

// DefaultV1 sets one replica at least, as kube's v1 defaults.
func DefaultV1(h *autoscalingv1.HorizontalPodAutoscaler) {
	if h.Spec.MinReplicas == nil {
		one := int32(1)
		h.Spec.MinReplicas = &one
	}
}

// V1Storage serves autoscaling/v1 over a store of v2 objects (the
// resource's or its status's).
func V1Storage(stored *generic.Store) generic.Converting {
	return generic.Converting{
		Stored:        stored,
		NewServed:     func() runtime.Object { return &autoscalingv1.HorizontalPodAutoscaler{} },
		NewServedList: func() runtime.Object { return &autoscalingv1.HorizontalPodAutoscalerList{} },
		ToStored: func(obj runtime.Object) (runtime.Object, error) {
			h, ok := obj.(*autoscalingv1.HorizontalPodAutoscaler)
			if !ok {
				return nil, generic.KindError("an autoscaling/v1 HorizontalPodAutoscaler", obj)
			}
			return ToV2(h), nil
		},
		FromStored: func(obj runtime.Object) runtime.Object { return FromV2(obj.(*autoscalingv2.HorizontalPodAutoscaler)) },
	}
}

// FromV2 converts a stored object to autoscaling/v1 as kube does: the
// first CPU utilization target is targetCPUUtilizationPercentage, and the
// other metrics, the current metrics, the conditions and the behavior go
// into annotations.
func FromV2(in *autoscalingv2.HorizontalPodAutoscaler) *autoscalingv1.HorizontalPodAutoscaler {
	out := &autoscalingv1.HorizontalPodAutoscaler{
		ObjectMeta: *in.ObjectMeta.DeepCopy(),
		Spec: autoscalingv1.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv1.CrossVersionObjectReference(in.Spec.ScaleTargetRef),
			MinReplicas:    in.Spec.MinReplicas,
			MaxReplicas:    in.Spec.MaxReplicas,
		},
		Status: autoscalingv1.HorizontalPodAutoscalerStatus{
			ObservedGeneration: in.Status.ObservedGeneration,
			LastScaleTime:      in.Status.LastScaleTime,
			CurrentReplicas:    in.Status.CurrentReplicas,
			DesiredReplicas:    in.Status.DesiredReplicas,
		},
	}
	for _, m := range in.Spec.Metrics {
		if isCPU(m.Type, m.Resource) {
			out.Spec.TargetCPUUtilizationPercentage = m.Resource.Target.AverageUtilization
			break
		}
	}
	var others []autoscalingv1.MetricSpec
	for _, m := range in.Spec.Metrics {
		if isCPU(m.Type, m.Resource) && m.Resource.Target.AverageUtilization != nil {
			continue
		}
		others = append(others, metricToV1(m))
	}
	var current []autoscalingv1.MetricStatus
	for _, m := range in.Status.CurrentMetrics {
		if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU && m.Resource.Current.AverageUtilization != nil {
			out.Status.CurrentCPUUtilizationPercentage = m.Resource.Current.AverageUtilization
		}
		current = append(current, metricStatusToV1(m))
	}
	var conditions []autoscalingv1.HorizontalPodAutoscalerCondition
	for _, c := range in.Status.Conditions {
		conditions = append(conditions, autoscalingv1.HorizontalPodAutoscalerCondition{
			Type: autoscalingv1.HorizontalPodAutoscalerConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	for _, k := range roundTripAnnotations {
		delete(out.Annotations, k)
	}
	annotate := func(key string, v any) {
		data, err := json.Marshal(v)
		if err != nil {
			return
		}
		if out.Annotations == nil {
			out.Annotations = map[string]string{}
		}
		out.Annotations[key] = string(data)
	}
	if len(others) > 0 {
		annotate(metricsAnnotation, others)
	}
	if len(current) > 0 {
		annotate(currentMetricsAnnotation, current)
	}
	if len(conditions) > 0 {
		annotate(conditionsAnnotation, conditions)
	}
	if b := in.Spec.Behavior; b != nil {
		annotate(behaviorAnnotation, internalBehavior{ScaleUp: internalRulesOf(b.ScaleUp), ScaleDown: internalRulesOf(b.ScaleDown)})
	}
	if len(out.Annotations) == 0 {
		out.Annotations = nil
	}
	return out
}

func isCPU(t autoscalingv2.MetricSourceType, r *autoscalingv2.ResourceMetricSource) bool {
	return t == autoscalingv2.ResourceMetricSourceType && r != nil && r.Name == corev1.ResourceCPU
}

// ToV2 converts an autoscaling/v1 object to the stored form, taking back
// what its annotations hold; with no metric at all, 80% CPU, as kube.
func ToV2(in *autoscalingv1.HorizontalPodAutoscaler) *autoscalingv2.HorizontalPodAutoscaler {
	out := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: *in.ObjectMeta.DeepCopy(),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference(in.Spec.ScaleTargetRef),
			MinReplicas:    in.Spec.MinReplicas,
			MaxReplicas:    in.Spec.MaxReplicas,
		},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{
			ObservedGeneration: in.Status.ObservedGeneration,
			LastScaleTime:      in.Status.LastScaleTime,
			CurrentReplicas:    in.Status.CurrentReplicas,
			DesiredReplicas:    in.Status.DesiredReplicas,
		},
	}
	var cpu []autoscalingv2.MetricSpec
	if t := in.Spec.TargetCPUUtilizationPercentage; t != nil {
		cpu = []autoscalingv2.MetricSpec{cpuMetric(*t)}
	}
	out.Spec.Metrics = cpu
	var others []autoscalingv1.MetricSpec
	if readAnnotation(out.Annotations, metricsAnnotation, &others) {
		out.Spec.Metrics = nil
		for _, m := range others {
			out.Spec.Metrics = append(out.Spec.Metrics, metricFromV1(m))
		}
		out.Spec.Metrics = append(out.Spec.Metrics, cpu...)
	}
	if c := in.Status.CurrentCPUUtilizationPercentage; c != nil {
		out.Status.CurrentMetrics = []autoscalingv2.MetricStatus{{Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricStatus{Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: c}}}}
	}
	var current []autoscalingv1.MetricStatus
	if readAnnotation(out.Annotations, currentMetricsAnnotation, &current) {
		out.Status.CurrentMetrics = nil
		for _, m := range current {
			out.Status.CurrentMetrics = append(out.Status.CurrentMetrics, metricStatusFromV1(m))
		}
	}
	if len(out.Spec.Metrics) == 0 {
		out.Spec.Metrics = []autoscalingv2.MetricSpec{cpuMetric(defaultCPUUtilization)}
	}
	var conditions []autoscalingv1.HorizontalPodAutoscalerCondition
	if readAnnotation(out.Annotations, conditionsAnnotation, &conditions) {
		for _, c := range conditions {
			out.Status.Conditions = append(out.Status.Conditions, autoscalingv2.HorizontalPodAutoscalerCondition{
				Type: autoscalingv2.HorizontalPodAutoscalerConditionType(c.Type), Status: c.Status,
				LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
			})
		}
	}
	var b internalBehavior
	if readAnnotation(out.Annotations, behaviorAnnotation, &b) {
		out.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: b.ScaleUp.v2(), ScaleDown: b.ScaleDown.v2()}
	}
	for _, k := range roundTripAnnotations {
		delete(out.Annotations, k)
	}
	if len(out.Annotations) == 0 {
		out.Annotations = nil
	}
	DefaultBehavior(out.Spec.Behavior)
	return out
}

// readAnnotation decodes the JSON of annotation key into v; false when it
// is absent or not JSON of that form (kept out, as kube fails such a
// conversion only where it cannot go on).
func readAnnotation(annotations map[string]string, key string, v any) bool {
	data, ok := annotations[key]
	return ok && json.Unmarshal([]byte(data), v) == nil
}

func cpuMetric(utilization int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &utilization},
	}}
}

func metricToV1(m autoscalingv2.MetricSpec) autoscalingv1.MetricSpec {
	out := autoscalingv1.MetricSpec{Type: autoscalingv1.MetricSourceType(m.Type)}
	switch {
	case m.Object != nil:
		o := &autoscalingv1.ObjectMetricSource{
			Target:     autoscalingv1.CrossVersionObjectReference(m.Object.DescribedObject),
			MetricName: m.Object.Metric.Name, Selector: m.Object.Metric.Selector, AverageValue: m.Object.Target.AverageValue,
		}
		if v := m.Object.Target.Value; v != nil {
			o.TargetValue = *v
		}
		out.Object = o
	case m.Pods != nil:
		p := &autoscalingv1.PodsMetricSource{MetricName: m.Pods.Metric.Name, Selector: m.Pods.Metric.Selector}
		if v := m.Pods.Target.AverageValue; v != nil {
			p.TargetAverageValue = *v
		}
		out.Pods = p
	case m.Resource != nil:
		out.Resource = &autoscalingv1.ResourceMetricSource{Name: m.Resource.Name,
			TargetAverageUtilization: m.Resource.Target.AverageUtilization, TargetAverageValue: m.Resource.Target.AverageValue}
	case m.ContainerResource != nil:
		out.ContainerResource = &autoscalingv1.ContainerResourceMetricSource{Name: m.ContainerResource.Name, Container: m.ContainerResource.Container,
			TargetAverageUtilization: m.ContainerResource.Target.AverageUtilization, TargetAverageValue: m.ContainerResource.Target.AverageValue}
	case m.External != nil:
		out.External = &autoscalingv1.ExternalMetricSource{MetricName: m.External.Metric.Name, MetricSelector: m.External.Metric.Selector,
			TargetValue: m.External.Target.Value, TargetAverageValue: m.External.Target.AverageValue}
	}
	return out
}

// targetType is Utilization when a utilization is given, else
// AverageValue, as kube reads v1's resource targets.
func targetType(utilization *int32) autoscalingv2.MetricTargetType {
	if utilization != nil {
		return autoscalingv2.UtilizationMetricType
	}
	return autoscalingv2.AverageValueMetricType
}

func metricFromV1(m autoscalingv1.MetricSpec) autoscalingv2.MetricSpec {
	out := autoscalingv2.MetricSpec{Type: autoscalingv2.MetricSourceType(m.Type)}
	switch {
	case m.Object != nil:
		t := autoscalingv2.ValueMetricType
		if m.Object.AverageValue != nil {
			t = autoscalingv2.AverageValueMetricType
		}
		value := m.Object.TargetValue
		out.Object = &autoscalingv2.ObjectMetricSource{
			DescribedObject: autoscalingv2.CrossVersionObjectReference(m.Object.Target),
			Metric:          autoscalingv2.MetricIdentifier{Name: m.Object.MetricName, Selector: m.Object.Selector},
			Target:          autoscalingv2.MetricTarget{Type: t, Value: &value, AverageValue: m.Object.AverageValue},
		}
	case m.Pods != nil:
		v := m.Pods.TargetAverageValue
		out.Pods = &autoscalingv2.PodsMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: m.Pods.MetricName, Selector: m.Pods.Selector},
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &v}}
	case m.Resource != nil:
		out.Resource = &autoscalingv2.ResourceMetricSource{Name: m.Resource.Name, Target: autoscalingv2.MetricTarget{
			Type: targetType(m.Resource.TargetAverageUtilization), AverageUtilization: m.Resource.TargetAverageUtilization, AverageValue: m.Resource.TargetAverageValue}}
	case m.ContainerResource != nil:
		c := m.ContainerResource
		out.ContainerResource = &autoscalingv2.ContainerResourceMetricSource{Name: c.Name, Container: c.Container, Target: autoscalingv2.MetricTarget{
			Type: targetType(c.TargetAverageUtilization), AverageUtilization: c.TargetAverageUtilization, AverageValue: c.TargetAverageValue}}
	case m.External != nil:
		t := autoscalingv2.ValueMetricType
		if m.External.TargetValue == nil {
			t = autoscalingv2.AverageValueMetricType
		}
		out.External = &autoscalingv2.ExternalMetricSource{
			Metric: autoscalingv2.MetricIdentifier{Name: m.External.MetricName, Selector: m.External.MetricSelector},
			Target: autoscalingv2.MetricTarget{Type: t, Value: m.External.TargetValue, AverageValue: m.External.TargetAverageValue},
		}
	}
	return out
}

func metricStatusToV1(m autoscalingv2.MetricStatus) autoscalingv1.MetricStatus {
	out := autoscalingv1.MetricStatus{Type: autoscalingv1.MetricSourceType(m.Type)}
	switch {
	case m.Object != nil:
		o := &autoscalingv1.ObjectMetricStatus{Target: autoscalingv1.CrossVersionObjectReference(m.Object.DescribedObject),
			MetricName: m.Object.Metric.Name, Selector: m.Object.Metric.Selector, AverageValue: m.Object.Current.AverageValue}
		if v := m.Object.Current.Value; v != nil {
			o.CurrentValue = *v
		}
		out.Object = o
	case m.Pods != nil:
		p := &autoscalingv1.PodsMetricStatus{MetricName: m.Pods.Metric.Name, Selector: m.Pods.Metric.Selector}
		if v := m.Pods.Current.AverageValue; v != nil {
			p.CurrentAverageValue = *v
		}
		out.Pods = p
	case m.Resource != nil:
		r := &autoscalingv1.ResourceMetricStatus{Name: m.Resource.Name, CurrentAverageUtilization: m.Resource.Current.AverageUtilization}
		if v := m.Resource.Current.AverageValue; v != nil {
			r.CurrentAverageValue = *v
		}
		out.Resource = r
	case m.ContainerResource != nil:
		c := &autoscalingv1.ContainerResourceMetricStatus{Name: m.ContainerResource.Name, Container: m.ContainerResource.Container,
			CurrentAverageUtilization: m.ContainerResource.Current.AverageUtilization}
		if v := m.ContainerResource.Current.AverageValue; v != nil {
			c.CurrentAverageValue = *v
		}
		out.ContainerResource = c
	case m.External != nil:
		e := &autoscalingv1.ExternalMetricStatus{MetricName: m.External.Metric.Name, MetricSelector: m.External.Metric.Selector,
			CurrentAverageValue: m.External.Current.AverageValue}
		if v := m.External.Current.Value; v != nil {
			e.CurrentValue = *v
		}
		out.External = e
	}
	return out
}

func metricStatusFromV1(m autoscalingv1.MetricStatus) autoscalingv2.MetricStatus {
	out := autoscalingv2.MetricStatus{Type: autoscalingv2.MetricSourceType(m.Type)}
	switch {
	case m.Object != nil:
		v := m.Object.CurrentValue
		out.Object = &autoscalingv2.ObjectMetricStatus{DescribedObject: autoscalingv2.CrossVersionObjectReference(m.Object.Target),
			Metric:  autoscalingv2.MetricIdentifier{Name: m.Object.MetricName, Selector: m.Object.Selector},
			Current: autoscalingv2.MetricValueStatus{Value: &v, AverageValue: m.Object.AverageValue}}
	case m.Pods != nil:
		v := m.Pods.CurrentAverageValue
		out.Pods = &autoscalingv2.PodsMetricStatus{Metric: autoscalingv2.MetricIdentifier{Name: m.Pods.MetricName, Selector: m.Pods.Selector},
			Current: autoscalingv2.MetricValueStatus{AverageValue: &v}}
	case m.Resource != nil:
		v := m.Resource.CurrentAverageValue
		out.Resource = &autoscalingv2.ResourceMetricStatus{Name: m.Resource.Name,
			Current: autoscalingv2.MetricValueStatus{AverageValue: &v, AverageUtilization: m.Resource.CurrentAverageUtilization}}
	case m.ContainerResource != nil:
		v := m.ContainerResource.CurrentAverageValue
		out.ContainerResource = &autoscalingv2.ContainerResourceMetricStatus{Name: m.ContainerResource.Name, Container: m.ContainerResource.Container,
			Current: autoscalingv2.MetricValueStatus{AverageValue: &v, AverageUtilization: m.ContainerResource.CurrentAverageUtilization}}
	case m.External != nil:
		v := m.External.CurrentValue
		out.External = &autoscalingv2.ExternalMetricStatus{Metric: autoscalingv2.MetricIdentifier{Name: m.External.MetricName, Selector: m.External.MetricSelector},
			Current: autoscalingv2.MetricValueStatus{Value: &v, AverageValue: m.External.CurrentAverageValue}}
	}
	return out
}

// internalBehavior is kube's internal HorizontalPodAutoscalerBehavior,
// whose Go field names (it has no JSON tags) are what the behavior
// annotation holds.
type internalBehavior struct {
	ScaleUp, ScaleDown *internalRules
}

type internalRules struct {
	StabilizationWindowSeconds *int32
	SelectPolicy               *autoscalingv2.ScalingPolicySelect
	Policies                   []internalPolicy
}

type internalPolicy struct {
	Type          autoscalingv2.HPAScalingPolicyType
	Value         int32
	PeriodSeconds int32
}

func internalRulesOf(r *autoscalingv2.HPAScalingRules) *internalRules {
	if r == nil {
		return nil
	}
	out := &internalRules{StabilizationWindowSeconds: r.StabilizationWindowSeconds, SelectPolicy: r.SelectPolicy}
	for _, p := range r.Policies {
		out.Policies = append(out.Policies, internalPolicy(p))
	}
	return out
}

func (r *internalRules) v2() *autoscalingv2.HPAScalingRules {
	if r == nil {
		return nil
	}
	out := &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: r.StabilizationWindowSeconds, SelectPolicy: r.SelectPolicy}
	for _, p := range r.Policies {
		out.Policies = append(out.Policies, autoscalingv2.HPAScalingPolicy(p))
	}
	return out
}
