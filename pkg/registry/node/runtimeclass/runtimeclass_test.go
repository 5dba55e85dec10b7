package runtimeclass

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestValidate: kube-apiserver 1.31's messages for the same objects,
// recorded with the reference script.
func TestValidate(t *testing.T) {
	rc := func(handler string, mutate func(*nodev1.RuntimeClass)) *nodev1.RuntimeClass {
		r := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "rc"}, Handler: handler}
		if mutate != nil {
			mutate(r)
		}
		return r
	}
	tolerate := func(ts ...corev1.Toleration) func(*nodev1.RuntimeClass) {
		return func(r *nodev1.RuntimeClass) { r.Scheduling = &nodev1.Scheduling{Tolerations: ts} }
	}
	label := `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
	for _, tc := range []struct {
		name string
		rc   *nodev1.RuntimeClass
		want []string
	}{
		{"plain", rc("runc", nil), nil},
		{"with everything", rc("x", func(r *nodev1.RuntimeClass) {
			r.Overhead = &nodev1.Overhead{PodFixed: corev1.ResourceList{"cpu": resource.MustParse("100m"), "memory": resource.MustParse("1Mi")}}
			r.Scheduling = &nodev1.Scheduling{NodeSelector: map[string]string{"a": "b"}, Tolerations: []corev1.Toleration{{Key: "k", Operator: "Exists", Effect: "NoSchedule"}}}
		}), nil},
		{"a bad handler", rc("Bad_Handler", nil), []string{`handler: Invalid value: "Bad_Handler": ` + label}},
		{"no handler", rc("", nil), []string{`handler: Invalid value: "": ` + label}},
		{"a negative overhead", rc("x", func(r *nodev1.RuntimeClass) {
			r.Overhead = &nodev1.Overhead{PodFixed: corev1.ResourceList{"cpu": resource.MustParse("-1")}}
		}), []string{`overhead.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0`}},
		{"an unknown resource", rc("x", func(r *nodev1.RuntimeClass) {
			r.Overhead = &nodev1.Overhead{PodFixed: corev1.ResourceList{"bogus": resource.MustParse("1")}}
		}), []string{"overhead.limits[bogus]: Invalid value: bogus: must be a standard resource type or fully qualified",
			"overhead.limits[bogus]: Invalid value: bogus: must be a standard resource for containers"}},
		{"bad selector and effect", rc("x", func(r *nodev1.RuntimeClass) {
			r.Scheduling = &nodev1.Scheduling{NodeSelector: map[string]string{"bad key!": "b"}, Tolerations: []corev1.Toleration{{Key: "k", Operator: "Equal", Value: "v", Effect: "Bogus"}}}
		}), []string{`scheduling.nodeSelector: Invalid value: "bad key!": name part must consist of alphanumeric characters`,
			`scheduling.tolerations.tolerations[0].effect: Unsupported value: "Bogus": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`}},
		{"no key, Equal", rc("x", tolerate(corev1.Toleration{Operator: "Equal", Value: "v"})),
			[]string{`scheduling.tolerations.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when ` + "`key`" + ` is empty, which means "match all values and all keys"`}},
		{"Exists with a value", rc("x", tolerate(corev1.Toleration{Key: "k", Operator: "Exists", Value: "v"})),
			[]string{`scheduling.tolerations.tolerations[0].operator: Invalid value: core.Toleration{Key:"k", Operator:"Exists", Value:"v", Effect:"", TolerationSeconds:(*int64)(nil)}: value must be empty when ` + "`operator`" + ` is 'Exists'`}},
		{"an unknown operator", rc("x", tolerate(corev1.Toleration{Key: "k", Operator: "Maybe"})),
			[]string{`scheduling.tolerations.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"`}},
		{"seconds without NoExecute", rc("x", tolerate(corev1.Toleration{Key: "k", TolerationSeconds: ptr.To[int64](5), Effect: "NoSchedule"})),
			[]string{`scheduling.tolerations.tolerations[0].effect: Invalid value: "NoSchedule": effect must be 'NoExecute' when ` + "`tolerationSeconds`" + ` is set`}},
		{"twice the same", rc("x", tolerate(corev1.Toleration{Key: "k", Operator: "Exists", Effect: "NoSchedule"}, corev1.Toleration{Key: "k", Operator: "Exists", Effect: "NoSchedule"})),
			[]string{`scheduling.tolerations[1]: Duplicate value: core.Toleration{Key:"k", Operator:"Exists", Value:"", Effect:"NoSchedule", TolerationSeconds:(*int64)(nil)}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := Validate(tc.rc)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors = %v, want %q", errs, tc.want)
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tc.want[i]) {
					t.Errorf("error\n%s\nwant\n%s", e, tc.want[i])
				}
			}
		})
	}
	if errs := (Strategy{}).ValidateUpdate(nil, rc("crun", nil), rc("runc", nil)); len(errs) != 1 || errs[0].Error() != `handler: Invalid value: "crun": field is immutable` {
		t.Errorf("update errors = %v", errs)
	}
}
