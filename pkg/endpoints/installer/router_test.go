package installer_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/endpoints/discovery"
	"github.com/apiserver/apiserver/pkg/endpoints/installer"
	"github.com/apiserver/apiserver/pkg/openapi"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// throwaway is a type served nowhere else, declared in a group of its own:
// a PodTemplate, a Go type with a generated OpenAPI definition.
var throwawayGV = schema.GroupVersion{Group: "throwaway.example.com", Version: "v1"}

func throwawayType() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: throwawayGV.WithResource("templates"),
			Kind:                 "PodTemplate", ListKind: "PodTemplateList", Singular: "template",
			ShortNames: []string{"tpl"}, Categories: []string{"all"}, Namespaced: true,
		},
		New:      func() runtime.Object { return &corev1.PodTemplate{} },
		NewList:  func() runtime.Object { return &corev1.PodTemplateList{} },
		Strategy: plainStrategy{},
	}
}

type fixture struct {
	router  *installer.Router
	catalog *rest.Catalog
	scheme  *runtime.Scheme
	server  *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	ty := throwawayType()
	store, err := generic.NewStore(backend, ty, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{catalog: rest.NewCatalog(), scheme: runtime.NewScheme()}
	d := discovery.NewRegistry()
	oapi := openapi.NewService()
	f.router = installer.NewRouter(installer.Config{Discovery: d, OpenAPI: oapi, Catalog: f.catalog, Scheme: f.scheme, Timeout: 10 * time.Second}, nil)
	m := server.NewPathMux(http.NotFoundHandler())
	f.router.Install(m)
	d.Install(m)
	oapi.InstallHandlers(m)
	f.server = httptest.NewServer(m)
	t.Cleanup(f.server.Close)
	// The declaration is all there is: one line.
	decl := rest.GroupVersion{GroupVersion: throwawayGV, Resources: []rest.Resource{{Info: ty.Info, Storage: store,
		Defaults: func(obj runtime.Object) {
			// The scheme runs the type's defaulting on every decoded body.
			if tpl := obj.(*corev1.PodTemplate); tpl.Template.Labels == nil {
				tpl.Template.Labels = map[string]string{"defaulted": "yes"}
			}
		}}}}
	if err := f.router.SetGroupVersion(decl); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) do(t *testing.T, method, path, accept, contentType, body string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.server.URL+path, strings.NewReader(body))
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, buf.String()
}

// TestThrowawayTypeFromDeclarationAlone: a type added by its declaration
// alone is routed, listed in both discovery forms, documented in OpenAPI
// v2 and v3, known to the scheme (protobuf) and to namespace cleanup.
func TestThrowawayTypeFromDeclarationAlone(t *testing.T) {
	f := newFixture(t)
	base := "/apis/throwaway.example.com/v1"
	if code, _, body := f.do(t, "POST", base+"/namespaces/ns/templates", "", "application/json",
		`{"metadata":{"name":"t1"},"template":{"metadata":{"labels":{"a":"b"}}}}`); code != 201 {
		t.Fatalf("create = %d %s", code, body)
	}
	if code, _, body := f.do(t, "GET", base+"/namespaces/ns/templates/t1", "", "", ""); code != 200 || !strings.Contains(body, `"kind":"PodTemplate"`) {
		t.Errorf("get = %d %s", code, body)
	}
	if code, _, body := f.do(t, "POST", base+"/namespaces/ns/templates", "", "application/json", `{"metadata":{"name":"t2"}}`); code != 201 ||
		!strings.Contains(body, `"labels":{"defaulted":"yes"}`) {
		t.Errorf("create without labels = %d %s; want the scheme's defaults", code, body)
	}
	if code, h, _ := f.do(t, "GET", base+"/namespaces/ns/templates/t1", "application/vnd.kubernetes.protobuf", "", ""); code != 200 ||
		h.Get("Content-Type") != "application/vnd.kubernetes.protobuf" {
		t.Errorf("protobuf get = %d %s", code, h.Get("Content-Type"))
	}
	if code, _, body := f.do(t, "GET", base, "", "", ""); code != 200 ||
		!strings.Contains(body, `"name":"templates","singularName":"template","namespaced":true,"kind":"PodTemplate"`) {
		t.Errorf("legacy discovery = %d %s", code, body)
	}
	_, _, body := f.do(t, "GET", "/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "", "")
	if !strings.Contains(body, `"name":"throwaway.example.com"`) || !strings.Contains(body, `"resource":"templates"`) {
		t.Errorf("aggregated discovery = %s", body)
	}
	_, _, v2 := f.do(t, "GET", "/openapi/v2", "", "", "")
	var swagger struct{ Paths map[string]any }
	if err := json.Unmarshal([]byte(v2), &swagger); err != nil || swagger.Paths[base+"/namespaces/{namespace}/templates/{name}"] == nil {
		t.Errorf("/openapi/v2 lacks the type: %v", err)
	}
	if code, _, v3 := f.do(t, "GET", "/openapi/v3/apis/throwaway.example.com/v1", "", "", ""); code != 200 ||
		!strings.Contains(v3, `"group":"throwaway.example.com"`) {
		t.Errorf("/openapi/v3 = %d %.200s", code, v3)
	}
	if !slices.ContainsFunc(f.catalog.Namespaced(), func(r rest.Resource) bool { return r.Info.Resource == "templates" }) {
		t.Error("namespace cleanup does not know the type")
	}
	if !f.scheme.Recognizes(throwawayGV.WithKind("PodTemplate")) || !f.catalog.BuiltinGroup("throwaway.example.com") {
		t.Error("the scheme or the catalog lacks the type")
	}
	// Removing the group version takes it out of everything again.
	f.router.RemoveGroupVersion(throwawayGV)
	if code, _, _ := f.do(t, "GET", base+"/namespaces/ns/templates", "", "", ""); code != 404 {
		t.Errorf("list after removal = %d", code)
	}
	if len(f.catalog.Namespaced()) != 0 {
		t.Errorf("catalog after removal = %v", f.catalog.Namespaced())
	}
}

func TestSetGroupVersionRefusesInvalid(t *testing.T) {
	f := newFixture(t)
	bad := rest.GroupVersion{GroupVersion: throwawayGV, Resources: []rest.Resource{{Info: throwawayType().Info}}}
	if err := f.router.SetGroupVersion(bad); err == nil || !strings.Contains(err.Error(), "no storage") {
		t.Errorf("SetGroupVersion of a resource without storage = %v", err)
	}
	// What was served stays served.
	if code, _, _ := f.do(t, "GET", "/apis/throwaway.example.com/v1/namespaces/ns/templates", "", "", ""); code != 200 {
		t.Errorf("list after a refused declaration = %d", code)
	}
	// A declaration the OpenAPI documents refuse (a subresource they
	// cannot describe) publishes nothing: no route, no discovery entry.
	other := schema.GroupVersion{Group: "other.example.com", Version: "v1"}
	info := throwawayType().Info
	info.GroupVersionResource = other.WithResource("templates")
	undocumented := rest.GroupVersion{GroupVersion: other, Resources: []rest.Resource{{Info: info, Storage: plainStorage{},
		Subresources: []rest.Subresource{{Name: "bogus", Storage: plainStorage{}}}}}}
	if err := f.router.SetGroupVersion(undocumented); err == nil || !strings.Contains(err.Error(), `unsupported subresource "bogus"`) {
		t.Fatalf("SetGroupVersion of an undocumentable subresource = %v", err)
	}
	if code, _, _ := f.do(t, "GET", "/apis/other.example.com/v1", "", "", ""); code != 404 {
		t.Errorf("discovery of a refused group version = %d, want 404", code)
	}
	if f.catalog.BuiltinGroup("other.example.com") {
		t.Error("the catalog holds a refused group version")
	}
}

// plainStorage is a resource that only makes objects: enough to declare.
type plainStorage struct{}

func (plainStorage) New() runtime.Object { return &corev1.PodTemplate{} }

// Unknown groups are plain 404s; unknown versions and resources of a
// served group are Status 404s, as kube-apiserver answers them.
func TestNotFoundAnswers(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		path, contentType string
	}{
		{"/apis/nope.example.com/v1/things", "text/plain; charset=utf-8"},
		{"/apis/nope.example.com", "text/plain; charset=utf-8"},
		{"/apis/throwaway.example.com/v2/templates", "application/json"},
		{"/apis/throwaway.example.com/v1/others", "application/json"},
		{"/apis/throwaway.example.com/v1/templates", "application/json"}, // namespaced, listed at the cluster scope: fine
	} {
		code, h, body := f.do(t, "GET", tc.path, "", "", "")
		if tc.path == "/apis/throwaway.example.com/v1/templates" {
			if code != 200 {
				t.Errorf("%s = %d %s", tc.path, code, body)
			}
			continue
		}
		if code != 404 || h.Get("Content-Type") != tc.contentType {
			t.Errorf("%s = %d %s %q", tc.path, code, h.Get("Content-Type"), body)
		}
	}
}
