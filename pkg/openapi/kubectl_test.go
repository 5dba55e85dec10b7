package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// kubectls returns the kubectl binaries on this machine: kubectl and the
// versioned kubectl.1.NN beside it. Outside CI a machine without kubectl
// skips the test; in CI (CI=true) it fails it.
func kubectls(t *testing.T) []string {
	t.Helper()
	path, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("kubectl is required in CI: %v", err)
		}
		t.Skipf("kubectl not found: %v", err)
	}
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved
	}
	versioned, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "kubectl.1.*"))
	slices.Sort(versioned)
	return append(versioned, path)
}

// fakeCluster is an HTTPS server with the OpenAPI handlers of svc and just
// enough of the API for kubectl: discovery, /version, and a ConfigMap
// "existing" in namespace default that accepts patches.
type fakeCluster struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []string // "METHOD path Accept"
	patches  []recordedPatch
}

type recordedPatch struct {
	contentType string
	body        string
}

const existingConfigMap = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"existing","namespace":"default",` +
	`"uid":"0b7e6f8e-2a1d-4d5e-9d55-9f6c6f1f2b01","resourceVersion":"7","creationTimestamp":"2024-01-01T00:00:00Z",` +
	`"annotations":{"kubectl.kubernetes.io/last-applied-configuration":` +
	`"{\"apiVersion\":\"v1\",\"data\":{\"a\":\"1\",\"b\":\"2\"},\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"existing\",\"namespace\":\"default\"}}\n"}},` +
	`"data":{"a":"1","b":"2"}}`

func startFakeCluster(t *testing.T, svc *Service) *fakeCluster {
	t.Helper()
	fc := &fakeCluster{}
	mux := http.NewServeMux()
	svc.InstallHandlers(serveMuxAdapter{mux})
	stub := func(path, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		})
	}
	stub("/version", `{"major":"1","minor":"32","gitVersion":"v1.32.0","platform":"linux/amd64"}`)
	stub("/api", `{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}`)
	stub("/apis", apiGroupList)
	stub("/api/v1", apiResourceList)
	stub("/apis/stable.example.com/v1", cronTabResourceList)
	mux.HandleFunc("/api/v1/namespaces/default/configmaps/", fc.serveConfigMap)
	fc.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fc.mu.Lock()
		fc.requests = append(fc.requests, r.Method+" "+r.URL.Path+" "+r.Header.Get("Accept"))
		fc.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	fc.srv.EnableHTTP2 = true
	fc.srv.StartTLS()
	t.Cleanup(fc.srv.Close)
	return fc
}

func (fc *fakeCluster) serveConfigMap(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/default/configmaps/") != "existing" {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"configmaps not found"}`)
		return
	}
	if r.Method == http.MethodPatch {
		body, _ := io.ReadAll(r.Body)
		fc.mu.Lock()
		fc.patches = append(fc.patches, recordedPatch{r.Header.Get("Content-Type"), string(body)})
		fc.mu.Unlock()
	}
	_, _ = io.WriteString(w, existingConfigMap)
}

func (fc *fakeCluster) reset() ([]string, []recordedPatch) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	reqs, patches := fc.requests, fc.patches
	fc.requests, fc.patches = nil, nil
	return reqs, patches
}

const apiResourceList = `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1","resources":[
{"name":"configmaps","singularName":"configmap","namespaced":true,"kind":"ConfigMap","shortNames":["cm"],"verbs":["create","delete","deletecollection","get","list","patch","update","watch"]},
{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","shortNames":["ns"],"verbs":["create","delete","get","list","patch","update","watch"]},
{"name":"secrets","singularName":"secret","namespaced":true,"kind":"Secret","verbs":["create","delete","deletecollection","get","list","patch","update","watch"]}]}`

// apiGroupList and cronTabResourceList are the discovery of the custom
// resource that newTestService registers.
const apiGroupList = `{"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"stable.example.com",` +
	`"versions":[{"groupVersion":"stable.example.com/v1","version":"v1"}],` +
	`"preferredVersion":{"groupVersion":"stable.example.com/v1","version":"v1"}}]}`

const cronTabResourceList = `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"stable.example.com/v1","resources":[
{"name":"crontabs","singularName":"crontab","namespaced":true,"kind":"CronTab","shortNames":["ct"],"verbs":["create","delete","deletecollection","get","list","patch","update","watch"]},
{"name":"crontabs/status","singularName":"","namespaced":true,"kind":"CronTab","verbs":["get","patch","update"]},
{"name":"crontabs/scale","singularName":"","namespaced":true,"group":"autoscaling","version":"v1","kind":"Scale","verbs":["get","patch","update"]}]}`

// serveMuxAdapter gives an http.ServeMux the server's PathMux methods.
type serveMuxAdapter struct{ *http.ServeMux }

func (m serveMuxAdapter) HandlePrefix(prefix string, h http.Handler) { m.ServeMux.Handle(prefix, h) }

// writeKubeconfig writes a kubeconfig for url that skips TLS verification.
func writeKubeconfig(t *testing.T, url string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: ` + url + `
    insecure-skip-tls-verify: true
users:
- name: fake
  user:
    token: fake-token
contexts:
- name: fake
  context:
    cluster: fake
    user: fake
    namespace: default
current-context: fake
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runKubectl runs one kubectl with a fresh cache and home directory.
func runKubectl(t *testing.T, bin, kubeconfig string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	home := t.TempDir()
	args = append([]string{"--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(home, "cache")}, args...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

func newCoreService(t *testing.T) *Service {
	t.Helper()
	svc := NewService(WithInfo(Info{Title: "Kubernetes", Version: "v1.32.0"}))
	if err := svc.AddGroupVersion(schema.GroupVersion{Version: "v1"}, coreV1Resources()); err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestKubectlExplain(t *testing.T) {
	bins := kubectls(t)
	fc := startFakeCluster(t, newTestService(t, true))
	kubeconfig := writeKubeconfig(t, fc.srv.URL)
	cases := []struct {
		name  string
		field string
		want  []string
	}{
		{"configmap data", "configmap.data", []string{"ConfigMap", "data", "Data contains the configuration data."}},
		{"secret stringData", "secret.stringData", []string{"Secret", "stringData", "stringData allows specifying non-binary secret data in string form."}},
		{"namespace spec finalizers", "ns.spec.finalizers", []string{"Namespace", "finalizers", "Finalizers is an opaque list of values"}},
		{"configmap metadata ownerReferences", "cm.metadata.ownerReferences", []string{"ownerReferences", "List of objects depended by this object."}},
		{"custom resource field", "crontab.spec.cronSpec", []string{"CronTab", "stable.example.com", "cronSpec", "The cron schedule"}},
		{"custom resource metadata", "ct.metadata.labels", []string{"CronTab", "labels", "Map of string keys and values"}},
	}
	for _, bin := range bins {
		t.Run(filepath.Base(bin), func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					stdout, stderr, err := runKubectl(t, bin, kubeconfig, "", "explain", tc.field)
					if err != nil {
						reqs, _ := fc.reset()
						t.Fatalf("kubectl explain %s: %v\nstdout:\n%s\nstderr:\n%s\nrequests:\n%s", tc.field, err, stdout, stderr, strings.Join(reqs, "\n"))
					}
					flat := strings.Join(strings.Fields(stdout), " ")
					for _, want := range tc.want {
						if !strings.Contains(flat, want) {
							t.Errorf("kubectl explain %s: output lacks %q:\n%s", tc.field, want, stdout)
						}
					}
				})
			}
		})
	}
}

func TestKubectlApply(t *testing.T) {
	bins := kubectls(t)
	fc := startFakeCluster(t, newTestService(t, true))
	kubeconfig := writeKubeconfig(t, fc.srv.URL)
	const created = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fresh\ndata:\n  k: v\n"
	const changed = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: existing\ndata:\n  a: \"1\"\n  c: \"3\"\n"
	for _, bin := range bins {
		t.Run(filepath.Base(bin), func(t *testing.T) {
			t.Run("dry-run create", func(t *testing.T) {
				fc.reset()
				stdout, stderr, err := runKubectl(t, bin, kubeconfig, created, "apply", "--dry-run=client", "-f", "-", "-o", "yaml")
				if err != nil || strings.Contains(strings.ToLower(stderr), "openapi") {
					t.Fatalf("kubectl apply --dry-run=client: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
				}
				if !strings.Contains(stdout, "kubectl.kubernetes.io/last-applied-configuration") || !strings.Contains(stdout, "name: fresh") {
					t.Errorf("kubectl apply --dry-run=client printed:\n%s", stdout)
				}
			})
			t.Run("three-way patch", func(t *testing.T) {
				fc.reset()
				stdout, stderr, err := runKubectl(t, bin, kubeconfig, changed, "apply", "-f", "-")
				reqs, patches := fc.reset()
				if err != nil || strings.Contains(strings.ToLower(stderr), "openapi") {
					t.Fatalf("kubectl apply: %v\nstdout:\n%s\nstderr:\n%s\nrequests:\n%s", err, stdout, stderr, strings.Join(reqs, "\n"))
				}
				if len(patches) != 1 {
					t.Fatalf("kubectl apply sent %d patches, want 1; requests:\n%s", len(patches), strings.Join(reqs, "\n"))
				}
				p := patches[0]
				if p.contentType != "application/strategic-merge-patch+json" {
					t.Errorf("patch content type = %q, want strategic merge", p.contentType)
				}
				var patch struct {
					Data map[string]*string `json:"data"`
				}
				if err := json.Unmarshal([]byte(p.body), &patch); err != nil {
					t.Fatalf("patch %s: %v", p.body, err)
				}
				// Three-way: b was applied before and is gone, so it is
				// deleted (null); c is new; a is unchanged.
				if v, ok := patch.Data["b"]; !ok || v != nil {
					t.Errorf("patch %s does not delete data.b", p.body)
				}
				if v := patch.Data["c"]; v == nil || *v != "3" {
					t.Errorf("patch %s does not set data.c", p.body)
				}
				if !slices.ContainsFunc(reqs, func(r string) bool { return strings.Contains(r, "/openapi/") }) {
					t.Errorf("kubectl apply read no OpenAPI document; requests:\n%s", strings.Join(reqs, "\n"))
				}
			})
		})
	}
}

// TestKubectlExplainNeedsTheDocuments is the control of TestKubectlExplain:
// with core/v1 not described, kubectl explain fails, so the passing cases
// above do rest on the served documents.
func TestKubectlExplainNeedsTheDocuments(t *testing.T) {
	bins := kubectls(t)
	fc := startFakeCluster(t, NewService())
	kubeconfig := writeKubeconfig(t, fc.srv.URL)
	for _, bin := range []string{bins[0], bins[len(bins)-1]} {
		t.Run(filepath.Base(bin), func(t *testing.T) {
			stdout, stderr, err := runKubectl(t, bin, kubeconfig, "", "explain", "configmap.data")
			if err == nil || strings.Contains(stdout, "Data contains the configuration data") {
				t.Errorf("kubectl explain succeeded without core/v1 documents:\n%s\n%s", stdout, stderr)
			}
		})
	}
}
