package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestPriorityClasses: scheduling.k8s.io/v1 PriorityClasses as kubectl sees
// them on kube-apiserver 1.31: the two system classes exist from the
// start and cannot be deleted, kubectl create priorityclass works and
// prints kube's table, one global default only, kube's validation
// messages (recorded with the reference script).
func TestPriorityClasses(t *testing.T) {
	p := startBinary(t, "", nil)
	k := kubectl{t: t, bin: kubectls(t)["kubectl"], kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
	waitUntil(t, 10*time.Second, "the system priority classes", func() bool {
		out, err := k.try("get", "pc", "-o", "name")
		return err == nil && strings.Contains(out, "system-cluster-critical") && strings.Contains(out, "system-node-critical")
	})
	if out := k.run("get", "pc", "system-node-critical", "-o", "jsonpath={.value} {.preemptionPolicy} {.description}"); out !=
		"2000001000 PreemptLowerPriority Used for system critical pods that must not be moved from their current node." {
		t.Errorf("system-node-critical = %q", out)
	}
	k.run("create", "priorityclass", "p2", "--value=7", "--description=hi", "--preemption-policy=Never")
	k.run("create", "priorityclass", "d1", "--value=1", "--global-default")
	out := k.run("get", "pc")
	for _, want := range []string{"NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "system-cluster-critical   2000000000   false", "d1                        1            true"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get pc lacks %q:\n%s", want, out)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "priorityclass", "d2", "--value=2", "--global-default"},
			`priorityclasses.scheduling.k8s.io "d2" is forbidden: PriorityClass d1 is already marked as default. Only one default can exist`},
		{[]string{"delete", "pc", "system-node-critical"},
			`priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted`},
		{[]string{"create", "priorityclass", "system-x", "--value=5"},
			`PriorityClass.scheduling.k8s.io "system-x" is invalid: metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-x is not a known system priority class`},
		{[]string{"create", "priorityclass", "big", "--value=2000000000"},
			`PriorityClass.scheduling.k8s.io "big" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000`},
		{[]string{"patch", "pc", "d1", "-p", `{"value":3}`},
			`The PriorityClass "d1" is invalid: value: Forbidden: may not be changed in an update.`},
		{[]string{"patch", "pc", "p2", "-p", `{"preemptionPolicy":"PreemptLowerPriority"}`},
			`The PriorityClass "p2" is invalid: preemptionPolicy: Invalid value: "PreemptLowerPriority": field is immutable`},
	} {
		if out, err := k.try(tc.args...); err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("kubectl %s: %v\n%s\nwant %q", strings.Join(tc.args, " "), err, out, tc.want)
		}
	}
	k.run("delete", "pc", "p2")
}
