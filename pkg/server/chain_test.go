package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apiserver/apiserver/pkg/options"
	"github.com/apiserver/apiserver/pkg/server"
)

func text(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) })
}

// twoServers builds front -> back -> empty delegate.
func twoServers(t *testing.T, c server.CompletedConfig) *server.GenericAPIServer {
	back, err := c.New("back", server.NewEmptyDelegate())
	if err != nil {
		t.Fatal(err)
	}
	back.Handle("/back", text("from back"))
	back.HandlePrefix("/apis/example.com/", text("back prefix"))
	front, err := c.New("front", back)
	if err != nil {
		t.Fatal(err)
	}
	front.Handle("/front", text("from front"))
	return front
}

func TestChainDelegatesUnknownPaths(t *testing.T) {
	ts := start(t, setup{build: twoServers})
	ts.waitFor(t, "/readyz", 200, 10*time.Second)
	tests := []struct {
		path string
		code int
		body string
	}{
		{"/front", 200, "from front"},
		{"/back", 200, "from back"},
		{"/apis/example.com/v1/things", 200, "back prefix"},
		{"/healthz", 200, "ok"},
		{"/livez/ping", 200, "ok"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			code, body := ts.get(t, tc.path)
			if code != tc.code || body != tc.body {
				t.Errorf("GET %s = %d %q, want %d %q", tc.path, code, body, tc.code, tc.body)
			}
		})
	}
}

func TestUnknownPathListsServedPaths(t *testing.T) {
	ts := start(t, setup{build: twoServers})
	for _, tc := range []struct {
		path string
		code int
	}{{"/nope", 404}, {"/readyz/nope", 404}, {"/", 200}} {
		resp, err := ts.Client.Get(ts.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var root struct{ Paths []string }
		err = json.NewDecoder(resp.Body).Decode(&root)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: decoding paths: %v", tc.path, err)
		}
		if resp.StatusCode != tc.code || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s = %d %s, want %d application/json", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.code)
		}
		for _, p := range []string{"/apis/example.com", "/back", "/front", "/healthz", "/livez/etcd", "/readyz/etcd-readiness", "/readyz/shutdown"} {
			if !slices.Contains(root.Paths, p) {
				t.Errorf("GET %s: paths %v lack %s", tc.path, root.Paths, p)
			}
		}
		if !slices.IsSorted(root.Paths) {
			t.Errorf("paths are not sorted: %v", root.Paths)
		}
	}
}

func TestHealthEndpointsListChecks(t *testing.T) {
	ts := start(t, setup{})
	body := ts.waitFor(t, "/readyz?verbose", 200, 10*time.Second)
	want := "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]etcd-readiness ok\n[+]shutdown ok\nreadyz check passed\n"
	if body != want {
		t.Errorf("readyz?verbose = %q, want %q", body, want)
	}
	for _, ep := range []string{"healthz", "livez"} {
		_, body := ts.get(t, "/"+ep+"?verbose")
		if want := "[+]ping ok\n[+]log ok\n[+]etcd ok\n" + ep + " check passed\n"; body != want {
			t.Errorf("%s?verbose = %q, want %q", ep, body, want)
		}
	}
	resp, err := ts.Client.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Cache-Control"); got != "no-cache, private" {
		t.Errorf("Cache-Control = %q", got)
	}
}

func TestPostStartHooks(t *testing.T) {
	release := make(chan struct{})
	ts := start(t, setup{
		configure: func(o *options.Options) { o.Generic.LivezGracePeriod = time.Hour },
		build: func(t *testing.T, c server.CompletedConfig) *server.GenericAPIServer {
			srv := twoServers(t, c)
			if err := srv.AddPostStartHook("slow", func(ctx context.Context) error {
				select {
				case <-release:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}); err != nil {
				t.Fatal(err)
			}
			if err := srv.AddPostStartHook("slow", func(context.Context) error { return nil }); err == nil {
				t.Error("a second hook with the same name was accepted")
			}
			return srv
		},
	})
	code, body := ts.get(t, "/readyz?verbose")
	if code != 500 {
		t.Errorf("readyz with an unfinished hook = %d, want 500", code)
	}
	contains(t, "readyz", body, "[-]poststarthook/slow failed: reason withheld\n", "readyz check failed")
	if code, body := ts.get(t, "/readyz/poststarthook/slow"); code != 500 || body != "internal server error: not finished\n" {
		t.Errorf("readyz/poststarthook/slow = %d %q", code, body)
	}
	if code, body := ts.get(t, "/livez?verbose"); code != 200 || !strings.Contains(body, "[+]poststarthook/slow ok") {
		t.Errorf("livez within the grace period = %d %q, want 200 with the hook passing", code, body)
	}
	close(release)
	ts.waitFor(t, "/readyz", 200, 10*time.Second)
	if code, _ := ts.get(t, "/healthz/poststarthook/slow"); code != 200 {
		t.Errorf("healthz/poststarthook/slow = %d after the hook finished", code)
	}
}

func TestFailingPostStartHookStopsServer(t *testing.T) {
	ts := start(t, setup{build: func(t *testing.T, c server.CompletedConfig) *server.GenericAPIServer {
		srv, err := c.New("test", server.NewEmptyDelegate())
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.AddPostStartHook("broken", func(context.Context) error { return errors.New("cannot start") }); err != nil {
			t.Fatal(err)
		}
		return srv
	}})
	err := ts.wait(t, 30*time.Second)
	if err == nil || !strings.Contains(err.Error(), `post-start hook "broken" failed: cannot start`) {
		t.Fatalf("Run = %v, want the hook's error", err)
	}
}
