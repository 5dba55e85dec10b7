package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNamespaceCleanupIncludesCustomResources: a namespace deleted and
// created again with the same name holds none of its old custom resources.
func TestNamespaceCleanupIncludesCustomResources(t *testing.T) {
	p := startBinary(t, "", nil)
	a := newCRDAPI(t, p)
	const group = "cleanup.example.com"
	if code, s := a.createDefinition(widgetCRD(group)); code != http.StatusCreated {
		t.Fatalf("creating the definition: %d %+v", code, s)
	}
	a.expect(http.StatusCreated, "POST", "/api/v1/namespaces", []byte(`{"metadata":{"name":"reborn"}}`))
	a.waitServed(widgetsPath(group, "reborn"))
	a.expect(http.StatusCreated, "POST", widgetsPath(group, "reborn"), widgetBody(group, "old", 1))
	a.expect(http.StatusOK, "DELETE", "/api/v1/namespaces/reborn", nil)
	waitUntil(t, 20*time.Second, "namespace gone", func() bool {
		code, _, err := a.send("GET", "/api/v1/namespaces/reborn", nil)
		return err == nil && code == http.StatusNotFound
	})
	a.expect(http.StatusCreated, "POST", "/api/v1/namespaces", []byte(`{"metadata":{"name":"reborn"}}`))
	if names := a.names(widgetsPath(group, "reborn")); len(names) != 0 {
		t.Errorf("the new namespace holds the old one's widgets: %v", names)
	}
}

// TestScaleThroughSharedPath: a custom resource's scale honours dryRun and
// refuses an unknown dryRun value, as every other write.
func TestScaleThroughSharedPath(t *testing.T) {
	p := startBinary(t, "", nil)
	a := newCRDAPI(t, p)
	const group = "scale.example.com"
	if code, s := a.createDefinition(widgetCRD(group)); code != http.StatusCreated {
		t.Fatalf("creating the definition: %d %+v", code, s)
	}
	a.waitServed(widgetsPath(group, "default"))
	a.expect(http.StatusCreated, "POST", widgetsPath(group, "default"),
		[]byte(`{"apiVersion":"`+group+`/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":1,"replicas":1}}`))
	scale := widgetsPath(group, "default") + "/w/scale"
	c := adminHTTP(t, p)
	patch := func(query string, want int) []byte {
		t.Helper()
		resp, data := do(t, c, "PATCH", p.URL+scale+query, "application/merge-patch+json", []byte(`{"spec":{"replicas":5}}`))
		if resp.StatusCode != want {
			t.Fatalf("PATCH scale%s = %d %s, want %d", query, resp.StatusCode, data, want)
		}
		return data
	}
	if data := patch("?dryRun=All", http.StatusOK); !strings.Contains(string(data), `"replicas":5`) {
		t.Errorf("dry-run answer = %s, want replicas 5", data)
	}
	var s status
	if err := json.Unmarshal(patch("?dryRun=Bogus", http.StatusUnprocessableEntity), &s); err != nil || s.Reason != "Invalid" ||
		s.Message != `PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Bogus"}: supported values: "All"` {
		t.Errorf("dryRun=Bogus = %+v", s)
	}
	if data := a.expect(http.StatusOK, "GET", scale, nil); !strings.Contains(string(data), `"replicas":1`) {
		t.Errorf("after dry runs the scale is %s, want replicas 1", data)
	}
	// Strategic merge patches apply to a Scale, a built-in type.
	resp, data := do(t, c, "PATCH", p.URL+scale, "application/strategic-merge-patch+json", []byte(`{"spec":{"replicas":3}}`))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"replicas":3`) {
		t.Errorf("strategic patch of scale = %d %s", resp.StatusCode, data)
	}
	if data := a.expect(http.StatusOK, "GET", widgetsPath(group, "default")+"/w", nil); !strings.Contains(string(data), `"replicas":3`) {
		t.Errorf("the widget after scaling: %s", data)
	}
}

// TestDeclaredVerbsEnforced: a subresource answers only its declared verbs,
// with kube-apiserver's 405, and discovery and OpenAPI list what is served.
func TestDeclaredVerbsEnforced(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	for _, method := range []string{"GET", "PATCH", "POST", "DELETE"} {
		resp, data := do(t, c, method, p.URL+"/api/v1/namespaces/default/finalize", "application/merge-patch+json", []byte(`{}`))
		var s status
		_ = json.Unmarshal(data, &s)
		if resp.StatusCode != http.StatusMethodNotAllowed || s.Reason != "MethodNotAllowed" ||
			s.Message != "the server does not allow this method on the requested resource" {
			t.Errorf("%s finalize = %d %s", method, resp.StatusCode, data)
		}
	}
	_, ns := do(t, c, "GET", p.URL+"/api/v1/namespaces/default", "", nil)
	if resp, data := do(t, c, "PUT", p.URL+"/api/v1/namespaces/default/finalize", "application/json", ns); resp.StatusCode != http.StatusOK {
		t.Errorf("PUT finalize = %d %s", resp.StatusCode, data)
	}
	_, doc := do(t, c, "GET", p.URL+"/openapi/v2", "", nil)
	var swagger struct{ Paths map[string]map[string]any }
	if err := json.Unmarshal(doc, &swagger); err != nil {
		t.Fatal(err)
	}
	for path, methods := range map[string][]string{
		"/api/v1/namespaces/{name}/status":                                  {"get", "patch", "put"},
		"/api/v1/namespaces/{name}/finalize":                                {"put"},
		"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}": {"get", "put", "patch", "delete"},
	} {
		for _, m := range methods {
			if _, ok := swagger.Paths[path][m]; !ok {
				t.Errorf("/openapi/v2 has no %s %s", m, path)
			}
		}
	}
	if _, ok := swagger.Paths["/api/v1/namespaces/{name}/finalize"]["get"]; ok {
		t.Error("/openapi/v2 documents GET finalize, which is not served")
	}
}

// TestQueryParameters: parameters as kube-apiserver 1.31 parses them.
func TestQueryParameters(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	const cms = "/api/v1/namespaces/default/configmaps"
	resp, data := do(t, c, "GET", p.URL+cms+"?labelSelector=none%3Dhere", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"items":[]`) {
		t.Errorf("empty list = %d %s, want \"items\":[]", resp.StatusCode, data)
	}
	do(t, c, "POST", p.URL+cms, "application/json", []byte(`{"metadata":{"name":"c"}}`))
	// Booleans are false only when absent, "0" or "false": the Python
	// client sends watch=True.
	for _, tc := range []struct {
		value string
		watch bool
	}{{"True", true}, {"t", true}, {"1", true}, {"F", true}, {"", true}, {"false", false}, {"FALSE", false}, {"0", false}} {
		resp, data := do(t, c, "GET", p.URL+cms+"?timeoutSeconds=1&watch="+tc.value, "", nil)
		isWatch := strings.HasPrefix(string(data), `{"type":"ADDED"`)
		if resp.StatusCode != http.StatusOK || isWatch != tc.watch {
			t.Errorf("watch=%s: %d %.80s, want a watch: %v", tc.value, resp.StatusCode, data, tc.watch)
		}
	}
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		message                  string
	}{
		{"limit not a number", "GET", cms + "?limit=abc", "", 400, `strconv.ParseInt: parsing "abc": invalid syntax`},
		{"timeoutSeconds not a number", "GET", cms + "?timeoutSeconds=x", "", 400, `strconv.ParseInt: parsing "x": invalid syntax`},
		{"resourceVersion not a number on list", "GET", cms + "?resourceVersion=abc", "", 500, `resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax`},
		{"resourceVersion not a number on watch", "GET", cms + "?watch=1&resourceVersion=abc", "", 500, `resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax`},
		{"resourceVersion not a number on get", "GET", cms + "/c?resourceVersion=abc", "", 500, `resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax`},
		{"resourceVersion not a number on update", "PUT", cms + "/c", `{"metadata":{"name":"c","resourceVersion":"abc"}}`, 500, `strconv.ParseUint: parsing "abc": invalid syntax`},
		{"dryRun on create", "POST", cms + "?dryRun=Bogus", `{"metadata":{"name":"x"}}`, 422, `CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Bogus"}: supported values: "All"`},
		{"dryRun on update", "PUT", cms + "/c?dryRun=all", `{"metadata":{"name":"c"}}`, 422, `UpdateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"all"}: supported values: "All"`},
		{"dryRun on delete", "DELETE", cms + "/c?dryRun=x", "", 422, `DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"x"}: supported values: "All"`},
		{"fieldValidation", "POST", cms + "?fieldValidation=bogus", `{"metadata":{"name":"x"}}`, 422, `CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "bogus": supported values: "", "Ignore", "Strict", "Warn"`},
		{"unknown version of a served group", "GET", "/apis/coordination.k8s.io/v9/leases", "", 404, "the server could not find the requested resource"},
		{"delete an immortal namespace", "DELETE", "/api/v1/namespaces/kube-system", "", 403, `namespaces "kube-system" is forbidden: this namespace may not be deleted`},
		{"invalid object in a missing namespace", "POST", "/api/v1/namespaces/nope/configmaps", `{"metadata":{"name":"x"},"data":{"a b":"c"}}`, 404, `namespaces "nope" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := do(t, c, tc.method, p.URL+tc.path, "application/json", []byte(tc.body))
			var s status
			if err := json.Unmarshal(data, &s); err != nil || resp.StatusCode != tc.code || s.Code != tc.code || s.Message != tc.message {
				t.Errorf("%d %s, want %d %q", resp.StatusCode, data, tc.code, tc.message)
			}
		})
	}
	// A group nobody serves is not an API path: a plain-text 404.
	resp, data = do(t, c, "GET", p.URL+"/apis/nope.example.com/v1/things", "", nil)
	if resp.StatusCode != http.StatusNotFound || string(data) != "404 page not found\n" {
		t.Errorf("unknown group = %d %q", resp.StatusCode, data)
	}
}

// TestAggregatedDiscovery: /api and /apis answer apidiscovery.k8s.io v2
// (kubectl 1.30+) and v2beta1 (kubectl 1.27-1.29) when asked, with an ETag
// that turns a repeated request into a 304.
func TestAggregatedDiscovery(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	get := func(path, accept, etag string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", p.URL+path, nil)
		req.Header.Set("Accept", accept)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf strings.Builder
		_, _ = io.Copy(&buf, resp.Body)
		return resp, []byte(buf.String())
	}
	type discovery struct {
		Kind, APIVersion string
		Items            []struct {
			Metadata struct{ Name string }
			Versions []struct {
				Version, Freshness string
				Resources          []struct {
					Resource, Scope string
					ResponseKind    struct{ Group, Version, Kind string }
					Verbs           []string
					Subresources    []struct {
						Subresource string
						Verbs       []string
					}
				}
			}
		}
	}
	for _, v := range []string{"v2", "v2beta1"} {
		accept := "application/json;g=apidiscovery.k8s.io;v=" + v + ";as=APIGroupDiscoveryList,application/json"
		resp, data := get("/apis", accept, "")
		if ct := resp.Header.Get("Content-Type"); ct != "application/json;g=apidiscovery.k8s.io;v="+v+";as=APIGroupDiscoveryList" {
			t.Errorf("%s content type = %q", v, ct)
		}
		var d discovery
		if err := json.Unmarshal(data, &d); err != nil || d.Kind != "APIGroupDiscoveryList" || d.APIVersion != "apidiscovery.k8s.io/"+v {
			t.Fatalf("%s: %v %.200s", v, err, data)
		}
		found := false
		for _, g := range d.Items {
			if g.Metadata.Name == "coordination.k8s.io" && len(g.Versions) == 1 && g.Versions[0].Freshness == "Current" &&
				g.Versions[0].Resources[0].Resource == "leases" && g.Versions[0].Resources[0].Scope == "Namespaced" &&
				g.Versions[0].Resources[0].ResponseKind.Kind == "Lease" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no leases in %s", v, data)
		}
		if again, _ := get("/apis", accept, resp.Header.Get("Etag")); again.StatusCode != http.StatusNotModified {
			t.Errorf("%s: If-None-Match with the ETag = %d, want 304", v, again.StatusCode)
		}
	}
	_, data := get("/api", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "")
	var core discovery
	if err := json.Unmarshal(data, &core); err != nil || len(core.Items) != 1 || core.Items[0].Metadata.Name != "" {
		t.Fatalf("/api: %v %.300s", err, data)
	}
	for _, r := range core.Items[0].Versions[0].Resources {
		if r.Resource != "namespaces" {
			continue
		}
		if len(r.Subresources) != 2 || r.Subresources[0].Subresource != "finalize" || strings.Join(r.Subresources[0].Verbs, ",") != "update" {
			t.Errorf("namespaces subresources = %+v", r.Subresources)
		}
	}
	// Without the aggregated media type the legacy documents answer.
	if _, data := get("/apis", "application/json", ""); !strings.Contains(string(data), `"kind":"APIGroupList"`) {
		t.Errorf("legacy /apis = %.200s", data)
	}
}

// TestExplainDefinitions: the apiextensions group is documented in OpenAPI
// v2 and v3, so kubectl explain works on CustomResourceDefinitions.
func TestExplainDefinitions(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	if resp, data := do(t, c, "GET", p.URL+"/openapi/v3/apis/apiextensions.k8s.io/v1", "", nil); resp.StatusCode != 200 ||
		!strings.Contains(string(data), `"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"`) {
		t.Errorf("/openapi/v3/apis/apiextensions.k8s.io/v1 = %d %.200s", resp.StatusCode, data)
	}
	bins := kubectls(t)
	k := kubectl{t: t, bin: bins["kubectl"], kubeconfig: filepath.Join(p.DataDir, "admin.kubeconfig"), home: t.TempDir()}
	out := k.run("explain", "crd.spec.versions.schema")
	expectContains(t, "kubectl explain crd.spec.versions.schema", out, "KIND:       CustomResourceDefinition", "openAPIV3Schema")
}

// TestCustomResourceMediaTypes: custom resources are JSON and YAML only,
// and answer other media types as kube-apiserver 1.31's custom resource
// handler does: its own 406 wording, in protobuf when protobuf was asked.
func TestCustomResourceMediaTypes(t *testing.T) {
	p := startBinary(t, "", nil)
	a := newCRDAPI(t, p)
	const group = "media.example.com"
	if code, s := a.createDefinition(widgetCRD(group)); code != http.StatusCreated {
		t.Fatalf("creating the definition: %d %+v", code, s)
	}
	a.waitServed(widgetsPath(group, "default"))
	a.expect(http.StatusCreated, "POST", widgetsPath(group, "default"), widgetBody(group, "w", 1))
	const msg = "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"
	c := adminHTTP(t, p)
	get := func(path, accept string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", p.URL+path, nil)
		req.Header.Set("Accept", accept)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp, data
	}
	w := widgetsPath(group, "default") + "/w"
	for _, tc := range []struct {
		path, accept, contentType string
		code                      int
		has                       string
	}{
		{w, "text/html", "application/json", 406, `"message":"` + msg + `"`},
		{widgetsPath(group, "default"), "text/html", "application/json", 406, msg},
		{w + "/scale", "text/html", "application/json", 406, msg},
		{w, "application/vnd.kubernetes.protobuf", "application/vnd.kubernetes.protobuf", 406, msg},
		{w + "/scale", "application/vnd.kubernetes.protobuf", "application/vnd.kubernetes.protobuf", 406, msg},
		{w, "application/vnd.kubernetes.protobuf, application/json", "application/json", 200, `"kind":"Widget"`},
		{w, "application/yaml", "application/yaml", 200, "kind: Widget"},
	} {
		resp, data := get(tc.path, tc.accept)
		if resp.StatusCode != tc.code || resp.Header.Get("Content-Type") != tc.contentType || !strings.Contains(string(data), tc.has) {
			t.Errorf("GET %s with %q = %d %s %.200q", tc.path, tc.accept, resp.StatusCode, resp.Header.Get("Content-Type"), data)
		}
	}
}

// TestCustomResourceStatusPruned: a write through a custom resource's
// /status is pruned of fields its schema does not know, with the same
// warning as the resource itself, and reads back with the schema's
// defaults.
func TestCustomResourceStatusPruned(t *testing.T) {
	p := startBinary(t, "", nil)
	a := newCRDAPI(t, p)
	const group = "prune.example.com"
	if code, s := a.createDefinition(widgetCRD(group)); code != http.StatusCreated {
		t.Fatalf("creating the definition: %d %+v", code, s)
	}
	a.waitServed(widgetsPath(group, "default"))
	a.expect(http.StatusCreated, "POST", widgetsPath(group, "default"), widgetBody(group, "w", 1))
	c := adminHTTP(t, p)
	resp, data := do(t, c, "PATCH", p.URL+widgetsPath(group, "default")+"/w/status", "application/merge-patch+json",
		[]byte(`{"status":{"phase":"Up","bogus":1}}`))
	if resp.StatusCode != http.StatusOK || strings.Contains(string(data), "bogus") {
		t.Fatalf("status patch = %d %s", resp.StatusCode, data)
	}
	if w := resp.Header.Get("Warning"); !strings.Contains(w, `unknown field \"status.bogus\"`) {
		t.Errorf("Warning = %q", w)
	}
	got := string(a.expect(http.StatusOK, "GET", widgetsPath(group, "default")+"/w", nil))
	if strings.Contains(got, "bogus") || !strings.Contains(got, `"phase":"Up"`) || !strings.Contains(got, `"color":"red"`) {
		t.Errorf("stored widget = %s", got)
	}
}
