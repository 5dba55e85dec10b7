package priority

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/auth/user"
)

func TestValidate(t *testing.T) {
	stored := []schedulingv1.PriorityClass{
		{ObjectMeta: metav1.ObjectMeta{Name: "d1"}, Value: 1, GlobalDefault: true},
		{ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Value: 2},
	}
	p := Plugin{PriorityClasses: func(context.Context) ([]schedulingv1.PriorityClass, error) { return stored, nil }}
	alice := &user.Info{Name: "alice"}
	pc := func(name string, def bool) *schedulingv1.PriorityClass {
		return &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, GlobalDefault: def}
	}
	for _, tc := range []struct {
		name string
		a    admission.Attributes
		want string
	}{
		{"a second default", admission.Attributes{Operation: admission.Create, Name: "d2", Object: pc("d2", true), User: alice},
			`priorityclasses.scheduling.k8s.io "d2" is forbidden: PriorityClass d1 is already marked as default. Only one default can exist`},
		{"a class made default", admission.Attributes{Operation: admission.Update, Name: "plain", Object: pc("plain", true), OldObject: pc("plain", false), User: alice},
			`PriorityClass d1 is already marked as default`},
		{"the default updated", admission.Attributes{Operation: admission.Update, Name: "d1", Object: pc("d1", true), OldObject: pc("d1", true), User: alice}, ""},
		{"not a default", admission.Attributes{Operation: admission.Create, Name: "x", Object: pc("x", false), User: alice}, ""},
		{"a system class deleted", admission.Attributes{Operation: admission.Delete, Name: "system-node-critical", User: alice},
			`priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted`},
		{"another class deleted", admission.Attributes{Operation: admission.Delete, Name: "plain", User: alice}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.a.Resource = priorityClasses
			err := p.Validate(context.Background(), &tc.a)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("= %v, want %q", err, tc.want)
			}
		})
	}
}

func TestAdmitPods(t *testing.T) {
	never := corev1.PreemptNever
	classes := []schedulingv1.PriorityClass{
		{ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 1000, PreemptionPolicy: &never},
		{ObjectMeta: metav1.ObjectMeta{Name: "def"}, Value: 7, GlobalDefault: true},
	}
	for _, tc := range []struct {
		name       string
		classes    []schedulingv1.PriorityClass
		spec       corev1.PodSpec
		wantClass  string
		wantValue  int32
		wantPolicy corev1.PreemptionPolicy
		wantErr    string
	}{
		{"no classes", nil, corev1.PodSpec{}, "", 0, corev1.PreemptLowerPriority, ""},
		{"the default class", classes, corev1.PodSpec{}, "def", 7, corev1.PreemptLowerPriority, ""},
		{"a named class", classes, corev1.PodSpec{PriorityClassName: "high"}, "high", 1000, never, ""},
		{"a missing class", classes, corev1.PodSpec{PriorityClassName: "nope"}, "", 0, "", `pods "p" is forbidden: no PriorityClass with name nope was found`},
		{"a conflicting value", classes, corev1.PodSpec{PriorityClassName: "high", Priority: ptr.To[int32](5)}, "", 0, "",
			`pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name`},
		{"the computed value given", classes, corev1.PodSpec{PriorityClassName: "high", Priority: ptr.To[int32](1000)}, "high", 1000, never, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Plugin{PriorityClasses: func(context.Context) ([]schedulingv1.PriorityClass, error) { return tc.classes, nil }}
			pod := &corev1.Pod{Spec: tc.spec}
			err := p.Admit(context.Background(), &admission.Attributes{Operation: admission.Create, Resource: pods, Name: "p", Object: pod})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pod.Spec.PriorityClassName != tc.wantClass || *pod.Spec.Priority != tc.wantValue || *pod.Spec.PreemptionPolicy != tc.wantPolicy {
				t.Errorf("class %q priority %d policy %s", pod.Spec.PriorityClassName, *pod.Spec.Priority, *pod.Spec.PreemptionPolicy)
			}
		})
	}
	// An update keeps what creation set.
	old := &corev1.Pod{Spec: corev1.PodSpec{Priority: ptr.To[int32](7), PreemptionPolicy: ptr.To(corev1.PreemptLowerPriority)}}
	pod := &corev1.Pod{}
	if err := (Plugin{}).Admit(context.Background(), &admission.Attributes{Operation: admission.Update, Resource: pods, Object: pod, OldObject: old}); err != nil || *pod.Spec.Priority != 7 {
		t.Errorf("update: %v %v", err, pod.Spec.Priority)
	}
}
