package handlers_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/apiserver/apiserver/pkg/endpoints/fieldmanager"
	"github.com/apiserver/apiserver/pkg/endpoints/handlers"
	"github.com/apiserver/apiserver/pkg/registry/core/configmap"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// reviews is a create-only virtual resource, as access reviews are: it
// stores nothing and answers with what it was sent.
type reviews struct{ created int }

func (*reviews) New() runtime.Object { return &corev1.ConfigMap{} }

func (r *reviews) Create(_ context.Context, _ string, obj runtime.Object, _ bool) (runtime.Object, error) {
	r.created++
	return obj, nil
}

type fixture struct {
	server  *httptest.Server
	reviews *reviews
}

func newFixture(t *testing.T) *fixture { return newFixtureCached(t, false) }

// newFixtureCached serves the configmaps through the watch cache when
// cached is true.
func newFixtureCached(t *testing.T, cached bool) *fixture {
	t.Helper()
	cfg := etcdtest.StartEmbedded(t)
	cfg.WatchCache = cached
	backend, err := etcd3.OpenBackend(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	ty := configmap.Type()
	store, err := generic.NewStore(backend, ty, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	metav1.AddToGroupVersion(scheme, corev1.SchemeGroupVersion)
	fm, err := fieldmanager.New(fieldmanager.TypeConverter(nil, false), fieldmanager.Config{Kind: ty.Info.GroupVersionKind(), New: ty.New})
	if err != nil {
		t.Fatal(err)
	}
	cms := &handlers.Resource{
		Decl: rest.Resource{Info: ty.Info, Storage: store, Subresources: []rest.Subresource{
			// A subresource that only takes updates, as namespaces/finalize.
			{Name: "finalize", Storage: store, Verbs: []string{"update"}},
			// An exchange of its own, as pods/exec.
			{Name: "echo", Storage: echo{}, Verbs: []string{"create", "get"}},
		}},
		Table: ty.Table, Timeout: 10 * time.Second, Builtin: true,
		Protobuf: protobuf.NewSerializer(scheme, scheme), ProtobufStream: protobuf.NewRawSerializer(scheme, scheme),
		FieldManagers: func() (map[string]*managedfields.FieldManager, error) {
			return map[string]*managedfields.FieldManager{"": fm}, nil
		},
	}
	rv := &reviews{}
	reviewInfo := rest.ResourceInfo{GroupVersionResource: corev1.SchemeGroupVersion.WithResource("reviews"), Kind: "ConfigMap", Namespaced: true}
	reviewsHandler := &handlers.Resource{Decl: rest.Resource{Info: reviewInfo, Storage: rv}, Table: tables.DefaultTableConvertor(reviewInfo.GroupResource())}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/namespaces/ns/configmaps", cms)
	mux.Handle("/api/v1/namespaces/ns/configmaps/", cms)
	mux.Handle("/api/v1/namespaces/ns/reviews", reviewsHandler)
	mux.Handle("/api/v1/namespaces/ns/reviews/", reviewsHandler)
	f := &fixture{server: httptest.NewServer(mux), reviews: rv}
	t.Cleanup(f.server.Close)
	return f
}

func (f *fixture) do(t *testing.T, method, path, accept, contentType, body string) (*http.Response, []byte) {
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
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

func statusOf(t *testing.T, data []byte) metav1.Status {
	t.Helper()
	var s metav1.Status
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("not a Status: %s", data)
	}
	return s
}

const cms = "/api/v1/namespaces/ns/configmaps"

// The verbs a storage implements, narrowed by the declaration, are the
// verbs served: the rest are kube-apiserver's 405.
func TestVerbsFollowInterfaces(t *testing.T) {
	f := newFixture(t)
	if resp, data := f.do(t, "POST", "/api/v1/namespaces/ns/reviews", "", "application/json", `{"metadata":{"name":"r"}}`); resp.StatusCode != 201 {
		t.Fatalf("create of a create-only resource = %d %s", resp.StatusCode, data)
	}
	if f.reviews.created != 1 {
		t.Errorf("the review storage saw %d creates", f.reviews.created)
	}
	f.do(t, "POST", cms, "", "application/json", `{"metadata":{"name":"c"}}`)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/v1/namespaces/ns/reviews"},
		{"GET", "/api/v1/namespaces/ns/reviews/r"},
		{"DELETE", "/api/v1/namespaces/ns/reviews/r"},
		{"GET", cms + "/c/finalize"},
		{"PATCH", cms + "/c/finalize"},
	} {
		resp, data := f.do(t, tc.method, tc.path, "", "application/merge-patch+json", `{}`)
		s := statusOf(t, data)
		if resp.StatusCode != 405 || s.Reason != metav1.StatusReasonMethodNotAllowed {
			t.Errorf("%s %s = %d %s", tc.method, tc.path, resp.StatusCode, data)
		}
	}
	if resp, data := f.do(t, "GET", cms+"/c/status", "", "", ""); resp.StatusCode != 404 {
		t.Errorf("an undeclared subresource = %d %s", resp.StatusCode, data)
	}
}

// echo is a rest.Connecter: it answers with the request's method and
// path, and refuses the object "missing".
type echo struct{}

func (echo) New() runtime.Object { return &corev1.ConfigMap{} }

func (echo) Connect(_ context.Context, _, name string, _ *http.Request) (http.Handler, error) {
	if name == "missing" {
		return nil, apierrors.NewNotFound(corev1.Resource("configmaps"), name)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
	}), nil
}

// A Connecter gets the requests of its declared verbs; its errors are
// Status answers.
func TestConnecter(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", cms + "/c/echo/deeper", 200, "GET /api/v1/namespaces/ns/configmaps/c/echo/deeper"},
		{"POST", cms + "/c/echo", 200, "POST /api/v1/namespaces/ns/configmaps/c/echo"},
		{"DELETE", cms + "/c/echo", 405, ""},
		{"GET", cms + "/missing/echo", 404, ""},
	} {
		resp, data := f.do(t, tc.method, tc.path, "", "", "")
		if resp.StatusCode != tc.code || (tc.body != "" && string(data) != tc.body) || (tc.body == "" && statusOf(t, data).Code != int32(tc.code)) {
			t.Errorf("%s %s = %d %s", tc.method, tc.path, resp.StatusCode, data)
		}
	}
}

func TestNegotiation(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", cms, "", "application/json", `{"metadata":{"name":"c"}}`)
	for _, tc := range []struct {
		name, path, accept string
		code               int
		contentType, has   string
	}{
		{"json", cms + "/c", "application/json", 200, "application/json", `"kind":"ConfigMap"`},
		{"yaml", cms + "/c", "application/yaml", 200, "application/yaml", "kind: ConfigMap"},
		{"protobuf", cms + "/c", "application/vnd.kubernetes.protobuf", 200, "application/vnd.kubernetes.protobuf", "k8s\x00"},
		{"protobuf error", cms + "/nope", "application/vnd.kubernetes.protobuf", 404, "application/vnd.kubernetes.protobuf", "NotFound"},
		{"protobuf partial metadata", cms, "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1", 200,
			"application/vnd.kubernetes.protobuf", "PartialObjectMetadataList"},
		{"table", cms, "application/json;as=Table;g=meta.k8s.io;v=v1", 200, "application/json", `"kind":"Table"`},
		{"protobuf table is 406", cms, "application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1", 406, "application/json",
			"Available representations: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch"},
		{"html get is 406", cms + "/c", "text/html", 406, "application/json",
			`Available representations: application/json, application/yaml, application/vnd.kubernetes.protobuf"`},
		{"first acceptable wins", cms + "/c", "text/html, application/yaml, application/json", 200, "application/yaml", "kind: ConfigMap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := f.do(t, "GET", tc.path, tc.accept, "", "")
			if resp.StatusCode != tc.code || resp.Header.Get("Content-Type") != tc.contentType || !bytes.Contains(data, []byte(tc.has)) {
				t.Errorf("%d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), data)
			}
		})
	}
}

// A protobuf watch is a stream of length-prefixed WatchEvents, each holding
// an object in the protobuf envelope.
func TestProtobufWatch(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", cms, "", "application/json", `{"metadata":{"name":"c"}}`)
	req, _ := http.NewRequest("GET", f.server.URL+cms+"?watch=true&timeoutSeconds=1", nil)
	req.Header.Set("Accept", "application/vnd.kubernetes.protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.kubernetes.protobuf;stream=watch" {
		t.Errorf("content type = %q", ct)
	}
	var size uint32
	if err := binary.Read(resp.Body, binary.BigEndian, &size); err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, size)
	if _, err := io.ReadFull(resp.Body, frame); err != nil {
		t.Fatal(err)
	}
	var ev metav1.WatchEvent
	if err := ev.Unmarshal(frame); err != nil {
		t.Fatalf("frame is no WatchEvent: %v", err)
	}
	if ev.Type != "ADDED" || !bytes.HasPrefix(ev.Object.Raw, []byte("k8s\x00")) || !bytes.Contains(ev.Object.Raw, []byte("ConfigMap")) {
		t.Errorf("event = %s %q", ev.Type, ev.Object.Raw)
	}
}

func TestWriteParameters(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, method, path, contentType, body string
		code                                  int
		message                               string
	}{
		{"dryRun", "POST", cms + "?dryRun=Bogus", "application/json", `{"metadata":{"name":"x"}}`, 422,
			`CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Bogus"}: supported values: "All"`},
		{"fieldValidation", "PATCH", cms + "/x?fieldValidation=no", "application/merge-patch+json", `{}`, 422,
			`PatchOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "no": supported values: "", "Ignore", "Strict", "Warn"`},
		{"fieldManager too long", "POST", cms + "?fieldManager=" + strings.Repeat("m", 129), "application/json", `{"metadata":{"name":"x"}}`, 422,
			`CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: must have at most 128 bytes`},
		{"fieldManager not printable", "POST", cms + "?fieldManager=a%07b", "application/json", `{"metadata":{"name":"x"}}`, 422,
			`CreateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\ab": invalid character U+0007 (at position 1)`},
		{"apply without manager", "PATCH", cms + "/x", "application/apply-patch+yaml", "apiVersion: v1\nkind: ConfigMap\n", 422,
			`PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`},
		{"unknown patch type", "PATCH", cms + "/x", "text/plain", "x", 415, "415: Unsupported Media Type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := f.do(t, tc.method, tc.path, "", tc.contentType, tc.body)
			if s := statusOf(t, data); resp.StatusCode != tc.code || s.Message != tc.message {
				t.Errorf("%d %s\nwant %d %s", resp.StatusCode, s.Message, tc.code, tc.message)
			}
		})
	}
	if resp, data := f.do(t, "GET", cms+"/x", "", "", ""); resp.StatusCode != 404 {
		t.Errorf("a refused write stored something: %d %s", resp.StatusCode, data)
	}
}

// Every write is recorded in managedFields under its manager.
func TestManagedFieldsRecorded(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest("POST", f.server.URL+cms, strings.NewReader(`{"metadata":{"name":"m"},"data":{"a":"1"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "my-tool/1.0 (linux)")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(data, []byte(`"manager":"my-tool","operation":"Update"`)) {
		t.Errorf("create by my-tool/1.0: %s", data)
	}
	_, data = f.do(t, "PATCH", cms+"/m?fieldManager=patcher", "", "application/merge-patch+json", `{"data":{"b":"2"}}`)
	if !bytes.Contains(data, []byte(`"manager":"patcher","operation":"Update"`)) || !bytes.Contains(data, []byte(`"f:b":{}`)) {
		t.Errorf("patch by patcher: %s", data)
	}
}

// An apply patch with a duplicate key is refused under Strict and warned
// of under Warn, once the apply succeeds, in kube-apiserver's words.
func TestApplyDuplicateKeys(t *testing.T) {
	f := newFixture(t)
	body := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\ndata:\n  a: \"1\"\n  a: \"2\"\n"
	resp, data := f.do(t, "PATCH", cms+"/dup?fieldManager=t&fieldValidation=Strict", "", "application/apply-patch+yaml", body)
	if s := statusOf(t, data); resp.StatusCode != 400 ||
		s.Message != "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 7: key \"a\" already set in map" {
		t.Errorf("Strict: %d %s", resp.StatusCode, s.Message)
	}
	resp, data = f.do(t, "PATCH", cms+"/dup?fieldManager=t&fieldValidation=Warn", "", "application/apply-patch+yaml", body)
	if got := resp.Header.Get("Warning"); resp.StatusCode != 201 || got != `299 - "line 7: key \"a\" already set in map"` {
		t.Errorf("Warn: %d %q %s", resp.StatusCode, got, data)
	}
	resp, _ = f.do(t, "PATCH", cms+"/dup?fieldManager=t&fieldValidation=Ignore", "", "application/apply-patch+yaml", body)
	if resp.StatusCode != 200 || resp.Header.Get("Warning") != "" {
		t.Errorf("Ignore: %d %q", resp.StatusCode, resp.Header.Get("Warning"))
	}
}
