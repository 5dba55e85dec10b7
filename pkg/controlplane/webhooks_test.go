package controlplane

import (
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/registry/autoscaling/horizontalpodautoscaler"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// For matchPolicy Equivalent, a HorizontalPodAutoscaler (admitted as the
// stored autoscaling/v2 object) is seen in autoscaling/v1 too, converted
// both ways.
func TestTypedEquivalents(t *testing.T) {
	backend := newBackend(t)
	v2, err := generic.NewStore(backend, horizontalpodautoscaler.Type(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	v1, err := autoscalingV1(backend, nil)
	if err != nil {
		t.Fatal(err)
	}
	catalog := rest.NewCatalog()
	catalog.Set(rest.GroupVersion{GroupVersion: autoscalingv2.SchemeGroupVersion, Resources: []rest.Resource{v2.Declaration()}}, true)
	catalog.Set(rest.GroupVersion{GroupVersion: autoscalingv1.SchemeGroupVersion, Resources: []rest.Resource{v1}}, true)
	hpa := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "h", Namespace: "ns"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 5, MinReplicas: ptr.To[int32](2),
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "d", APIVersion: "apps/v1"}}}
	a := &admission.Attributes{Operation: admission.Create, Object: hpa,
		Kind: autoscalingv2.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"), Resource: autoscalingv2.SchemeGroupVersion.WithResource("horizontalpodautoscalers")}
	versions := equivalents(catalog)(a)
	if len(versions) != 1 || versions[0].Resource != autoscalingv1.SchemeGroupVersion.WithResource("horizontalpodautoscalers") || versions[0].To == nil {
		t.Fatalf("equivalents %+v", versions)
	}
	seen, err := versions[0].To(hpa)
	if err != nil {
		t.Fatal(err)
	}
	old, ok := seen.(*autoscalingv1.HorizontalPodAutoscaler)
	if !ok || old.Spec.MaxReplicas != 5 || old.Spec.ScaleTargetRef.Name != "d" {
		t.Fatalf("as v1: %#v", seen)
	}
	old.Spec.MaxReplicas = 7
	back, err := versions[0].From(old)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.(*autoscalingv2.HorizontalPodAutoscaler); got.Spec.MaxReplicas != 7 || *got.Spec.MinReplicas != 2 {
		t.Errorf("back in v2: %#v", back)
	}
}
