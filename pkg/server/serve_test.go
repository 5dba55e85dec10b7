package server_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/apiserver/apiserver/pkg/options"
	"github.com/apiserver/apiserver/pkg/server"
)

// readServerSettings opens a raw TLS connection with ALPN h2 and returns the
// server's first SETTINGS frame.
func readServerSettings(t *testing.T, addr string) map[http2.SettingID]uint32 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if proto := conn.ConnectionState().NegotiatedProtocol; proto != "h2" {
		t.Fatalf("negotiated %q, want h2", proto)
	}
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading frames: %v", err)
		}
		sf, ok := f.(*http2.SettingsFrame)
		if !ok || sf.IsAck() {
			continue
		}
		got := map[http2.SettingID]uint32{}
		sf.ForeachSetting(func(s http2.Setting) error { got[s.ID] = s.Val; return nil })
		return got
	}
}

func TestHTTP2Settings(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*options.Options)
		streams   uint32
	}{
		{"defaults", nil, 250},
		{"flag", func(o *options.Options) { o.SecureServing.HTTP2MaxStreamsPerConnection = 100 }, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := start(t, setup{configure: tc.configure})
			got := readServerSettings(t, strings.TrimPrefix(ts.URL, "https://"))
			want := map[http2.SettingID]uint32{
				http2.SettingMaxConcurrentStreams: tc.streams,
				http2.SettingMaxFrameSize:         262144,
				http2.SettingInitialWindowSize:    262144,
			}
			for id, v := range want {
				if got[id] != v {
					t.Errorf("SETTINGS %v = %d, want %d (all: %v)", id, got[id], v, got)
				}
			}
		})
	}
}

func TestDisableHTTP2Serving(t *testing.T) {
	ts := start(t, setup{configure: func(o *options.Options) { o.SecureServing.DisableHTTP2Serving = true }})
	conn, err := tls.Dial("tcp", strings.TrimPrefix(ts.URL, "https://"), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if proto := conn.ConnectionState().NegotiatedProtocol; proto != "http/1.1" {
		t.Errorf("negotiated %q with HTTP/2 disabled, want http/1.1", proto)
	}
}

func TestTLSMinimumVersion(t *testing.T) {
	ts := start(t, setup{configure: func(o *options.Options) { o.SecureServing.MinTLSVersion = "VersionTLS13" }})
	addr := strings.TrimPrefix(ts.URL, "https://")
	if _, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}); err == nil {
		t.Error("a TLS 1.2 client connected to a server with --tls-min-version=VersionTLS13")
	}
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS 1.3 client: %v", err)
	}
	conn.Close()
}

func TestPlainHTTPIsRefused(t *testing.T) {
	ts := start(t, setup{})
	resp, err := http.Get("http://" + strings.TrimPrefix(ts.URL, "https://") + "/healthz")
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP got %d, want 400 (client sent HTTP to an HTTPS server)", resp.StatusCode)
		}
	}
}

// TestShutdownSequence checks the order a load balancer relies on: readyz
// fails at once while livez and healthz pass and requests are still served;
// after the delay the listener closes, a request in flight finishes, and Run
// returns nil.
func TestShutdownSequence(t *testing.T) {
	const delay = 2 * time.Second
	slow := make(chan struct{})
	ts := start(t, setup{
		configure: func(o *options.Options) { o.Generic.ShutdownDelayDuration = delay },
		build: func(t *testing.T, c server.CompletedConfig) *server.GenericAPIServer {
			srv, err := c.New("test", server.NewEmptyDelegate())
			if err != nil {
				t.Fatal(err)
			}
			srv.Handle("/slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(slow)
				time.Sleep(delay + time.Second)
				w.Write([]byte("finished"))
			}))
			return srv
		},
	})
	ts.waitFor(t, "/readyz", 200, 10*time.Second)

	inFlight := make(chan string, 1)
	go func() {
		resp, err := ts.Client.Get(ts.URL + "/slow")
		if err != nil {
			inFlight <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		inFlight <- string(b)
	}()
	<-slow

	began := time.Now()
	ts.stop()
	ts.waitFor(t, "/readyz", 500, time.Second)
	code, body := ts.get(t, "/readyz?verbose")
	if code != 500 {
		t.Errorf("readyz during the shutdown delay = %d, want 500", code)
	}
	contains(t, "readyz", body, "[-]shutdown failed: reason withheld\nreadyz check failed\n")
	if code, body := ts.get(t, "/readyz/shutdown"); code != 500 || body != "internal server error: process is shutting down\n" {
		t.Errorf("readyz/shutdown = %d %q", code, body)
	}
	for _, p := range []string{"/livez", "/healthz"} {
		if code, _ := ts.get(t, p); code != 200 {
			t.Errorf("%s during the shutdown delay = %d, want 200", p, code)
		}
	}

	// A new connection is accepted until the delay is over, then refused.
	fresh := adminClient(t, ts.DataDir)
	deadline := began.Add(delay + 5*time.Second)
	for {
		resp, err := fresh.Get(ts.URL + "/livez")
		if err != nil {
			break
		}
		resp.Body.Close()
		fresh.CloseIdleConnections()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting connections long after the shutdown delay")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if elapsed := time.Since(began); elapsed < delay {
		t.Errorf("listener closed %s after shutdown began, before the %s delay", elapsed, delay)
	}
	if got := <-inFlight; got != "finished" {
		t.Errorf("request in flight at shutdown got %q, want it to finish", got)
	}
	if err := ts.wait(t, 30*time.Second); err != nil {
		t.Errorf("Run returned %v after a clean shutdown, want nil", err)
	}
}

// TestStopDoesNotWaitForIdleClients: a client that keeps its HTTP/2
// connection open and idle (a test suite's client does) does not hold the
// stop: once nothing is in flight, the connection is closed at once
// instead of after the second an HTTP/2 server gives a client to hang up
// after GOAWAY.
func TestStopDoesNotWaitForIdleClients(t *testing.T) {
	ts := start(t, setup{})
	ts.waitFor(t, "/readyz", 200, 10*time.Second)
	client := adminClient(t, ts.DataDir)
	resp, err := client.Get(ts.URL + "/livez")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the connection matters
	resp.Body.Close()
	began := time.Now()
	ts.stop()
	if err := ts.wait(t, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 700*time.Millisecond {
		t.Errorf("stop took %s with an idle client connected, want well under the 1s GOAWAY grace", took)
	}
	t.Logf("stopped in %s", time.Since(began))
}
