package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/apiserver/apiserver/pkg/options"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// testServer is a running server chain with a client that trusts it.
type testServer struct {
	URL     string
	DataDir string
	Client  *http.Client
	stop    context.CancelFunc
	// done is closed when Run has returned, with its result in err.
	done chan struct{}
	err  error
}

type setup struct {
	// storage, when set, is an etcd to use instead of a fresh embedded one.
	storage *storage.Config
	// configure adjusts the options before they are applied.
	configure func(*options.Options)
	// build adds servers, hooks or handlers to the chain; nil builds one
	// server in front of the empty delegate.
	build func(t *testing.T, c server.CompletedConfig) *server.GenericAPIServer
}

func start(t *testing.T, s setup) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := options.NewOptions()
	o.SecureServing.Listener = ln
	o.Generic.DataDir = t.TempDir()
	cfgStorage := s.storage
	if cfgStorage == nil {
		c := etcdtest.StartEmbedded(t)
		cfgStorage = &c
	}
	o.Etcd.Servers = cfgStorage.Servers
	o.Etcd.Prefix = cfgStorage.Prefix
	o.Etcd.CAFile, o.Etcd.CertFile, o.Etcd.KeyFile = cfgStorage.CAFile, cfgStorage.CertFile, cfgStorage.KeyFile
	// The RBAC authorizer follows objects only the app's API serves;
	// this package's tests authorize with the stateless modes.
	o.Authorization.Modes = []string{options.ModeAlwaysAllow}
	if s.configure != nil {
		s.configure(o)
	}
	o.Complete()
	if errs := o.Validate(); len(errs) > 0 {
		t.Fatalf("options: %v", errors.Join(errs...))
	}
	cfg := server.NewConfig()
	if err := o.ApplyTo(cfg); err != nil {
		t.Fatalf("ApplyTo: %v", err)
	}
	cfg.Notify = func(string) {}
	completed := cfg.Complete()
	if _, err := completed.OpenStorage(t.Context()); err != nil {
		t.Fatal(err)
	}
	build := s.build
	if build == nil {
		build = func(t *testing.T, c server.CompletedConfig) *server.GenericAPIServer {
			srv, err := c.New("test", server.NewEmptyDelegate())
			if err != nil {
				t.Fatal(err)
			}
			return srv
		}
	}
	top := build(t, completed)
	ctx, stop := context.WithCancel(context.Background())
	result, err := top.PrepareRun().NonBlockingRun(ctx)
	if err != nil {
		stop()
		t.Fatalf("NonBlockingRun: %v", err)
	}
	ts := &testServer{URL: "https://" + ln.Addr().String(), DataDir: cfg.DataDir, Client: adminClient(t, cfg.DataDir), stop: stop, done: make(chan struct{})}
	go func() {
		ts.err = <-result
		close(ts.done)
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-ts.done:
		case <-time.After(time.Minute):
			t.Error("server did not stop within a minute")
		}
	})
	return ts
}

// adminClient trusts the server's generated CA and authenticates with the
// generated administrator certificate.
func adminClient(t *testing.T, dataDir string) *http.Client {
	t.Helper()
	pki := filepath.Join(dataDir, "pki")
	pem, err := os.ReadFile(filepath.Join(pki, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tc := &tls.Config{RootCAs: pool}
	// With a token file there is no generated administrator.
	if admin, err := tls.LoadX509KeyPair(filepath.Join(pki, "admin.crt"), filepath.Join(pki, "admin.key")); err == nil {
		tc.Certificates = []tls.Certificate{admin}
	}
	tr := &http2.Transport{TLSClientConfig: tc}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// get returns the status and body of GET path.
func (ts *testServer) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := ts.Client.Get(ts.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// waitFor polls path until it answers code, or fails after timeout.
func (ts *testServer) waitFor(t *testing.T, path string, code int, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, body := ts.get(t, path)
		if got == code {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s = %d %q after %s, want %d", path, got, body, timeout, code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wait returns Run's result, failing the test if it takes over timeout.
func (ts *testServer) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-ts.done:
		return ts.err
	case <-time.After(timeout):
		t.Fatalf("server still running after %s", timeout)
		return nil
	}
}

func contains(t *testing.T, what, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("%s lacks %q:\n%s", what, p, body)
		}
	}
}
