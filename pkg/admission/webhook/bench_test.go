package webhook

import (
	"context"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/registry/admissionregistration/webhookconfiguration"
)

// BenchmarkValidatingWebhook is one no-op validating webhook call through
// the plugin; BenchmarkWebhookRoundTrip is the bare HTTP round trip to
// the same server, for comparison (go test -bench Webhook ./pkg/admission/webhook).
func BenchmarkValidatingWebhook(b *testing.B) {
	url, ca, _ := hookServer(b, func(*admissionv1.AdmissionRequest, *admissionv1.AdmissionResponse) {})
	p := Validating{Config{Source: sourceOf(nil, []webhookconfiguration.Hook{podHook("bench.example.com", url, ca)})}}
	a := &admission.Attributes{Operation: admission.Create, Resource: pods, Kind: podKind, Namespace: "ns", Name: "p",
		Object: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if err := p.Validate(ctx, a); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWebhookRoundTrip(b *testing.B) {
	url, ca, _ := hookServer(b, func(*admissionv1.AdmissionRequest, *admissionv1.AdmissionResponse) {})
	h := newHook(podHook("bench.example.com", url, ca))
	c, err := h.client()
	if err != nil {
		b.Fatal(err)
	}
	review, _ := newReview(&admission.Attributes{Operation: admission.Create, Resource: pods, Kind: podKind,
		Object: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}}, Version{Resource: pods, Kind: podKind})
	var out admissionv1.AdmissionReview
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if err := c.Post(ctx, nil, 10e9, review, &out); err != nil {
			b.Fatal(err)
		}
	}
}
