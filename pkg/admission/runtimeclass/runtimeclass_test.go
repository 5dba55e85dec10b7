package runtimeclass

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/admission"
)

func TestAdmitAndValidate(t *testing.T) {
	classes := map[string]*nodev1.RuntimeClass{
		"plain": {ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Handler: "runc"},
		"heavy": {ObjectMeta: metav1.ObjectMeta{Name: "heavy"}, Handler: "kata",
			Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}},
			Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"sandbox": "yes"},
				Tolerations: []corev1.Toleration{{Key: "sandbox", Operator: corev1.TolerationOpExists}}}},
	}
	p := Plugin{RuntimeClasses: func(_ context.Context, name string) (*nodev1.RuntimeClass, error) {
		if rc, ok := classes[name]; ok {
			return rc, nil
		}
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: "node.k8s.io", Resource: "runtimeclasses"}, name)
	}}
	tests := []struct {
		name    string
		spec    corev1.PodSpec
		wantErr string
		check   func(t *testing.T, s corev1.PodSpec)
	}{
		{"no class", corev1.PodSpec{}, "", nil},
		{"missing class", corev1.PodSpec{RuntimeClassName: ptr.To("nope")}, `pods "p" is forbidden: pod rejected: RuntimeClass "nope" not found`, nil},
		{"plain class", corev1.PodSpec{RuntimeClassName: ptr.To("plain")}, "", func(t *testing.T, s corev1.PodSpec) {
			if s.Overhead != nil || s.NodeSelector != nil {
				t.Errorf("plain class changed the Pod: %+v", s)
			}
		}},
		{"overhead and scheduling", corev1.PodSpec{RuntimeClassName: ptr.To("heavy")}, "", func(t *testing.T, s corev1.PodSpec) {
			if s.Overhead.Cpu().String() != "250m" || s.NodeSelector["sandbox"] != "yes" || len(s.Tolerations) != 1 {
				t.Errorf("heavy class: %+v", s)
			}
		}},
		{"conflicting selector", corev1.PodSpec{RuntimeClassName: ptr.To("heavy"), NodeSelector: map[string]string{"sandbox": "no"}},
			`pods "p" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = yes; pod.spec.nodeSelector[sandbox] = no`, nil},
		{"the same overhead, written otherwise", corev1.PodSpec{RuntimeClassName: ptr.To("heavy"), Overhead: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0.25")}}, "", nil},
		{"other overhead", corev1.PodSpec{RuntimeClassName: ptr.To("heavy"), Overhead: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}},
			`pods "p" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead`, nil},
		{"overhead without one", corev1.PodSpec{RuntimeClassName: ptr.To("plain"), Overhead: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}},
			`pods "p" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead`, nil},
	}
	for _, tt := range tests {
		pod := &corev1.Pod{Spec: tt.spec}
		a := &admission.Attributes{Operation: admission.Create, Resource: pods, Name: "p", Object: pod}
		err := p.Admit(context.Background(), a)
		if err == nil {
			err = p.Validate(context.Background(), a)
		}
		if (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.wantErr)
			continue
		}
		if tt.check != nil {
			tt.check(t, pod.Spec)
		}
	}
}
