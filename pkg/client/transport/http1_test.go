package transport

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clienttransport "k8s.io/client-go/transport"
)

// http1Backend is a TLS server that echoes a POST's body, sleeps when
// asked, and counts its connections.
func http1Backend(t *testing.T, handler http.HandlerFunc) (*httptest.Server, *atomic.Int64, []byte) {
	t.Helper()
	var conns atomic.Int64
	if handler == nil {
		handler = func(w http.ResponseWriter, r *http.Request) {
			if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil {
				time.Sleep(d)
			}
			w.Header().Set("X-Proto", r.Proto)
			io.Copy(w, r.Body) //nolint:errcheck // test server
		}
	}
	srv := httptest.NewUnstartedServer(handler)
	srv.EnableHTTP2 = true // offered, and not taken: the client asks for http/1.1
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &conns, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func post(ctx context.Context, rt http.RoundTripper, url, body string) (string, *http.Response, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(body)))
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return string(data), resp, err
}

func http1Config(ca []byte) *Config {
	return &Config{Config: clienttransport.Config{TLS: clienttransport.TLSConfig{CAData: ca}}}
}

// Sequential and concurrent calls reuse pooled HTTP/1.1 connections;
// equal configurations share them.
func TestHTTP1Pooling(t *testing.T) {
	srv, conns, ca := http1Backend(t, nil)
	rt1, err := NewHTTP1(http1Config(ca), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	rt2, err := NewHTTP1(http1Config(ca), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i, rt := range []http.RoundTripper{rt1, rt2, rt1} {
		got, resp, err := post(t.Context(), rt, srv.URL+"/echo", "hello")
		if err != nil || got != "hello" || resp.Header.Get("X-Proto") != "HTTP/1.1" {
			t.Fatalf("call %d: %q %v", i, got, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for sequential calls, want 1", n)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, _, err := post(t.Context(), rt1, srv.URL+"/echo?sleep=20ms", "x"); err != nil || got != "x" {
				t.Errorf("concurrent call: %q %v", got, err)
			}
		}()
	}
	wg.Wait()
	if n := conns.Load(); n > 8 {
		t.Errorf("%d connections for 8 concurrent calls", n)
	}
	http1Pools.Lock()
	defer http1Pools.Unlock()
	if p := http1Pools.m[http1Key(http1Config(ca))]; p == nil || len(p.idle) != 1 {
		t.Errorf("pool %+v", p)
	}
}

// A pooled connection the server closed is replaced without the caller
// seeing it.
func TestHTTP1StaleConnection(t *testing.T) {
	srv, conns, ca := http1Backend(t, nil)
	rt, err := NewHTTP1(http1Config(ca), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := post(t.Context(), rt, srv.URL, "one"); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections()
	time.Sleep(50 * time.Millisecond)
	if got, _, err := post(t.Context(), rt, srv.URL, "two"); err != nil || got != "two" {
		t.Fatalf("after the server closed the connection: %q %v", got, err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestHTTP1Failures(t *testing.T) {
	srv, _, ca := http1Backend(t, nil)
	rt, err := NewHTTP1(http1Config(ca), 16)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := post(ctx, rt, srv.URL+"/?sleep=500ms", "late"); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("a timeout: %v after %v", err, time.Since(start))
	}
	if _, _, err := post(t.Context(), rt, srv.URL, strings.Repeat("x", 17)); err == nil || !strings.Contains(err.Error(), "larger than 16 bytes") {
		t.Errorf("a large response: %v", err)
	}
	if _, _, err := post(t.Context(), rt, "http"+strings.TrimPrefix(srv.URL, "https"), "x"); err == nil {
		t.Error("plain http was sent")
	}
	untrusted, err := NewHTTP1(http1Config(nil), 16)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := post(t.Context(), untrusted, srv.URL, "x"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an untrusted server: %v", err)
	}
	if _, err := NewHTTP1(&Config{Config: clienttransport.Config{Transport: http.DefaultTransport}}, 16); err == nil {
		t.Error("a custom transport was accepted")
	}
}
