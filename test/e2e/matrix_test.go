package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// matrixGolden holds kube-apiserver 1.31's answers to the permission
// matrix. Record it again with
//
//	../shared/reference/kube-apiserver.sh start /tmp/kas
//	APISERVER_MATRIX_RECORD=/tmp/kas/admin.kubeconfig go test ./test/e2e -run TestPermissionMatrix
const matrixGolden = "testdata/permission-matrix.json"

// answer is what the matrix compares: the code and, for failures, the
// Status reason and message.
type answer struct {
	Code    int    `json:"code"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// matrixServer is a server under test, reached as its administrator.
type matrixServer struct {
	t     *testing.T
	url   string
	admin *http.Client
	// plain carries no credential of its own (the TLS trust only).
	plain *http.Client
}

func newMatrixServer(t *testing.T, kubeconfig string) *matrixServer {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	anon := rest.AnonymousClientConfig(cfg)
	plain, err := rest.HTTPClientFor(anon)
	if err != nil {
		t.Fatal(err)
	}
	admin.Timeout, plain.Timeout = 10*time.Second, 10*time.Second
	return &matrixServer{t: t, url: cfg.Host, admin: admin, plain: plain}
}

// send makes one request and reads the answer's status, without waiting
// for a watch to end.
func (s *matrixServer) send(c *http.Client, method, path string, body []byte, header http.Header) answer {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	a := answer{Code: resp.StatusCode}
	if resp.StatusCode >= 300 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var st struct{ Reason, Message string }
		if json.Unmarshal(data, &st) == nil {
			a.Reason, a.Message = st.Reason, st.Message
		}
	}
	return a
}

// ensure creates obj at path unless it exists.
func (s *matrixServer) ensure(path, obj string) {
	s.t.Helper()
	if a := s.send(s.admin, "POST", path, []byte(obj), nil); a.Code != 201 && a.Code != 409 {
		s.t.Fatalf("POST %s = %+v", path, a)
	}
}

const rbacV1 = "/apis/rbac.authorization.k8s.io/v1"

// setUp creates the namespaces, objects and bindings of the matrix and
// returns a token of the service account. view and edit get their
// aggregated rules where nothing aggregates them (a kube-apiserver without
// kube-controller-manager).
func (s *matrixServer) setUp() string {
	for _, ns := range []string{"ns-a", "ns-b"} {
		s.ensure("/api/v1/namespaces", `{"metadata":{"name":"`+ns+`"}}`)
		s.ensure("/api/v1/namespaces/"+ns+"/secrets", `{"metadata":{"name":"s1"},"stringData":{"k":"v"}}`)
		s.ensure("/api/v1/namespaces/"+ns+"/configmaps", `{"metadata":{"name":"c1"},"data":{"k":"v"}}`)
	}
	s.ensure(rbacV1+"/clusterrolebindings", `{"metadata":{"name":"matrix-viewer"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"viewer"}]}`)
	s.ensure(rbacV1+"/namespaces/ns-a/roles", `{"metadata":{"name":"cm-writer"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list","watch","create","delete"]}]}`)
	s.ensure(rbacV1+"/namespaces/ns-a/rolebindings", `{"metadata":{"name":"cm-writer"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"cm-writer"},"subjects":[{"kind":"User","name":"nsuser"}]}`)
	s.ensure("/api/v1/namespaces/ns-a/serviceaccounts", `{"metadata":{"name":"robot"}}`)
	s.ensure(rbacV1+"/namespaces/ns-b/rolebindings", `{"metadata":{"name":"robot-edit"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},"subjects":[{"kind":"ServiceAccount","name":"robot","namespace":"ns-a"}]}`)
	s.fillAggregated()

	req, _ := http.NewRequest("POST", s.url+"/api/v1/namespaces/ns-a/serviceaccounts/robot/token", strings.NewReader(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.admin.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct{ Status struct{ Token string } }
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.Status.Token == "" {
		s.t.Fatalf("token request = %d, %v", resp.StatusCode, err)
	}
	// The authorizer follows the bindings through a watch: wait for the
	// last of them.
	waitUntil(s.t, 10*time.Second, "the bindings are in force", func() bool {
		h := http.Header{"Impersonate-User": {"viewer"}}
		return s.send(s.admin, "GET", "/api/v1/namespaces/ns-b/configmaps", nil, h).Code == 200 &&
			s.send(s.admin, "GET", "/api/v1/namespaces/ns-b/configmaps", nil, http.Header{"Impersonate-User": {"system:serviceaccount:ns-a:robot"}}).Code == 200
	})
	return tr.Status.Token
}

// fillAggregated gives view and edit the rules of the roles that
// aggregate to them when they have none, after a moment for a server that
// aggregates to do it.
func (s *matrixServer) fillAggregated() {
	rulesOf := func(name string) []json.RawMessage {
		req, _ := http.NewRequest("GET", s.url+rbacV1+"/clusterroles/"+name, nil)
		resp, err := s.admin.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		defer resp.Body.Close()
		var role struct{ Rules []json.RawMessage }
		if err := json.NewDecoder(resp.Body).Decode(&role); err != nil {
			s.t.Fatal(err)
		}
		return role.Rules
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(rulesOf("view")) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	for name, from := range map[string][]string{"view": {"system:aggregate-to-view"}, "edit": {"system:aggregate-to-edit", "system:aggregate-to-view"}} {
		if len(rulesOf(name)) > 0 {
			continue
		}
		var rules []json.RawMessage
		for _, f := range from {
			rules = append(rules, rulesOf(f)...)
		}
		patch, _ := json.Marshal(map[string]any{"rules": rules})
		req, _ := http.NewRequest("PATCH", s.url+rbacV1+"/clusterroles/"+name, bytes.NewReader(patch))
		req.Header.Set("Content-Type", "application/merge-patch+json")
		resp, err := s.admin.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		resp.Body.Close()
	}
}

// matrixRequest is one row of the matrix.
type matrixRequest struct {
	method, path, body string
}

func (r matrixRequest) key() string { return r.method + " " + r.path }

func matrixRequests() []matrixRequest {
	var out []matrixRequest
	for _, ns := range []string{"ns-a", "ns-b"} {
		for _, res := range []string{"secrets", "configmaps"} {
			coll := "/api/v1/namespaces/" + ns + "/" + res
			name := map[string]string{"secrets": "s1", "configmaps": "c1"}[res]
			out = append(out,
				matrixRequest{"GET", coll + "/" + name, ""},
				matrixRequest{"GET", coll, ""},
				matrixRequest{"GET", coll + "?watch=true&timeoutSeconds=1", ""},
				matrixRequest{"POST", coll + "?dryRun=All", `{"metadata":{"name":"new"}}`},
				matrixRequest{"DELETE", coll + "/" + name + "?dryRun=All", ""},
			)
		}
	}
	for _, p := range []string{"/api/v1/namespaces", "/api/v1/namespaces/ns-a", rbacV1 + "/clusterroles",
		"/healthz", "/livez", "/readyz", "/version", "/api", "/apis", "/metrics"} {
		out = append(out, matrixRequest{"GET", p, ""})
	}
	return out
}

// askAll sends every request as every principal and returns the answers
// by principal and request.
func (s *matrixServer) askAll(saToken string) map[string]map[string]answer {
	principals := []struct {
		name   string
		client *http.Client
		header http.Header
	}{
		{"admin", s.admin, nil},
		{"viewer (ClusterRole view)", s.admin, http.Header{"Impersonate-User": {"viewer"}}},
		{"nsuser (Role in ns-a)", s.admin, http.Header{"Impersonate-User": {"nsuser"}}},
		{"plain user (no binding)", s.admin, http.Header{"Impersonate-User": {"plain"}}},
		{"service account (edit in ns-b)", s.plain, http.Header{"Authorization": {"Bearer " + saToken}}},
		{"anonymous", s.plain, nil},
		{"bad token", s.plain, http.Header{"Authorization": {"Bearer not-a-token"}}},
	}
	out := map[string]map[string]answer{}
	for _, p := range principals {
		out[p.name] = map[string]answer{}
		for _, r := range matrixRequests() {
			var body []byte
			if r.body != "" {
				body = []byte(r.body)
			}
			out[p.name][r.key()] = s.send(p.client, r.method, r.path, body, p.header)
		}
	}
	return out
}

// TestPermissionMatrix: admin, a user bound to view, a user bound to a
// namespaced Role, a user bound to nothing, a service account, anonymous
// and a bad token, each reading and writing secrets and configmaps in two
// namespaces, reading cluster-scoped resources and the non-resource
// paths: every status code, reason and message is the one kube-apiserver
// 1.31 gives (testdata/permission-matrix.json, recorded from it).
func TestPermissionMatrix(t *testing.T) {
	if kubeconfig := os.Getenv("APISERVER_MATRIX_RECORD"); kubeconfig != "" {
		s := newMatrixServer(t, kubeconfig)
		got := s.askAll(s.setUp())
		data, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.FromSlash(matrixGolden), append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s from %s", matrixGolden, s.url)
		return
	}
	data, err := os.ReadFile(filepath.FromSlash(matrixGolden))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]map[string]answer
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	p := startBinary(t, "", nil)
	s := newMatrixServer(t, filepath.Join(p.DataDir, "admin.kubeconfig"))
	got := s.askAll(s.setUp())
	principals := make([]string, 0, len(want))
	for name := range want {
		principals = append(principals, name)
	}
	slices.Sort(principals)
	checked := 0
	for _, name := range principals {
		for _, r := range matrixRequests() {
			w, g := want[name][r.key()], got[name][r.key()]
			if w != g {
				t.Errorf("%s: %s = %s, want %s", name, r.key(), g, w)
			}
			checked++
		}
	}
	t.Logf("%d answers compared", checked)
}

func (a answer) String() string {
	if a.Reason == "" {
		return fmt.Sprint(a.Code)
	}
	return fmt.Sprintf("%d %s %q", a.Code, a.Reason, a.Message)
}
