package defaulttolerationseconds

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/apiserver/apiserver/pkg/admission"
)

func TestAdmit(t *testing.T) {
	tests := []struct {
		name  string
		have  []corev1.Toleration
		op    admission.Operation
		sub   string
		added []string
	}{
		{"none", nil, admission.Create, "", []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable}},
		{"on update too", nil, admission.Update, "", []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable}},
		{"not on status", nil, admission.Update, "status", nil},
		{"not-ready tolerated", []corev1.Toleration{{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}}, admission.Create, "", []string{corev1.TaintNodeUnreachable}},
		{"everything tolerated", []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, admission.Create, "", nil},
		{"another effect", []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}, admission.Create, "", []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable}},
	}
	for _, tt := range tests {
		pod := &corev1.Pod{Spec: corev1.PodSpec{Tolerations: tt.have}}
		if err := (Plugin{}).Admit(context.Background(), &admission.Attributes{Operation: tt.op, Resource: pods, Subresource: tt.sub, Object: pod}); err != nil {
			t.Fatal(err)
		}
		added := pod.Spec.Tolerations[len(tt.have):]
		if len(added) != len(tt.added) {
			t.Errorf("%s: added %v, want %v", tt.name, added, tt.added)
			continue
		}
		for i, key := range tt.added {
			if a := added[i]; a.Key != key || a.Effect != corev1.TaintEffectNoExecute || *a.TolerationSeconds != 300 || a.Operator != corev1.TolerationOpExists {
				t.Errorf("%s: added %+v", tt.name, a)
			}
		}
	}
}
