package policy

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiserver/apiserver/pkg/admission"
)

// BenchmarkPolicy is one ConfigMap create through hack/bench/admission's
// policy of three validations: the CPU the policy adds to a create.
func BenchmarkPolicy(b *testing.B) {
	p := newPolicy("bench-three",
		admissionregistrationv1.Validation{Expression: "object.metadata.name.size() < 64"},
		admissionregistrationv1.Validation{Expression: "!has(object.data) || object.data.size() < 10"},
		admissionregistrationv1.Validation{Expression: "!has(object.metadata.labels) || !('forbidden' in object.metadata.labels)"})
	p.Spec.MatchConstraints.ResourceRules[0].Rule = admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}
	plugin := Plugin{Source: sourceOf(b, []*admissionregistrationv1.ValidatingAdmissionPolicy{p}, newBinding("bench-three", "bench-three", "Deny"))}
	a := &admission.Attributes{Operation: admission.Create, Resource: corev1.SchemeGroupVersion.WithResource("configmaps"),
		Kind: corev1.SchemeGroupVersion.WithKind("ConfigMap"), Namespace: "bench", Name: "cm",
		Object: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "bench"}, Data: map[string]string{"k": "v"}}}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if err := plugin.Validate(ctx, a); err != nil {
			b.Fatal(err)
		}
	}
}
