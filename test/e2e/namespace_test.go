package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestNamespaceTermination: a namespace whose content has a finalizer stays
// Terminating; new content is refused with kube-apiserver's Forbidden; once
// the finalizer is removed the content and then the namespace go.
func TestNamespaceTermination(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	mustDo := func(method, path, contentType, body string, code int) []byte {
		t.Helper()
		resp, data := do(t, c, method, p.URL+path, contentType, []byte(body))
		if resp.StatusCode != code {
			t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, data, code)
		}
		return data
	}
	mustDo("POST", "/api/v1/namespaces", "application/json", `{"metadata":{"name":"doomed"}}`, 201)
	mustDo("POST", "/api/v1/namespaces/doomed/configmaps", "application/json",
		`{"metadata":{"name":"held","finalizers":["example.com/hold"]}}`, 201)
	mustDo("DELETE", "/api/v1/namespaces/doomed", "", "", 200)

	waitUntil(t, 10*time.Second, "namespace Terminating with its configmap marked for deletion", func() bool {
		_, ns := do(t, c, "GET", p.URL+"/api/v1/namespaces/doomed", "", nil)
		_, cm := do(t, c, "GET", p.URL+"/api/v1/namespaces/doomed/configmaps/held", "", nil)
		return strings.Contains(string(ns), `"phase":"Terminating"`) && strings.Contains(string(cm), `"deletionTimestamp"`)
	})
	data := mustDo("POST", "/api/v1/namespaces/doomed/configmaps", "application/json", `{"metadata":{"name":"late"}}`, 403)
	var s status
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if s.Reason != "Forbidden" || s.Message != "unable to create new content in namespace doomed because it is being terminated" {
		t.Errorf("create in a terminating namespace = %+v", s)
	}

	mustDo("PATCH", "/api/v1/namespaces/doomed/configmaps/held", "application/merge-patch+json", `{"metadata":{"finalizers":null}}`, 200)
	waitUntil(t, 30*time.Second, "namespace gone once its content is", func() bool {
		resp, _ := do(t, c, "GET", p.URL+"/api/v1/namespaces/doomed", "", nil)
		return resp.StatusCode == 404
	})
	if resp, _ := do(t, c, "GET", p.URL+"/api/v1/namespaces/doomed/configmaps/held", "", nil); resp.StatusCode != 404 {
		t.Errorf("the configmap outlived its namespace: %d", resp.StatusCode)
	}
}
