package discovery

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

type mux struct{ *http.ServeMux }

func (m mux) HandlePrefix(prefix string, h http.Handler) { m.ServeMux.Handle(prefix, h) }

func registry() *Registry {
	d := NewRegistry()
	d.SetGroupVersion(schema.GroupVersion{Version: "v1"}, []metav1.APIResource{
		{Name: "namespaces", SingularName: "namespace", Kind: "Namespace", Verbs: []string{"get"}},
		{Name: "namespaces/finalize", Kind: "Namespace", Verbs: []string{"update"}},
		{Name: "configmaps", SingularName: "configmap", Namespaced: true, Kind: "ConfigMap", Verbs: []string{"get", "list"}, ShortNames: []string{"cm"}},
	}, true)
	widgets := []metav1.APIResource{
		{Name: "widgets", SingularName: "widget", Namespaced: true, Kind: "Widget", Verbs: []string{"get"}, Categories: []string{"all"}},
		{Name: "widgets/scale", Namespaced: true, Group: "autoscaling", Version: "v1", Kind: "Scale", Verbs: []string{"get", "update"}},
		{Name: "widgets/status", Namespaced: true, Kind: "Widget", Verbs: []string{"get"}},
	}
	d.SetGroupVersion(schema.GroupVersion{Group: "example.com", Version: "v2"}, widgets, false)
	d.SetGroupVersion(schema.GroupVersion{Group: "example.com", Version: "v1"}, widgets, false)
	d.SetVersionOrder("example.com", []string{"v2", "v1"})
	return d
}

func get(t *testing.T, d *Registry, path, accept string) (*http.Response, []byte) {
	t.Helper()
	m := mux{http.NewServeMux()}
	d.Install(m)
	req := httptest.NewRequest("GET", path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.Bytes()
}

func TestLegacyDocuments(t *testing.T) {
	d := registry()
	_, data := get(t, d, "/apis", "")
	var groups metav1.APIGroupList
	if err := json.Unmarshal(data, &groups); err != nil || len(groups.Groups) != 1 ||
		groups.Groups[0].PreferredVersion.Version != "v2" || len(groups.Groups[0].Versions) != 2 {
		t.Errorf("/apis = %s", data)
	}
	if !d.HasGroup("example.com") || d.HasGroup("nope.example.com") {
		t.Error("HasGroup")
	}
	d.RemoveGroupVersion(schema.GroupVersion{Group: "example.com", Version: "v2"})
	d.RemoveGroupVersion(schema.GroupVersion{Group: "example.com", Version: "v1"})
	if d.HasGroup("example.com") {
		t.Error("a group without versions is still served")
	}
	if _, data := get(t, d, "/apis", ""); string(data) != `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}` {
		t.Errorf("/apis with no group = %s", data)
	}
}

func TestAggregatedDocuments(t *testing.T) {
	d := registry()
	for _, tc := range []struct {
		name, accept string
		aggregated   bool
		version      string
	}{
		{"v2", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", true, "v2"},
		{"v2beta1 first", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", true, "v2beta1"},
		{"protobuf first, JSON next", "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", true, "v2"},
		{"legacy first", "application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", false, ""},
		{"unknown version", "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList", false, ""},
		{"no accept", "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := get(t, d, "/apis", tc.accept)
			var list apidiscoveryv2.APIGroupDiscoveryList
			_ = json.Unmarshal(data, &list)
			if got := list.Kind == "APIGroupDiscoveryList"; got != tc.aggregated {
				t.Fatalf("aggregated = %v, want %v: %s", got, tc.aggregated, data)
			}
			if tc.aggregated && (list.APIVersion != "apidiscovery.k8s.io/"+tc.version || resp.Header.Get("Vary") != "Accept") {
				t.Errorf("apiVersion %q, headers %v", list.APIVersion, resp.Header)
			}
		})
	}
	_, data := get(t, d, "/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
	var list apidiscoveryv2.APIGroupDiscoveryList
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Name != "example.com" || list.Items[0].Versions[0].Version != "v2" {
		t.Fatalf("groups = %s", data)
	}
	w := list.Items[0].Versions[0].Resources[0]
	if w.Resource != "widgets" || w.Scope != apidiscoveryv2.ScopeNamespace || *w.ResponseKind != (metav1.GroupVersionKind{Group: "example.com", Version: "v2", Kind: "Widget"}) ||
		len(w.Subresources) != 2 || *w.Subresources[0].ResponseKind != (metav1.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}) ||
		!slices.Equal(w.Categories, []string{"all"}) {
		t.Errorf("widgets = %+v", w)
	}
	_, data = get(t, d, "/api", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	core := list.Items[0].Versions[0].Resources
	// Built-in kinds are named without group and version, as kube does.
	if len(core) != 2 || core[0].Resource != "namespaces" || *core[0].ResponseKind != (metav1.GroupVersionKind{Kind: "Namespace"}) ||
		core[0].Scope != apidiscoveryv2.ScopeCluster || core[0].Subresources[0].Subresource != "finalize" {
		t.Errorf("core = %s", data)
	}
}

func TestAggregatedETag(t *testing.T) {
	d := registry()
	accept := "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
	resp, _ := get(t, d, "/apis", accept)
	etag := resp.Header.Get("Etag")
	m := mux{http.NewServeMux()}
	d.Install(m)
	req := httptest.NewRequest("GET", "/apis", nil)
	req.Header.Set("Accept", accept)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match = %d %q", rec.Code, rec.Body.String())
	}
	d.SetGroupVersion(schema.GroupVersion{Group: "more.example.com", Version: "v1"}, nil, false)
	if resp, _ := get(t, d, "/apis", accept); resp.Header.Get("Etag") == etag {
		t.Error("the ETag did not change with the groups")
	}
}
