package healthz

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

type mux map[string]http.Handler

func (m mux) Handle(path string, h http.Handler) { m[path] = h }

func fail(name, msg string) HealthChecker {
	return NamedCheck(name, func(*http.Request) error { return errors.New(msg) })
}

func pass(name string) HealthChecker {
	return NamedCheck(name, func(*http.Request) error { return nil })
}

// TestFormat compares every answer with a golden file written in
// kube-apiserver's format; run with -update to rewrite them after a
// deliberate change.
func TestFormat(t *testing.T) {
	healthy := []HealthChecker{Ping, pass("log"), pass("etcd"), pass("poststarthook/start-informers"), pass("shutdown")}
	failing := []HealthChecker{Ping, pass("log"), fail("etcd", "etcd is frozen"), pass("etcd-readiness"), fail("shutdown", "process is shutting down")}
	tests := []struct {
		name   string
		checks []HealthChecker
		path   string
		code   int
	}{
		{"healthy", healthy, "/readyz", 200},
		{"healthy-verbose", healthy, "/readyz?verbose", 200},
		{"healthy-verbose-empty-value", healthy, "/readyz?verbose=", 200},
		{"failing", failing, "/readyz", 500},
		{"failing-verbose", failing, "/readyz?verbose", 500},
		{"exclude", healthy, "/readyz?verbose&exclude=etcd&exclude=shutdown", 200},
		{"exclude-failing", failing, "/readyz?exclude=etcd&exclude=shutdown", 200},
		{"exclude-unknown", healthy, "/readyz?verbose&exclude=nope&exclude=etcd&exclude=also-nope&exclude=nope", 200},
		{"exclude-unknown-failing", failing, "/readyz?exclude=nope", 500},
		{"single-check-ok", healthy, "/readyz/etcd", 200},
		{"single-check-hook", healthy, "/readyz/poststarthook/start-informers", 200},
		{"single-check-failing", failing, "/readyz/etcd", 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mux{}
			Install(m, "readyz", nil, tc.checks...)
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			h, ok := m[req.URL.Path]
			if !ok {
				t.Fatalf("no handler for %s", req.URL.Path)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Errorf("status = %d, want %d", rec.Code, tc.code)
			}
			for header, want := range map[string]string{
				"Content-Type":           "text/plain; charset=utf-8",
				"X-Content-Type-Options": "nosniff",
				"Cache-Control":          "no-cache, private",
			} {
				if got := rec.Header().Get(header); got != want {
					t.Errorf("%s = %q, want %q", header, got, want)
				}
			}
			golden(t, filepath.Join("testdata", tc.name+".txt"), rec.Body.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("body differs from %s:\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestEveryCheckHasItsOwnPath(t *testing.T) {
	m := mux{}
	Install(m, "livez", nil, Ping, pass("log"), pass("poststarthook/a"))
	for _, p := range []string{"/livez", "/livez/ping", "/livez/log", "/livez/poststarthook/a"} {
		if _, ok := m[p]; !ok {
			t.Errorf("no handler for %s", p)
		}
	}
	if len(m) != 4 {
		t.Errorf("handlers = %d, want 4", len(m))
	}
}

func TestFirstHealthyRunsOnceAfterSuccess(t *testing.T) {
	healthy := false
	calls := 0
	m := mux{}
	Install(m, "readyz", func() { calls++ }, NamedCheck("flaky", func(*http.Request) error {
		if healthy {
			return nil
		}
		return errors.New("not yet")
	}))
	probe := func() {
		m["/readyz"].ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/readyz", nil))
	}
	probe()
	if calls != 0 {
		t.Fatalf("firstHealthy ran while failing")
	}
	healthy = true
	probe()
	probe()
	if calls != 1 {
		t.Fatalf("firstHealthy ran %d times, want 1", calls)
	}
}

func TestLogCheck(t *testing.T) {
	c := NewLogCheck(10 * time.Millisecond)
	if err := c.Check(nil); err != nil {
		t.Fatalf("fresh log check failed: %v", err)
	}
	c.lastFlush.Store(time.Now().Add(-time.Second).UnixNano())
	if err := c.Check(nil); err == nil || !strings.Contains(err.Error(), "logging blocked") {
		t.Fatalf("stale log check error = %v, want logging blocked", err)
	}
	ctx, cancel := contextWithCancel(t)
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for c.Check(nil) != nil {
		if time.Now().After(deadline) {
			t.Fatal("log check never recovered while flushing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func ExampleInstall() {
	m := mux{}
	Install(m, "healthz", nil, Ping, NamedCheck("etcd", func(*http.Request) error { return nil }))
	rec := httptest.NewRecorder()
	m["/healthz"].ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz?verbose", nil))
	fmt.Print(rec.Body.String())
	// Output:
	// [+]ping ok
	// [+]etcd ok
	// healthz check passed
}
