package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestKubectlServerSideApply runs a server-side apply session with every
// kubectl on the machine: two field managers, a conflict, --force-conflicts,
// a field removed when its last manager stops applying it, and
// kubectl diff --server-side.
func TestKubectlServerSideApply(t *testing.T) {
	eachKubectl(t, startBinary(t, "", nil), func(t *testing.T, k kubectl, name string) {
		applySession(t, k, "ssa-"+name)
	})
}

func configMapManifest(ns string, data string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: " + ns + "\ndata:\n" + data
}

func applySession(t *testing.T, k kubectl, ns string) {
	k.run("create", "namespace", ns)
	out := k.stdin(configMapManifest(ns, "  a: \"1\"\n  b: \"2\"\n"), "apply", "--server-side", "--field-manager=one", "-f", "-")
	expectContains(t, "first apply", out, "configmap/applied serverside-applied")
	fields := k.run("get", "configmap", "applied", "-n", ns, "-o", "yaml", "--show-managed-fields")
	expectContains(t, "managed fields after the first apply", fields, "manager: one", "operation: Apply", "f:a: {}", "f:b: {}")

	// Another manager changing a field the first one owns conflicts.
	cmd := k.cmd(t.Context(), "apply", "--server-side", "--field-manager=two", "-f", "-")
	cmd.Stdin = strings.NewReader(configMapManifest(ns, "  a: \"9\"\n"))
	conflict, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("a conflicting apply succeeded:\n%s", conflict)
	}
	expectContains(t, "conflict", string(conflict), `conflict with "one"`, ".data.a")
	if got := k.run("get", "configmap", "applied", "-n", ns, "-o", "jsonpath={.data.a}"); got != "1" {
		t.Errorf("a refused apply changed data.a to %q", got)
	}

	// kubectl diff --server-side shows what the forced apply would change.
	cmd = k.cmd(t.Context(), "diff", "--server-side", "--force-conflicts", "--field-manager=two", "-f", "-")
	cmd.Stdin = strings.NewReader(configMapManifest(ns, "  a: \"9\"\n"))
	diff, err := cmd.CombinedOutput()
	if exit, ok := err.(interface{ ExitCode() int }); !ok || exit.ExitCode() != 1 {
		t.Errorf("kubectl diff exit: %v, want 1 (differences)\n%s", err, diff)
	}
	expectContains(t, "server-side diff", string(diff), `-  a: "1"`, `+  a: "9"`)

	k.stdin(configMapManifest(ns, "  a: \"9\"\n"), "apply", "--server-side", "--force-conflicts", "--field-manager=two", "-f", "-")
	if got := k.run("get", "configmap", "applied", "-n", ns, "-o", "jsonpath={.data}"); got != `{"a":"9","b":"2"}` {
		t.Errorf("after the forced apply data = %s", got)
	}
	// one stops applying b and a: b has no manager left and goes; a stays,
	// two owns it.
	k.stdin(configMapManifest(ns, "  c: \"3\"\n"), "apply", "--server-side", "--field-manager=one", "-f", "-")
	if got := k.run("get", "configmap", "applied", "-n", ns, "-o", "jsonpath={.data}"); got != `{"a":"9","c":"3"}` {
		t.Errorf("after one stopped applying b, data = %s", got)
	}
	// An ordinary write is recorded as an Update by its manager.
	k.run("label", "configmap", "applied", "-n", ns, "tier=web")
	fields = k.run("get", "configmap", "applied", "-n", ns, "-o", "yaml", "--show-managed-fields")
	expectContains(t, "managed fields after kubectl label", fields, "manager: kubectl-label", "operation: Update", "f:tier: {}")
}

// TestApplyAnswers: the answers of the apply patch type over the API, as
// kube-apiserver 1.31 gives them, on a built-in type, a custom resource and
// its status.
func TestApplyAnswers(t *testing.T) {
	p := startBinary(t, "", nil)
	a := newCRDAPI(t, p)
	c := adminHTTP(t, p)
	const cm = "/api/v1/namespaces/default/configmaps/applied"
	apply := func(path, manager, query, body string) (int, status, string) {
		t.Helper()
		url := p.URL + path + "?fieldManager=" + manager + query
		if manager == "" {
			url = p.URL + path + "?x=1" + query
		}
		resp, data := do(t, c, "PATCH", url, "application/apply-patch+yaml", []byte(body))
		var s status
		_ = json.Unmarshal(data, &s)
		return resp.StatusCode, s, string(data)
	}
	cmBody := func(data string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n" + data
	}
	if code, _, data := apply(cm, "one", "", cmBody("  a: \"1\"\n")); code != 201 {
		t.Fatalf("apply creating the object = %d %s", code, data)
	}
	for _, tc := range []struct {
		name, manager, query, body string
		code                       int
		message                    string
	}{
		{"no field manager", "", "", cmBody("  a: \"1\"\n"), 422,
			`PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`},
		{"conflict", "two", "", cmBody("  a: \"2\"\n"), 409, `Apply failed with 1 conflict: conflict with "one": .data.a`},
		{"another kind", "two", "", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: applied\n", 400, "invalid object type: /v1, Kind=Secret"},
		{"no kind", "two", "", "metadata:\n  name: applied\n", 400, "invalid object type: /, Kind="},
		{"unknown field", "two", "", cmBody("  a: \"1\"\nfoo: 1\n"), 500,
			"failed to create typed patch object (/applied; /v1, Kind=ConfigMap): .foo: field not declared in schema"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, s, data := apply(cm, tc.manager, tc.query, tc.body)
			if code != tc.code || s.Message != tc.message {
				t.Errorf("%d %s, want %d %q", code, data, tc.code, tc.message)
			}
		})
	}
	_, s, _ := apply(cm, "two", "", cmBody("  a: \"2\"\n"))
	if len(s.Details.Causes) != 1 || s.Details.Causes[0].Reason != "FieldManagerConflict" || s.Details.Causes[0].Field != ".data.a" ||
		s.Details.Causes[0].Message != `conflict with "one"` {
		t.Errorf("conflict causes = %+v", s.Details.Causes)
	}
	resp, data := do(t, c, "PATCH", p.URL+cm+"?force=true", "application/merge-patch+json", []byte(`{}`))
	if resp.StatusCode != 422 || !strings.Contains(string(data), "force: Forbidden: may not be specified for non-apply patch") {
		t.Errorf("force on a merge patch = %d %s", resp.StatusCode, data)
	}
	if code, _, data := apply(cm, "two", "&force=true", cmBody("  a: \"2\"\n")); code != 200 || !strings.Contains(data, `"a":"2"`) {
		t.Errorf("forced apply = %d %s", code, data)
	}
	// managedFields reset by the user: an empty entry clears them.
	resp, data = do(t, c, "PATCH", p.URL+cm, "application/merge-patch+json", []byte(`{"metadata":{"managedFields":[{}]}}`))
	if resp.StatusCode != 200 || strings.Contains(string(data), "managedFields") {
		t.Errorf("resetting managedFields = %d %s", resp.StatusCode, data)
	}

	// A custom resource and its status: apply and Update entries per
	// subresource.
	const group = "apply.example.com"
	if code, s := a.createDefinition(widgetCRD(group)); code != 201 {
		t.Fatalf("creating the definition: %d %+v", code, s)
	}
	a.waitServed(widgetsPath(group, "default"))
	w := widgetsPath(group, "default") + "/w"
	body := "apiVersion: " + group + "/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 2\n"
	if code, _, data := apply(w, "ctrl", "", body); code != 201 {
		t.Fatalf("apply of a widget = %d %s", code, data)
	}
	if code, _, data := apply(w+"/status", "ctrl-status", "", "apiVersion: "+group+"/v1\nkind: Widget\nmetadata:\n  name: w\nstatus:\n  phase: Up\n"); code != 200 {
		t.Fatalf("apply of a widget's status = %d %s", code, data)
	}
	got := string(a.expect(200, "GET", w, nil))
	for _, part := range []string{`"manager":"ctrl","operation":"Apply"`, `"f:spec":{"f:size":{}}`,
		`"manager":"ctrl-status","operation":"Apply"`, `"subresource":"status"`, `"phase":"Up"`, `"size":2`} {
		if !strings.Contains(got, part) {
			t.Errorf("widget lacks %s: %s", part, got)
		}
	}
	if code, _, data := apply(w, "other", "", "apiVersion: "+group+"/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n"); code != 409 {
		t.Errorf("conflicting apply on a widget = %d %s", code, data)
	}
	// Apply through /scale: the Scale's replicas are the widget's
	// spec.replicas, whose manager it conflicts with until forced.
	scaleBody := "apiVersion: autoscaling/v1\nkind: Scale\nmetadata:\n  name: w\nspec:\n  replicas: 4\n"
	if code, _, data := apply(w, "ctrl", "", body+"  replicas: 1\n"); code != 200 {
		t.Fatalf("apply of replicas = %d %s", code, data)
	}
	if code, s, data := apply(w+"/scale", "hpa", "", scaleBody); code != 409 || s.Message != `Apply failed with 1 conflict: conflict with "ctrl": .spec.replicas` {
		t.Errorf("apply of a scale owned by ctrl = %d %s", code, data)
	}
	if code, _, data := apply(w+"/scale", "hpa", "&force=true", scaleBody); code != 200 || !strings.Contains(data, `"replicas":4`) {
		t.Errorf("forced apply of the scale = %d %s", code, data)
	}
	got = string(a.expect(200, "GET", w, nil))
	for _, part := range []string{`"f:spec":{"f:replicas":{}}},"manager":"hpa","operation":"Apply","subresource":"scale"`, `"replicas":4`} {
		if !strings.Contains(got, part) {
			t.Errorf("widget after scaling lacks %s: %s", part, got)
		}
	}
	// A custom resource lists the patch types it takes, apply included.
	resp, data = do(t, c, "PATCH", p.URL+w, "text/plain", []byte("x"))
	if resp.StatusCode != 415 || !strings.Contains(string(data),
		"accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml") {
		t.Errorf("unknown patch type on a widget = %d %s", resp.StatusCode, data)
	}
}
