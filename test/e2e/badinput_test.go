package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/http2"
)

// adminHTTP is an HTTP/2 client that authenticates as the generated admin.
func adminHTTP(t *testing.T, p *process) *http.Client {
	t.Helper()
	pki := filepath.Join(p.DataDir, "pki")
	pem, err := os.ReadFile(filepath.Join(pki, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cert, err := tls.LoadX509KeyPair(filepath.Join(pki, "admin.crt"), filepath.Join(pki, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}
}

type status struct {
	Kind, APIVersion, Status, Message, Reason string
	Code                                      int
	Details                                   struct {
		Name, Kind string
		Causes     []struct{ Reason, Message, Field string }
	}
}

func do(t *testing.T, c *http.Client, method, url, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// TestBadInput sends what a broken client might and checks each answer is
// the Status kube-apiserver gives, and that nothing was stored.
func TestBadInput(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	base := p.URL + "/api/v1/namespaces/default/configmaps"
	cm := func(name, extra string) []byte {
		return []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"` + name + `"}` + extra + `}`)
	}
	tests := []struct {
		name        string
		method, url string
		contentType string
		body        []byte
		code        int
		reason      string
		message     string // substring
		causeField  string
		stored      string // name that must not exist afterwards
	}{
		{"malformed JSON", "POST", base, "application/json", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"`), 400, "BadRequest",
			"the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error", "", "a"},
		{"wrong kind", "POST", base, "application/json", []byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"wk"}}`), 400, "BadRequest",
			"Secret in version \"v1\" cannot be handled as a ConfigMap", "", "wk"},
		{"wrong apiVersion", "POST", base, "application/json", []byte(`{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"wv"}}`), 400, "BadRequest",
			`no kind "ConfigMap" is registered for version "apps/v1"`, "", "wv"},
		{"name mismatch", "PUT", base + "/x", "application/json", cm("y", ""), 400, "BadRequest",
			"the name of the object (y) does not match the name on the URL (x)", "", "y"},
		{"namespace mismatch", "POST", base, "application/json", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"nsm","namespace":"other"}}`), 400, "BadRequest",
			"the namespace of the provided object does not match the namespace sent on the request", "", "nsm"},
		{"invalid name", "POST", base, "application/json", cm("A_b", ""), 422, "Invalid",
			`ConfigMap "A_b" is invalid: metadata.name: Invalid value: "A_b": a lowercase RFC 1123 subdomain`, "metadata.name", ""},
		{"unknown field under Strict", "POST", base + "?fieldValidation=Strict", "application/json", cm("strict", `,"bar":2`), 400, "BadRequest",
			`strict decoding error: unknown field "bar"`, "", "strict"},
		{"oversized body", "POST", base, "application/json", cm("big", `,"data":{"k":"`+strings.Repeat("x", 3<<20)+`"}`), 413, "RequestEntityTooLarge",
			"Request entity too large: limit is 3145728", "", "big"},
		{"unsupported media type", "POST", base, "text/plain", cm("txt", ""), 415, "UnsupportedMediaType",
			"the body of the request was in an unknown format", "", "txt"},
		{"missing namespace", "POST", p.URL + "/api/v1/namespaces/nope/configmaps", "application/json", cm("m", ""), 404, "NotFound",
			`namespaces "nope" not found`, "", ""},
		{"method not allowed", "POST", base + "/x", "application/json", cm("x", ""), 405, "MethodNotAllowed",
			"the server does not allow this method on the requested resource", "", "x"},
		{"resourceVersion on create", "POST", base, "application/json", []byte(`{"metadata":{"name":"rv","resourceVersion":"5"}}`), 500, "",
			"resourceVersion should not be set on objects to be created", "", "rv"},
		{"unsupported patch type", "PATCH", base + "/x", "text/plain", []byte(`{}`), 415, "UnsupportedMediaType",
			"415: Unsupported Media Type", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, c, tc.method, tc.url, tc.contentType, tc.body)
			var s status
			if err := json.Unmarshal(body, &s); err != nil {
				t.Fatalf("%d: body is not a Status: %v\n%s", resp.StatusCode, err, body)
			}
			if resp.StatusCode != tc.code || s.Code != tc.code || s.Kind != "Status" || s.Status != "Failure" || s.Reason != tc.reason {
				t.Errorf("got %d %+v, want code %d reason %q", resp.StatusCode, s, tc.code, tc.reason)
			}
			if !strings.Contains(s.Message, tc.message) {
				t.Errorf("message %q lacks %q", s.Message, tc.message)
			}
			if tc.causeField != "" && (len(s.Details.Causes) == 0 || s.Details.Causes[0].Field != tc.causeField) {
				t.Errorf("causes %+v, want one for field %s", s.Details.Causes, tc.causeField)
			}
			if tc.stored != "" {
				if resp, _ := do(t, c, "GET", base+"/"+tc.stored, "", nil); resp.StatusCode != 404 {
					t.Errorf("%s was stored (GET = %d)", tc.stored, resp.StatusCode)
				}
			}
		})
	}
}

// TestWarnAndDryRun checks fieldValidation=Warn (the default) answers with
// a Warning header per unknown field, and dryRun=All stores nothing.
func TestWarnAndDryRun(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	base := p.URL + "/api/v1/namespaces/default/configmaps"
	resp, body := do(t, c, "POST", base+"?dryRun=All", "application/json",
		[]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dry","foo":1},"bar":2}`))
	if resp.StatusCode != 201 {
		t.Fatalf("dry-run create = %d %s", resp.StatusCode, body)
	}
	warnings := resp.Header.Values("Warning")
	want := []string{`299 - "unknown field \"metadata.foo\""`, `299 - "unknown field \"bar\""`}
	if strings.Join(warnings, "|") != strings.Join(want, "|") {
		t.Errorf("Warning headers = %q, want %q", warnings, want)
	}
	if resp, _ := do(t, c, "GET", base+"/dry", "", nil); resp.StatusCode != 404 {
		t.Errorf("dry-run object was stored (GET = %d)", resp.StatusCode)
	}
}

// TestDeleteOptionsAndMetadataOnly covers what a delete body carries
// (preconditions, propagationPolicy) and the PartialObjectMetadata answers
// that metadata-only clients ask for.
func TestDeleteOptionsAndMetadataOnly(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	base := p.URL + "/api/v1/namespaces/default/configmaps"
	resp, body := do(t, c, "POST", base, "application/json", []byte(`{"metadata":{"name":"kept"}}`))
	if resp.StatusCode != 201 {
		t.Fatalf("create = %d %s", resp.StatusCode, body)
	}
	var created struct {
		Metadata struct{ UID, ResourceVersion string }
	}
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequest("GET", base+"?fieldSelector="+notServerOwned, nil)
	req.Header.Set("Accept", "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var pm struct {
		Kind  string
		Items []struct{ Kind, APIVersion string }
	}
	err = json.NewDecoder(resp.Body).Decode(&pm)
	resp.Body.Close()
	if err != nil || pm.Kind != "PartialObjectMetadataList" || len(pm.Items) != 1 || pm.Items[0].Kind != "PartialObjectMetadata" {
		t.Errorf("metadata-only list = %+v, %v", pm, err)
	}

	tests := []struct {
		name, query, body string
		code              int
	}{
		{"stale resourceVersion precondition", "", `{"preconditions":{"resourceVersion":"1"}}`, 409},
		{"other uid precondition", "", `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1","preconditions":{"uid":"not-it"}}`, 409},
		// kube-apiserver's answers: 422s of DeleteOptions.
		{"unknown propagationPolicy", "?propagationPolicy=Sometimes", "", 422},
		{"unknown propagationPolicy in the body", "", `{"propagationPolicy":"Sometimes"}`, 422},
		{"orphanDependents and propagationPolicy", "", `{"orphanDependents":true,"propagationPolicy":"Foreground"}`, 422},
		{"malformed body", "", `{"preconditions":`, 400},
		{"matching preconditions", "?propagationPolicy=Background", `{"apiVersion":"v1","kind":"DeleteOptions","preconditions":{"uid":"` + created.Metadata.UID + `","resourceVersion":"` + created.Metadata.ResourceVersion + `"}}`, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, c, "DELETE", base+"/kept"+tc.query, "application/json", []byte(tc.body))
			if resp.StatusCode != tc.code {
				t.Fatalf("DELETE = %d %s, want %d", resp.StatusCode, body, tc.code)
			}
		})
	}
	if resp, _ := do(t, c, "GET", base+"/kept", "", nil); resp.StatusCode != 404 {
		t.Errorf("GET after the delete = %d, want 404", resp.StatusCode)
	}
}
