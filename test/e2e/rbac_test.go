package e2e

import (
	"strings"
	"testing"
)

// TestRBACObjects: the RBAC resources are served as kube-apiserver serves
// them to kubectl: created by kubectl create role/clusterrole/rolebinding/
// clusterrolebinding, printed with their tables, validated (kube's 422s),
// a binding's roleRef immutable. (Authorization from them is not there
// yet: every authenticated user may still do everything.)
func TestRBACObjects(t *testing.T) {
	p := startBinary(t, "", nil)
	k := kubectl{t: t, bin: kubectls(t)["kubectl"], kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
	k.run("create", "role", "reader", "--verb=get,list", "--resource=configmaps", "-n", "default")
	k.run("create", "clusterrole", "system:reader", "--verb=get", "--non-resource-url=/healthz")
	k.run("create", "rolebinding", "readers", "--role=reader", "--user=alice", "--group=team", "--serviceaccount=default:bot", "-n", "default")
	k.run("create", "clusterrolebinding", "health", "--clusterrole=system:reader", "--group=system:authenticated")

	out := k.run("get", "rolebinding", "readers", "-n", "default", "-o", "wide")
	for _, want := range []string{"NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS", "Role/reader", "alice", "team", "default/bot"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get rolebinding -o wide lacks %q:\n%s", want, out)
		}
	}
	if out := k.run("get", "clusterrole", "system:reader"); !strings.Contains(out, "CREATED AT") || !strings.Contains(out, "system:reader") {
		t.Errorf("kubectl get clusterrole:\n%s", out)
	}
	if out := k.run("get", "role", "reader", "-n", "default", "-o", "jsonpath={.rules[0].verbs}"); out != `["get","list"]` {
		t.Errorf("the role's verbs = %s", out)
	}

	// kube's validation and the immutable roleRef.
	for _, tc := range []struct {
		manifest, want string
	}{
		{`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"bad","namespace":"default"},"rules":[{"nonResourceURLs":["/x"],"verbs":["get"]}]}`,
			"namespaced rules cannot apply to non-resource URLs"},
		{`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"bad"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"}}`,
			`roleRef.kind: Unsupported value: "Role"`},
		{`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"readers","namespace":"default"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}}`,
			"cannot change roleRef"},
	} {
		if out, err := k.stdinTry(tc.manifest, "apply", "-f", "-"); err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("kubectl apply of %s: %v\n%s\nwant an error with %q", tc.manifest, err, out, tc.want)
		}
	}
	// Defaulted as kube defaults them: the group of the roleRef and of
	// User and Group subjects.
	k.stdin(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"defaulted"},"roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"bob"}]}`, "apply", "-f", "-")
	if out := k.run("get", "clusterrolebinding", "defaulted", "-o", "jsonpath={.roleRef.apiGroup} {.subjects[0].apiGroup}"); out != "rbac.authorization.k8s.io rbac.authorization.k8s.io" {
		t.Errorf("the defaulted groups = %q", out)
	}
	if out := k.run("api-resources", "--api-group=rbac.authorization.k8s.io", "-o", "name"); strings.Join(strings.Fields(out), " ") !=
		"clusterrolebindings.rbac.authorization.k8s.io clusterroles.rbac.authorization.k8s.io rolebindings.rbac.authorization.k8s.io roles.rbac.authorization.k8s.io" {
		t.Errorf("kubectl api-resources:\n%s", out)
	}
}
