package openapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

var (
	coreV1    = schema.GroupVersion{Version: "v1"}
	stableV1  = schema.GroupVersion{Group: "stable.example.com", Version: "v1"}
	stableV2  = schema.GroupVersion{Group: "stable.example.com", Version: "v2"}
	cronTabV1 = "com.example.stable.v1.CronTab"
)

// cronTabSchema is the openAPIV3Schema of the CronTab example of the
// Kubernetes documentation, with a few constructs OpenAPI v2 lacks.
func cronTabSchema(t testing.TB) *spec.Schema {
	t.Helper()
	const raw = `{"type":"object","description":"CronTab runs a command on a schedule.","properties":{
	  "spec":{"type":"object","description":"Spec of the CronTab.","required":["cronSpec"],"properties":{
	    "cronSpec":{"type":"string","description":"The cron schedule, e.g. */5 * * * *."},
	    "image":{"type":"string","description":"The image to run."},
	    "replicas":{"type":"integer","minimum":1,"description":"How many to run."},
	    "port":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}],"description":"A port."},
	    "note":{"type":"string","nullable":true,"description":"A note."},
	    "extra":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"x":{"type":"string"}}}}},
	  "status":{"type":"object","properties":{"replicas":{"type":"integer"}}}}}`
	var s spec.Schema
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func cronTabResource(t testing.TB) Resource {
	t.Helper()
	return Resource{
		Kind: "CronTab", Plural: "crontabs", Namespaced: true,
		Subresources: []string{"status", "scale"}, Schema: cronTabSchema(t),
	}
}

// newTestService returns a service with core/v1 and, if crd, stable.example.com/v1.
func newTestService(t *testing.T, crd bool) *Service {
	t.Helper()
	svc := newCoreService(t)
	if crd {
		if err := svc.AddGroupVersion(stableV1, []Resource{cronTabResource(t)}); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}

// handlerOf returns svc's handlers on a mux with the server PathMux's
// rules: exact paths, then the longest prefix, else 404.
func handlerOf(svc *Service) http.Handler {
	mux := &pathMux{exact: map[string]http.Handler{}, prefixes: map[string]http.Handler{}}
	svc.InstallHandlers(mux)
	return mux
}

type pathMux struct {
	exact, prefixes map[string]http.Handler
}

func (m *pathMux) Handle(path string, h http.Handler)         { m.exact[path] = h }
func (m *pathMux) HandlePrefix(prefix string, h http.Handler) { m.prefixes[prefix] = h }

func (m *pathMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := m.exact[r.URL.Path]; ok {
		h.ServeHTTP(w, r)
		return
	}
	best := ""
	for p := range m.prefixes {
		if strings.HasPrefix(r.URL.Path, p) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		http.NotFound(w, r)
		return
	}
	m.prefixes[best].ServeHTTP(w, r)
}

// get requests path from h with the given headers ("Name", "value", ...).
func get(t *testing.T, h http.Handler, path string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// v2Doc and v3Doc fetch and decode documents as generic JSON.
func v2Doc(t *testing.T, svc *Service) map[string]any {
	t.Helper()
	return decode(t, get(t, handlerOf(svc), "/openapi/v2", "Accept", "application/json"))
}

func v3Doc(t *testing.T, svc *Service, key string) map[string]any {
	t.Helper()
	return decode(t, get(t, handlerOf(svc), "/openapi/v3/"+key, "Accept", "application/json"))
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return out
}

// at walks a decoded JSON document along keys.
func at(doc any, keys ...string) any {
	for _, k := range keys {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		doc = m[k]
	}
	return doc
}

func mustSchema(t *testing.T, raw string) *spec.Schema {
	t.Helper()
	var s spec.Schema
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatalf("schema %s: %v", raw, err)
	}
	return &s
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func sortedStrings(s []string) []string { slices.Sort(s); return s }

func equalStrings(a, b []string) bool { return slices.Equal(a, b) }

// coreV1Resources is a fixture of three core/v1 resources, ready for
// AddGroupVersion with schema.GroupVersion{Version: "v1"}: namespaces
// (every verb but deletecollection), configmaps and secrets. The server
// derives its own from its declarations.
func coreV1Resources() []Resource {
	return []Resource{
		{
			Kind: "Namespace", Plural: "namespaces", Definition: "io.k8s.api.core.v1.Namespace",
			Verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"},
		},
		{Kind: "ConfigMap", Plural: "configmaps", Namespaced: true, Definition: "io.k8s.api.core.v1.ConfigMap"},
		{Kind: "Secret", Plural: "secrets", Namespaced: true, Definition: "io.k8s.api.core.v1.Secret"},
	}
}
