package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	if out := k.run("auth", "can-i", "delete", "secrets", "-n", "kube-system"); strings.TrimSpace(out) != "yes" {
		t.Errorf("kubectl auth can-i = %q", out)
	}
	if out := k.run("auth", "whoami"); !strings.Contains(out, "system:masters") {
		t.Errorf("kubectl auth whoami:\n%s", out)
	}
	if out := k.run("api-resources", "--api-group=rbac.authorization.k8s.io", "-o", "name"); strings.Join(strings.Fields(out), " ") !=
		"clusterrolebindings.rbac.authorization.k8s.io clusterroles.rbac.authorization.k8s.io rolebindings.rbac.authorization.k8s.io roles.rbac.authorization.k8s.io" {
		t.Errorf("kubectl api-resources:\n%s", out)
	}
}

// TestRBACAuthorization: with --authorization-mode=RBAC an ordinary user
// may do what the roles bound to her (or to her groups) allow, and gets
// kube-apiserver's 403 otherwise; the bootstrap policy lets every
// authenticated user discover the API and read the health and version
// paths; system:masters may do everything.
func TestRBACAuthorization(t *testing.T) {
	p, root, alice := startWithTokens(t, "--authorization-mode=RBAC")
	ns := p.URL + "/api/v1/namespaces"
	code := func(c *http.Client, method, url, body string) (int, string) {
		t.Helper()
		var data []byte
		if body != "" {
			data = []byte(body)
		}
		resp, out := do(t, c, method, url, "application/json", data)
		return resp.StatusCode, string(out)
	}
	waitUntil(t, 20*time.Second, "the RBAC objects are read", func() bool {
		c, _ := code(alice, "GET", p.URL+"/version", "")
		return c == 200
	})
	for _, tc := range []struct {
		name, url string
		code      int
		message   string
	}{
		{"discovery", p.URL + "/api", 200, ""},
		{"group discovery", p.URL + "/apis/rbac.authorization.k8s.io/v1", 200, ""},
		{"health", p.URL + "/healthz", 200, ""},
		{"configmaps", ns + "/default/configmaps", 403, `configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\"`},
		{"namespaces", ns, 403, `namespaces is forbidden: User \"alice\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope`},
		{"a named object", ns + "/default/secrets/s", 403, `secrets \"s\" is forbidden: User \"alice\" cannot get resource \"secrets\" in API group \"\" in the namespace \"default\"`},
		{"metrics", p.URL + "/metrics", 403, `forbidden: User \"alice\" cannot get path \"/metrics\"`},
	} {
		if c, out := code(alice, "GET", tc.url, ""); c != tc.code || !strings.Contains(out, tc.message) {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, c, out, tc.code, tc.message)
		}
	}
	if c, out := code(root, "GET", ns+"/kube-system/secrets", ""); c != 200 {
		t.Errorf("a superuser's list = %d %s", c, out)
	}

	// A Role bound to alice in default, a ClusterRole bound to her group.
	rbac := p.URL + "/apis/rbac.authorization.k8s.io/v1"
	for _, create := range []struct{ url, body string }{
		{rbac + "/namespaces/default/roles", `{"metadata":{"name":"reader"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list"]}]}`},
		{rbac + "/namespaces/default/rolebindings", `{"metadata":{"name":"readers"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"},"subjects":[{"kind":"User","name":"alice"}]}`},
		{rbac + "/clusterroles", `{"metadata":{"name":"ns-reader"},"rules":[{"apiGroups":[""],"resources":["namespaces"],"verbs":["list"]}]}`},
		{rbac + "/clusterrolebindings", `{"metadata":{"name":"devs"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"ns-reader"},"subjects":[{"kind":"Group","name":"devs"}]}`},
	} {
		if c, out := code(root, "POST", create.url, create.body); c != 201 {
			t.Fatalf("create %s = %d %s", create.url, c, out)
		}
	}
	waitUntil(t, 10*time.Second, "the bindings take effect", func() bool {
		c1, _ := code(alice, "GET", ns+"/default/configmaps", "")
		c2, _ := code(alice, "GET", ns, "")
		return c1 == 200 && c2 == 200
	})
	// Reviews: alice asks about herself (system:basic-user lets her), the
	// administrator about alice.
	for _, tc := range []struct {
		name, url, body string
		client          *http.Client
		want            string
	}{
		{"whoami", p.URL + "/apis/authentication.k8s.io/v1/selfsubjectreviews", `{}`, alice, `"username":"alice"`},
		{"may I list configmaps in default", p.URL + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
			`{"spec":{"resourceAttributes":{"verb":"list","resource":"configmaps","namespace":"default"}}}`, alice, `"allowed":true`},
		{"may I list them in kube-system", p.URL + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
			`{"spec":{"resourceAttributes":{"verb":"list","resource":"configmaps","namespace":"kube-system"}}}`, alice, `"allowed":false`},
		{"may alice create configmaps", p.URL + "/apis/authorization.k8s.io/v1/subjectaccessreviews",
			`{"spec":{"user":"alice","groups":["devs"],"resourceAttributes":{"verb":"create","resource":"configmaps","namespace":"default"}}}`, root, `"allowed":false`},
		{"may the devs list namespaces", p.URL + "/apis/authorization.k8s.io/v1/subjectaccessreviews",
			`{"spec":{"groups":["devs"],"resourceAttributes":{"verb":"list","resource":"namespaces"}}}`, root, `"allowed":true`},
	} {
		if c, out := code(tc.client, "POST", tc.url, tc.body); c != 201 || !strings.Contains(out, tc.want) {
			t.Errorf("%s: %d %s, want 201 with %s", tc.name, c, out, tc.want)
		}
	}
	if c, out := code(alice, "POST", p.URL+"/apis/authorization.k8s.io/v1/subjectaccessreviews",
		`{"spec":{"user":"root","resourceAttributes":{"verb":"get","resource":"secrets"}}}`); c != 403 {
		t.Errorf("alice asking about another user = %d %s, want 403", c, out)
	}

	for _, tc := range []struct {
		name, method, url string
		code              int
	}{
		{"configmaps of another namespace", "GET", ns + "/kube-system/configmaps", 403},
		{"a create the role does not allow", "POST", ns + "/default/configmaps", 403},
		{"secrets", "GET", ns + "/default/secrets", 403},
	} {
		if c, out := code(alice, tc.method, tc.url, `{"metadata":{"name":"x"}}`); c != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, c, out, tc.code)
		}
	}
}

// TestImpersonation: kubectl --as and --as-group act as another user when
// the caller may impersonate (system:masters may), and are refused with
// kube's 403 otherwise.
func TestImpersonation(t *testing.T) {
	p, _, alice := startWithTokens(t, "--authorization-mode=RBAC")
	tokens := filepath.Join(t.TempDir(), "root.kubeconfig")
	root := kubectl{t: t, bin: kubectls(t)["kubectl"], kubeconfig: writeTokenKubeconfig(t, p, tokens, "root-token"), home: t.TempDir()}
	waitUntil(t, 20*time.Second, "the RBAC objects are read", func() bool {
		resp, _ := do(t, alice, "GET", p.URL+"/version", "", nil)
		return resp.StatusCode == 200
	})
	if out := root.run("auth", "whoami", "--as", "alice", "--as-group", "devs", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"); out != `alice ["devs","system:authenticated"]` {
		t.Errorf("whoami as alice = %q", out)
	}
	if out, err := root.try("get", "configmaps", "-n", "kube-system", "--as", "alice"); err == nil ||
		!strings.Contains(out, `User "alice" cannot list resource "configmaps" in API group "" in the namespace "kube-system"`) {
		t.Errorf("as alice: %v %s", err, out)
	}
	// kubectl auth can-i --list: the rules alice holds in default, from a
	// SelfSubjectRulesReview (the bootstrap discovery rules among them).
	if out := root.run("auth", "can-i", "--list", "--as", "alice", "-n", "default"); !strings.Contains(out, "selfsubjectaccessreviews.authorization.k8s.io") ||
		!strings.Contains(out, "[/healthz]") {
		t.Errorf("can-i --list as alice:\n%s", out)
	}
	// can-i exits 1 when the answer is no.
	if out, _ := root.try("auth", "can-i", "list", "secrets", "--as", "alice"); strings.TrimSpace(out) != "no" {
		t.Errorf("can-i as alice = %q", out)
	}
	req, _ := http.NewRequest("GET", p.URL+"/api/v1/namespaces", nil)
	req.Header.Set("Impersonate-User", "root")
	resp, err := alice.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), `users \"root\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope`) {
		t.Errorf("alice impersonating root = %d %s", resp.StatusCode, body)
	}
}

// writeTokenKubeconfig writes a kubeconfig for p that authenticates with
// token, and returns its path.
func writeTokenKubeconfig(t *testing.T, p *process, path, token string) string {
	t.Helper()
	config := `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "` + p.URL + `", certificate-authority: "` + filepath.Join(p.DataDir, "pki", "ca.crt") + `"}}]
users: [{name: u, user: {token: "` + token + `"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestClusterRoleAggregation: a ClusterRole labelled to aggregate to view
// joins view (and, through view, edit and admin) within seconds, and a
// user bound to view may then do what it grants, as kube's
// clusterrole-aggregation controller keeps them.
func TestClusterRoleAggregation(t *testing.T) {
	p, root, alice := startWithTokens(t, "--authorization-mode=RBAC")
	rbac := p.URL + "/apis/rbac.authorization.k8s.io/v1"
	post := func(url, body string) {
		t.Helper()
		if resp, out := do(t, root, "POST", url, "application/json", []byte(body)); resp.StatusCode != 201 {
			t.Fatalf("POST %s = %d %s", url, resp.StatusCode, out)
		}
	}
	post(rbac+"/namespaces/default/rolebindings", `{"metadata":{"name":"alice-view"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"alice"}]}`)
	waitUntil(t, 20*time.Second, "view lets alice list configmaps", func() bool {
		resp, _ := do(t, alice, "GET", p.URL+"/api/v1/namespaces/default/configmaps", "", nil)
		return resp.StatusCode == 200
	})
	if resp, _ := do(t, alice, "GET", p.URL+"/api/v1/namespaces/default/secrets", "", nil); resp.StatusCode != 403 {
		t.Errorf("view lets alice list secrets: %d", resp.StatusCode)
	}
	roles := rbac + "/namespaces/default/roles"
	if resp, _ := do(t, alice, "GET", roles, "", nil); resp.StatusCode != 403 {
		t.Errorf("alice lists roles before the aggregation: %d", resp.StatusCode)
	}
	post(rbac+"/clusterroles", `{"metadata":{"name":"role-reader","labels":{"rbac.authorization.k8s.io/aggregate-to-view":"true"}},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"],"verbs":["list"]}]}`)
	waitUntil(t, 20*time.Second, "the new role joins view", func() bool {
		resp, _ := do(t, alice, "GET", roles, "", nil)
		return resp.StatusCode == 200
	})
	waitUntil(t, 20*time.Second, "view's rules reach admin", func() bool {
		_, body := do(t, root, "GET", rbac+"/clusterroles/admin", "", nil)
		return strings.Contains(string(body), `{"verbs":["list"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"]}`)
	})
}

// TestEscalationRefused: a namespace admin may create roles and bindings
// within what she holds, and is refused (kube's 403) a role or a binding
// that grants more.
func TestEscalationRefused(t *testing.T) {
	p, root, alice := startWithTokens(t, "--authorization-mode=RBAC")
	rbac := p.URL + "/apis/rbac.authorization.k8s.io/v1"
	post := func(c *http.Client, url, body string) (int, string) {
		resp, out := do(t, c, "POST", url, "application/json", []byte(body))
		return resp.StatusCode, string(out)
	}
	if c, out := post(root, rbac+"/namespaces/default/rolebindings", `{"metadata":{"name":"alice-admin"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"admin"},"subjects":[{"kind":"User","name":"alice"}]}`); c != 201 {
		t.Fatalf("binding alice to admin = %d %s", c, out)
	}
	waitUntil(t, 20*time.Second, "alice is admin of default", func() bool {
		resp, _ := do(t, alice, "GET", rbac+"/namespaces/default/roles", "", nil)
		return resp.StatusCode == 200
	})
	for _, tc := range []struct {
		name, url, body string
		code            int
		message         string
	}{
		{"a role within her rights", rbac + "/namespaces/default/roles",
			`{"metadata":{"name":"cm-reader"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list"]}]}`, 201, ""},
		{"a role beyond them", rbac + "/namespaces/default/roles",
			`{"metadata":{"name":"node-reader"},"rules":[{"apiGroups":[""],"resources":["nodes"],"verbs":["list"]}]}`, 403,
			`roles.rbac.authorization.k8s.io \"node-reader\" is forbidden: user \"alice\" (groups=[\"devs\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"list\"]}`},
		{"a binding to view for bob", rbac + "/namespaces/default/rolebindings",
			`{"metadata":{"name":"bob-view"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"bob"}]}`, 201, ""},
		{"a binding to cluster-admin", rbac + "/namespaces/default/rolebindings",
			`{"metadata":{"name":"me-root"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"alice"}]}`, 403,
			"is attempting to grant RBAC permissions not currently held"},
	} {
		if c, out := post(alice, tc.url, tc.body); c != tc.code || !strings.Contains(out, tc.message) {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, c, out, tc.code, tc.message)
		}
	}
}
