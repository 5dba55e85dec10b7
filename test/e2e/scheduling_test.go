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

// TestRuntimeClasses: node.k8s.io/v1 RuntimeClasses through kubectl, with
// kube-apiserver 1.31's table and messages (recorded with the reference
// script).
func TestRuntimeClasses(t *testing.T) {
	p := startBinary(t, "", nil)
	k := kubectl{t: t, bin: kubectls(t)["kubectl"], kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
	k.stdin(`{"apiVersion":"node.k8s.io/v1","kind":"RuntimeClass","metadata":{"name":"rc5"},"handler":"x","overhead":{"podFixed":{"cpu":"100m","memory":"1Mi"}},"scheduling":{"nodeSelector":{"a":"b"},"tolerations":[{"key":"k","operator":"Exists","effect":"NoSchedule"}]}}`, "create", "-f", "-")
	if out := k.run("get", "runtimeclass"); !strings.Contains(out, "NAME") || !strings.Contains(out, "HANDLER") || !strings.Contains(out, "rc5    x") {
		t.Errorf("kubectl get runtimeclass:\n%s", out)
	}
	if out := k.run("get", "runtimeclass", "rc5", "-o", "jsonpath={.overhead.podFixed.cpu} {.scheduling.tolerations[0].effect}"); out != "100m NoSchedule" {
		t.Errorf("rc5 = %q", out)
	}
	for _, tc := range []struct{ manifest, want string }{
		{`{"apiVersion":"node.k8s.io/v1","kind":"RuntimeClass","metadata":{"name":"rc2"},"handler":"Bad_Handler"}`,
			`The RuntimeClass "rc2" is invalid: handler: Invalid value: "Bad_Handler": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`},
		{`{"apiVersion":"node.k8s.io/v1","kind":"RuntimeClass","metadata":{"name":"rc4"},"handler":"x","overhead":{"podFixed":{"cpu":"-1"}}}`,
			`The RuntimeClass "rc4" is invalid: overhead.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0`},
		{`{"apiVersion":"node.k8s.io/v1","kind":"RuntimeClass","metadata":{"name":"t2"},"handler":"x","scheduling":{"tolerations":[{"key":"k","operator":"Exists","value":"v"}]}}`,
			`The RuntimeClass "t2" is invalid: scheduling.tolerations.tolerations[0].operator: Invalid value: core.Toleration{Key:"k", Operator:"Exists", Value:"v", Effect:"", TolerationSeconds:(*int64)(nil)}: value must be empty when ` + "`operator`" + ` is 'Exists'`},
		{`{"apiVersion":"node.k8s.io/v1","kind":"RuntimeClass","metadata":{"name":"t6"},"handler":"x","overhead":{"podFixed":{"bogus":"1"}}}`,
			`* overhead.limits[bogus]: Invalid value: bogus: must be a standard resource type or fully qualified`},
	} {
		if out, err := k.stdinTry(tc.manifest, "create", "-f", "-"); err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("kubectl create of %s: %v\n%s\nwant %q", tc.manifest, err, out, tc.want)
		}
	}
	if out, err := k.try("patch", "runtimeclass", "rc5", "--type=merge", "-p", `{"handler":"crun"}`); err == nil ||
		!strings.Contains(out, `The RuntimeClass "rc5" is invalid: handler: Invalid value: "crun": field is immutable`) {
		t.Errorf("changing the handler: %v\n%s", err, out)
	}
}

// TestIngressClasses: networking.k8s.io/v1 IngressClasses through kubectl,
// with kube-apiserver 1.31's table, defaults and messages (recorded with
// the reference script).
func TestIngressClasses(t *testing.T) {
	p := startBinary(t, "", nil)
	k := kubectl{t: t, bin: kubectls(t)["kubectl"], kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
	k.stdin(`{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"ic1"},"spec":{"controller":"example.com/ingress"}}`, "create", "-f", "-")
	k.stdin(`{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"ic8"},"spec":{"controller":"example.com/x","parameters":{"kind":"P","name":"p"}}}`, "create", "-f", "-")
	out := k.run("get", "ingressclass")
	for _, want := range []string{"NAME   CONTROLLER            PARAMETERS   AGE", "ic1    example.com/ingress   <none>", "ic8    example.com/x         P/p"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get ingressclass lacks %q:\n%s", want, out)
		}
	}
	if out := k.run("get", "ingressclass", "ic8", "-o", "jsonpath={.spec}"); out != `{"controller":"example.com/x","parameters":{"kind":"P","name":"p","scope":"Cluster"}}` {
		t.Errorf("ic8 spec = %s", out)
	}
	for _, tc := range []struct{ manifest, want string }{
		{`{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"ic2"},"spec":{}}`,
			`The IngressClass "ic2" is invalid: spec.controller: Required value`},
		{`{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"ic3"},"spec":{"controller":"Bad Controller"}}`,
			`The IngressClass "ic3" is invalid: spec.controller: Invalid value: "Bad Controller": must be a domain-prefixed path (such as "acme.io/foo")`},
		{`{"apiVersion":"networking.k8s.io/v1","kind":"IngressClass","metadata":{"name":"ic5"},"spec":{"controller":"example.com/x","parameters":{"apiGroup":"k8s.example.com","kind":"P","name":"p","scope":"Namespace"}}}`,
			"The IngressClass \"ic5\" is invalid: spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"},
	} {
		if out, err := k.stdinTry(tc.manifest, "create", "-f", "-"); err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("kubectl create of %s: %v\n%s\nwant %q", tc.manifest, err, out, tc.want)
		}
	}
	if out, err := k.try("patch", "ingressclass", "ic1", "--type=merge", "-p", `{"spec":{"controller":"example.com/other"}}`); err == nil ||
		!strings.Contains(out, `The IngressClass "ic1" is invalid: spec.controller: Invalid value: "example.com/other": field is immutable`) {
		t.Errorf("changing the controller: %v\n%s", err, out)
	}
}
