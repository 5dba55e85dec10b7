package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// auditEvent is what the test reads of an audit.k8s.io/v1 Event.
type auditEvent struct {
	APIVersion, Kind, Level, Stage, Verb, RequestURI, AuditID string
	User                                                      struct{ Username string }
	ObjectRef                                                 *struct{ Resource, Namespace, Name string }
	ResponseStatus                                            *struct {
		Code   int
		Reason string
	}
	RequestObject, ResponseObject json.RawMessage
	Annotations                   map[string]string
}

func readAudit(t *testing.T, path string) []auditEvent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []auditEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var e auditEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// TestAuditLog runs kubectl against a server with a policy of every level
// and finds kube's events in the log: nothing of the probes, Secrets at
// Metadata (no content), namespaces at Request, ConfigMaps at
// RequestResponse, refusals with their Status; then the log rotates.
func TestAuditLog(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/livez*", "/readyz*"]
- level: Metadata
  resources: [{group: "", resources: ["secrets"]}]
- level: Request
  resources: [{group: "", resources: ["namespaces"]}]
- level: RequestResponse
  resources: [{group: "", resources: ["configmaps"]}]
  omitManagedFields: true
- level: Metadata
`), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "audit.log")
	p := startBinary(t, "", nil, "--audit-policy-file", policy, "--audit-log-path", logPath, "--audit-log-maxsize", "1", "--audit-log-maxbackup", "2")
	k := kubectl{t: t, bin: kubectls(t)["kubectl"], kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
	k.run("create", "secret", "generic", "hush", "--from-literal=password=s3cr3t-value")
	k.run("create", "configmap", "cm", "--from-literal=k=visible-value")
	k.run("create", "namespace", "audited")
	k.run("get", "configmaps", "cm")
	p.get(t, "/healthz")
	p.get(t, "/api") // anonymous: refused

	if fi, err := os.Stat(logPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("audit log: %v, %v; want mode 0600", fi, err)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "s3cr3t") || strings.Contains(string(data), "czNjcjN0") {
		t.Error("the Secret's value is in the audit log")
	}
	var sawSecret, sawConfigMap, sawNamespace, sawGet, sawRefusal bool
	for _, e := range readAudit(t, logPath) {
		if e.User.Username == "system:apiserver" {
			// The server's own loopback client is audited too (its
			// informers' watches at ResponseStarted), as in kube-apiserver;
			// what follows is about this test's requests.
			continue
		}
		if e.APIVersion != "audit.k8s.io/v1" || e.Kind != "Event" || e.AuditID == "" || e.Stage != "ResponseComplete" {
			t.Errorf("event %+v", e)
		}
		if strings.HasPrefix(e.RequestURI, "/healthz") || strings.HasPrefix(e.RequestURI, "/readyz") {
			t.Errorf("a probe was audited: %s", e.RequestURI)
		}
		ref := e.ObjectRef
		switch {
		case ref != nil && ref.Resource == "secrets" && e.Verb == "create":
			sawSecret = e.Level == "Metadata" && e.RequestObject == nil && e.ResponseObject == nil && e.ResponseStatus.Code == 201 && e.User.Username == "admin"
		case ref != nil && ref.Resource == "configmaps" && e.Verb == "create":
			sawConfigMap = e.Level == "RequestResponse" && strings.Contains(string(e.RequestObject), "visible-value") &&
				strings.Contains(string(e.ResponseObject), `"uid"`) && !strings.Contains(string(e.ResponseObject), "managedFields") &&
				e.Annotations["authorization.k8s.io/decision"] == "allow"
		case ref != nil && ref.Resource == "configmaps" && e.Verb == "get":
			sawGet = ref.Name == "cm" && e.ResponseStatus.Code == 200
		case ref != nil && ref.Resource == "namespaces" && e.Verb == "create":
			sawNamespace = e.Level == "Request" && strings.Contains(string(e.RequestObject), `"audited"`) && e.ResponseObject == nil
		case e.RequestURI == "/api" && e.User.Username == "system:anonymous":
			sawRefusal = e.ResponseStatus.Code == 403 && e.ResponseStatus.Reason == "Forbidden" && e.Annotations["authorization.k8s.io/decision"] == "forbid"
		}
	}
	if !sawSecret || !sawConfigMap || !sawNamespace || !sawGet || !sawRefusal {
		t.Errorf("events found: secret %v, configmap %v, namespace %v, get %v, refusal %v\n%s", sawSecret, sawConfigMap, sawNamespace, sawGet, sawRefusal, data)
	}

	// About 2 MB of events: the log rotates at 1 MB.
	c := adminHTTP(t, p)
	big := strings.Repeat("x", 8<<10)
	for i := range 130 {
		body := `{"metadata":{"name":"big-` + strconv.Itoa(i) + `"},"data":{"v":"` + big + `"}}`
		if resp, out := do(t, c, "POST", p.URL+"/api/v1/namespaces/default/configmaps", "application/json", []byte(body)); resp.StatusCode != 201 {
			t.Fatalf("create = %d %s", resp.StatusCode, out)
		}
	}
	waitUntil(t, 5*time.Second, "a rotated audit log", func() bool {
		matches, _ := filepath.Glob(filepath.Join(dir, "audit-*.log"))
		return len(matches) >= 1
	})
}
