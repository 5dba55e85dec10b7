package webhookclient

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestPost(t *testing.T) {
	// The server offers HTTP/2; webhooks are called over HTTP/1.1.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			var in map[string]any
			json.NewDecoder(r.Body).Decode(&in) //nolint:errcheck // echoed as decoded
			in["timeout"] = r.URL.Query().Get("timeout")
			in["proto"] = r.Proto
			json.NewEncoder(w).Encode(in) //nolint:errcheck // the test sees a failure
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		default:
			http.Error(w, "nope", http.StatusTeapot)
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	at := func(path string) *string { u := srv.URL + path; return &u }
	ctx := context.Background()

	c, err := New(Config{URL: at("/echo"), CABundle: ca})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := c.Post(ctx, nil, 1500*time.Millisecond, map[string]any{"a": "b"}, &out); err != nil || out["a"] != "b" || out["timeout"] != "2s" || out["proto"] != "HTTP/1.1" {
		t.Errorf("echo: %v %v", out, err)
	}
	c, _ = New(Config{URL: at("/other"), CABundle: ca})
	if err := c.Post(ctx, nil, time.Second, nil, &out); err == nil || !strings.Contains(err.Error(), "failed to call webhook: the server responded with the status code 418 but did not return more information") {
		t.Errorf("status: %v", err)
	}
	c, _ = New(Config{URL: at("/slow"), CABundle: ca})
	if err := c.Post(ctx, nil, 100*time.Millisecond, nil, &out); err == nil || !strings.Contains(err.Error(), "webhook timeout 100ms") {
		t.Errorf("timeout: %v", err)
	}
	c, _ = New(Config{URL: at("/echo")})
	if err := c.Post(ctx, nil, time.Second, nil, &out); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted: %v", err)
	}
	// A Service is reached where the resolver says, with the path.
	path := "/echo"
	c, _ = New(Config{Service: &Service{Namespace: "ns", Name: "svc", Path: &path}, CABundle: ca})
	resolve := func(_ context.Context, ns, name string, port int32) (*url.URL, error) {
		if ns != "ns" || name != "svc" || port != 443 {
			t.Errorf("resolved %s/%s:%d", ns, name, port)
		}
		return url.Parse(srv.URL)
	}
	// The certificate names example.com, not svc.ns.svc.
	if err := c.Post(ctx, resolve, time.Second, map[string]any{}, &out); err == nil || !strings.Contains(err.Error(), "svc.ns.svc") {
		t.Errorf("service: %v", err)
	}
}

func TestValidate(t *testing.T) {
	p := field.NewPath("url")
	for raw, want := range map[string]string{
		"https://h/x":     "",
		"http://h/x":      "'https' is the only allowed URL scheme; desired format: https://host[/path]",
		"https:///x":      "host must be provided",
		"https://u@h/x":   "user information is not permitted in the URL",
		"https://h/x#f":   "fragments are not permitted in the URL",
		"https://h/x?q=1": "query parameters are not permitted in the URL",
	} {
		errs := ValidateURL(p, raw)
		if (want == "") != (len(errs) == 0) || (want != "" && !strings.Contains(errs.ToAggregate().Error(), want)) {
			t.Errorf("%s: %v, want %q", raw, errs, want)
		}
	}
	if errs := ValidateReviewVersions([]string{"v1", "v1"}, true, p); len(errs) != 1 || !strings.Contains(errs[0].Error(), "duplicate version") {
		t.Errorf("duplicates: %v", errs)
	}
}
