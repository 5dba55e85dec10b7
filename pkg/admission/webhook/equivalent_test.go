package webhook

import (
	"bytes"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/registry/autoscaling/horizontalpodautoscaler"
)

// A webhook of an equivalent version sees the object converted to it,
// and its patch comes back in the request's version.
func TestEquivalentVersionConversion(t *testing.T) {
	v1 := Version{
		Resource: autoscalingv1.SchemeGroupVersion.WithResource("horizontalpodautoscalers"),
		Kind:     autoscalingv1.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"),
		To: func(o runtime.Object) (runtime.Object, error) {
			return horizontalpodautoscaler.FromV2(o.(*autoscalingv2.HorizontalPodAutoscaler)), nil
		},
		From: func(o runtime.Object) (runtime.Object, error) {
			return horizontalpodautoscaler.ToV2(o.(*autoscalingv1.HorizontalPodAutoscaler)), nil
		},
	}
	hpa := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "h", Namespace: "ns"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 5, ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "d"}}}
	a := &admission.Attributes{Operation: admission.Create, Object: hpa, Name: "h", Namespace: "ns",
		Kind: autoscalingv2.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"), Resource: autoscalingv2.SchemeGroupVersion.WithResource("horizontalpodautoscalers")}
	review, err := newReview(a, v1)
	if err != nil {
		t.Fatal(err)
	}
	if raw := review.Request.Object.Raw; !bytes.Contains(raw, []byte(`"apiVersion":"autoscaling/v1"`)) || !bytes.Contains(raw, []byte(`"maxReplicas":5`)) {
		t.Errorf("object sent %s", raw)
	}
	if review.Request.Kind.Version != "v1" || review.Request.RequestKind.Version != "v2" {
		t.Errorf("kinds %v, request %v", review.Request.Kind, review.Request.RequestKind)
	}
	changed, err := applyPatch(a, v1, []byte(`[{"op": "replace", "path": "/spec/maxReplicas", "value": 9}]`))
	if err != nil || !changed {
		t.Fatalf("patch: %v %v", changed, err)
	}
	if got, ok := a.Object.(*autoscalingv2.HorizontalPodAutoscaler); !ok || got.Spec.MaxReplicas != 9 || got.Spec.ScaleTargetRef.Name != "d" {
		t.Errorf("patched object %#v", a.Object)
	}
}
