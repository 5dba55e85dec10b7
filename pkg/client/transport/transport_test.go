package transport

import (
	"context"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clienttransport "k8s.io/client-go/transport"

	"github.com/apiserver/apiserver/pkg/auth/user"
)

// backend is an HTTP/2 TLS server that answers with the request's
// credentials and counts its connections.
func backend(t *testing.T) (*httptest.Server, *atomic.Int64, string) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto+" "+r.Header.Get("Authorization")+" "+r.Header.Get("User-Agent")+" "+r.Header.Get("Impersonate-User")+" "+
			r.Header.Get("X-Remote-User")+" "+strings.Join(r.Header.Values("X-Remote-Group"), ",")+" "+r.Header.Get("X-Remote-Extra-Scopes%2Fv1")) //nolint:errcheck // test server
	}))
	srv.EnableHTTP2 = true
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, &conns, ca
}

func get(t *testing.T, rt http.RoundTripper, url string, ctx context.Context) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// TestSharedConnection: two round trippers of equal TLS configuration
// share one transport, and 100 concurrent requests one HTTP/2 connection;
// another CA gets a transport (and a connection) of its own.
func TestSharedConnection(t *testing.T) {
	srv, conns, ca := backend(t)
	mk := func(c Config) http.RoundTripper {
		rt, err := New(&c)
		if err != nil {
			t.Fatal(err)
		}
		return rt
	}
	a := mk(Config{Config: clienttransport.Config{TLS: clienttransport.TLSConfig{CAFile: ca}, BearerToken: "a"}})
	b := mk(Config{Config: clienttransport.Config{TLS: clienttransport.TLSConfig{CAFile: ca}, UserAgent: "b"}})
	// Warm one connection up, so that the burst does not race to dial.
	if got := get(t, a, srv.URL, context.Background()); !strings.HasPrefix(got, "HTTP/2.0 Bearer a") {
		t.Fatalf("first answer %q", got)
	}
	var wg sync.WaitGroup
	for i := range 100 {
		rt := a
		if i%2 == 1 {
			rt = b
		}
		wg.Go(func() { get(t, rt, srv.URL, context.Background()) })
	}
	wg.Wait()
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for equal configurations, want 1", n)
	}
	other := filepath.Join(t.TempDir(), "ca.crt")
	data, _ := os.ReadFile(ca)
	os.WriteFile(other, append([]byte("\n"), data...), 0o600) //nolint:errcheck // checked by the request below
	c := mk(Config{Config: clienttransport.Config{TLS: clienttransport.TLSConfig{CAFile: other}}})
	get(t, c, srv.URL, context.Background())
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections after another CA, want 2", n)
	}
}

// TestTokenFileRotation: a rewritten token file is used from the next
// request on.
func TestTokenFileRotation(t *testing.T) {
	srv, _, ca := backend(t)
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("first\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rt, err := New(&Config{Config: clienttransport.Config{TLS: clienttransport.TLSConfig{CAFile: ca}}, TokenFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, rt, srv.URL, context.Background()); !strings.Contains(got, "Bearer first ") {
		t.Errorf("first token: %q", got)
	}
	later := time.Now().Add(time.Second)
	if err := os.WriteFile(path, []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, later, later) //nolint:errcheck // a coarse clock may not move otherwise
	if got := get(t, rt, srv.URL, context.Background()); !strings.Contains(got, "Bearer second ") {
		t.Errorf("rotated token: %q", got)
	}
}

// TestWrappers: client-go's wrappers and the caller's identity compose;
// a custom transport with TLS options, and two credentials, are refused.
func TestWrappers(t *testing.T) {
	srv, _, ca := backend(t)
	type key struct{}
	rt, err := New(&Config{
		Config: clienttransport.Config{TLS: clienttransport.TLSConfig{CAFile: ca}, BearerToken: "tok", UserAgent: "apiserver/test",
			Impersonate: clienttransport.ImpersonationConfig{UserName: "alice"}},
		RequestHeader: &RequestHeader{UsernameHeader: "X-Remote-User", GroupHeader: "X-Remote-Group", ExtraHeaderPrefix: "X-Remote-Extra-",
			User: func(r *http.Request) (*user.Info, bool) {
				u, ok := r.Context().Value(key{}).(*user.Info)
				return u, ok
			}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithValue(context.Background(), key{}, &user.Info{Name: "bob", Groups: []string{"g1", "g2"}, Extra: map[string][]string{"scopes/v1": {"s"}}})
	if got, want := get(t, rt, srv.URL, ctx), "HTTP/2.0 Bearer tok apiserver/test alice bob g1,g2 s"; got != want {
		t.Errorf("headers at the backend:\n got %q\nwant %q", got, want)
	}
	if _, err := New(&Config{Config: clienttransport.Config{Transport: http.DefaultTransport, TLS: clienttransport.TLSConfig{Insecure: true}}}); err == nil ||
		!strings.Contains(err.Error(), "using a custom transport with TLS certificate options or the insecure flag is not allowed") {
		t.Errorf("custom transport with TLS options: %v", err)
	}
	if _, err := New(&Config{Config: clienttransport.Config{BearerToken: "x"}, TokenFile: "/nonexistent"}); err == nil {
		t.Error("a token and a token file were accepted")
	}
}
