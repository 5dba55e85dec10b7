package priorityclass

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestValidate: kube-apiserver 1.31's answers, recorded with the reference
// script, each as "field: message".
func TestValidate(t *testing.T) {
	never, sometimes := corev1.PreemptNever, corev1.PreemptionPolicy("Sometimes")
	pc := func(name string, value int32) *schedulingv1.PriorityClass {
		return &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value}
	}
	withPolicy := func(p *schedulingv1.PriorityClass, policy *corev1.PreemptionPolicy) *schedulingv1.PriorityClass {
		p.PreemptionPolicy = policy
		return p
	}
	for _, tc := range []struct {
		name string
		pc   *schedulingv1.PriorityClass
		want []string
	}{
		{"a user's", pc("p", 7), nil},
		{"negative", pc("neg", -5), nil},
		{"a system class as it is", SystemPriorityClasses()[0], nil},
		{"another system- name", pc("system-x", 5), []string{"metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-x is not a known system priority class"}},
		{"a system class of another value", pc("system-node-critical", 5), []string{"error: value of system-node-critical PriorityClass must be 2000001000"}},
		{"too high", pc("big", 2_000_000_000), []string{"value: Forbidden: maximum allowed value of a user defined priority is 1000000000"}},
		{"an unknown policy", withPolicy(pc("pp", 1), &sometimes), []string{`preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := Validate(tc.pc)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors = %v, want %q", errs, tc.want)
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tc.want[i]) {
					t.Errorf("error %q, want %q", e, tc.want[i])
				}
			}
		})
	}
	old := withPolicy(pc("p1", 1), nil)
	Default(old)
	changed := withPolicy(pc("p1", 3), &never)
	errs := ValidateUpdate(changed, old)
	if len(errs) != 2 || errs[0].Error() != "value: Forbidden: may not be changed in an update." ||
		errs[1].Error() != `preemptionPolicy: Invalid value: "Never": field is immutable` {
		t.Errorf("update errors = %v", errs)
	}
	if *old.PreemptionPolicy != corev1.PreemptLowerPriority {
		t.Errorf("defaulted preemptionPolicy = %s", *old.PreemptionPolicy)
	}
}

func TestTable(t *testing.T) {
	tc := Table()
	if len(tc.Columns) != 4 || tc.Columns[1].Name != "Value" || tc.Columns[1].Type != "integer" || tc.Columns[2].Name != "Global-Default" || tc.Columns[2].Type != "boolean" {
		t.Fatalf("columns = %+v", tc.Columns)
	}
	cells, err := tc.Cells(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "d1"}, Value: 1, GlobalDefault: true})
	if err != nil || cells[0] != "d1" || cells[1] != int64(1) || cells[2] != true {
		t.Errorf("cells = %v, %v", cells, err)
	}
}
