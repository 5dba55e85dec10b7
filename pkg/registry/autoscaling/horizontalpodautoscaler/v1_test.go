package horizontalpodautoscaler

import (
	"encoding/json"
	"reflect"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func v2From(t *testing.T, manifest string) *autoscalingv2.HorizontalPodAutoscaler {
	t.Helper()
	var h autoscalingv2.HorizontalPodAutoscaler
	if err := json.Unmarshal([]byte(manifest), &h); err != nil {
		t.Fatal(err)
	}
	Default(&h)
	return &h
}

// TestV1Annotations: what v1 cannot say goes into kube's annotations,
// byte for byte as kube-apiserver 1.31 wrote them for the same object.
func TestV1Annotations(t *testing.T) {
	h := v2From(t, `{"metadata":{"name":"h2","annotations":{"keep":"me"}},"spec":{"maxReplicas":3,"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"hd"},
		"metrics":[{"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}},{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}],
		"behavior":{"scaleDown":{"stabilizationWindowSeconds":60}}},
		"status":{"currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":40}}}],"desiredReplicas":0}}`)
	v1 := FromV2(h)
	want := map[string]string{
		"keep": "me",
		"autoscaling.alpha.kubernetes.io/behavior":        `{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15},{"Type":"Percent","Value":100,"PeriodSeconds":15}]},"ScaleDown":{"StabilizationWindowSeconds":60,"SelectPolicy":"Max","Policies":[{"Type":"Percent","Value":100,"PeriodSeconds":15}]}}`,
		"autoscaling.alpha.kubernetes.io/metrics":         `[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"100Mi"}}]`,
		"autoscaling.alpha.kubernetes.io/current-metrics": `[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":40,"currentAverageValue":"0"}}]`,
	}
	if !reflect.DeepEqual(v1.Annotations, want) {
		t.Errorf("annotations:\n got %q\nwant %q", v1.Annotations, want)
	}
	if *v1.Spec.TargetCPUUtilizationPercentage != 50 || *v1.Status.CurrentCPUUtilizationPercentage != 40 {
		t.Errorf("v1 spec %+v status %+v", v1.Spec, v1.Status)
	}
	if h.Annotations["keep"] != "me" || len(h.Annotations) != 1 {
		t.Errorf("the stored object's annotations changed: %v", h.Annotations)
	}
	// Back through v1 nothing is lost: the other metric comes first, as
	// kube orders them.
	back := ToV2(v1)
	if back.Annotations["keep"] != "me" || len(back.Annotations) != 1 {
		t.Errorf("round trip annotations: %v", back.Annotations)
	}
	if !reflect.DeepEqual(back.Spec.Behavior, h.Spec.Behavior) || len(back.Spec.Metrics) != 2 ||
		back.Spec.Metrics[0].Resource.Name != "memory" || *back.Spec.Metrics[1].Resource.Target.AverageUtilization != 50 {
		t.Errorf("round trip spec: %+v", back.Spec)
	}
}

// TestV1Defaults: a v1 object without a target gets kube's 80% CPU.
func TestV1Defaults(t *testing.T) {
	v1 := &autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "h"},
		Spec: autoscalingv1.HorizontalPodAutoscalerSpec{MaxReplicas: 2, ScaleTargetRef: autoscalingv1.CrossVersionObjectReference{Kind: "Deployment", Name: "d"}}}
	DefaultV1(v1)
	v2 := ToV2(v1)
	if *v2.Spec.MinReplicas != 1 || len(v2.Spec.Metrics) != 1 || *v2.Spec.Metrics[0].Resource.Target.AverageUtilization != 80 || v2.Annotations != nil {
		t.Errorf("v2 from a bare v1: %+v", v2)
	}
	if *FromV2(v2).Spec.TargetCPUUtilizationPercentage != 80 {
		t.Error("v1 does not show the default target")
	}
}

// TestTargets: kube's printer, recorded from kube-apiserver 1.31: the
// current value by index, at most two metrics.
func TestTargets(t *testing.T) {
	h := v2From(t, `{"spec":{"maxReplicas":3,"scaleTargetRef":{"kind":"Deployment","name":"hd"},
		"metrics":[{"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}},{"type":"Pods","pods":{"metric":{"name":"qps"},"target":{"type":"AverageValue","averageValue":"10"}}},{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}]},
		"status":{"currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":40,"averageValue":"200m"}}}],"desiredReplicas":0}}`)
	if got := targets(h); got != "memory: 200m/100Mi, <unknown>/10 + 1 more..." {
		t.Errorf("targets: %q", got)
	}
	h.Spec.Metrics = h.Spec.Metrics[2:]
	h.Status.CurrentMetrics = nil
	if got := targets(h); got != "cpu: <unknown>/50%" {
		t.Errorf("targets: %q", got)
	}
}
