package server_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/net/http2"

	"github.com/apiserver/apiserver/pkg/certs"
	"github.com/apiserver/apiserver/pkg/options"
)

// TestAuthentication checks who gets through: with AlwaysAllow, anonymous
// requests reach only the probes and /version, and get a 401 Status
// everywhere else; with an authorizer that judges them, they reach it and
// get its 403.
func TestAuthentication(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("secret-token,alice,1001,\"dev,ops\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		configure func(*options.Options)
		header    string
		path      string
		code      int
	}{
		{"anonymous healthz", nil, "", "/healthz", 200},
		{"anonymous livez check", nil, "", "/livez/ping", 200},
		{"anonymous readyz", nil, "", "/readyz?verbose", 200},
		{"anonymous version (public, but not served by this chain)", nil, "", "/version", 404},
		{"anonymous elsewhere", nil, "", "/api", 401},
		{"anonymous index", nil, "", "/", 401},
		{"anonymous unknown path", nil, "", "/healthzfoo", 401},
		{"anonymous off", func(o *options.Options) { o.Authentication.Anonymous = false }, "", "/healthz", 401},
		{"anonymous judged by the authorizer", func(o *options.Options) { o.Authorization.Modes = []string{options.ModeAlwaysDeny} }, "", "/api", 403},
		{"anonymous off, whatever the authorizer", func(o *options.Options) {
			o.Authorization.Modes = []string{options.ModeAlwaysDeny}
			o.Authentication.Anonymous = false
		}, "", "/api", 401},
		{"token", func(o *options.Options) { o.Authentication.TokenAuthFile = tokens }, "Bearer secret-token", "/nope", 404},
		{"wrong token on a public path", func(o *options.Options) { o.Authentication.TokenAuthFile = tokens }, "Bearer wrong", "/healthz", 401},
		{"token file replaces the generated admin", func(o *options.Options) { o.Authentication.TokenAuthFile = tokens }, "", "/nope", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := start(t, setup{configure: tc.configure})
			client := &http.Client{Transport: &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
			req, _ := http.NewRequest(http.MethodGet, ts.URL+tc.path, nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("GET %s = %d, want %d", tc.path, resp.StatusCode, tc.code)
			}
			var status struct{ Kind, Status, Reason, Message string }
			switch tc.code {
			case 401:
				if err := json.NewDecoder(resp.Body).Decode(&status); err != nil {
					t.Fatal(err)
				}
				if status.Kind != "Status" || status.Reason != "Unauthorized" || status.Message != "Unauthorized" || status.Status != "Failure" {
					t.Errorf("401 body = %+v, want an Unauthorized Status", status)
				}
			case 403:
				if err := json.NewDecoder(resp.Body).Decode(&status); err != nil {
					t.Fatal(err)
				}
				if want := `forbidden: User "system:anonymous" cannot get path "/api": Everything is forbidden.`; status.Reason != "Forbidden" || status.Message != want {
					t.Errorf("403 body = %+v, want message %q", status, want)
				}
			}
		})
	}
}

func TestAdminKubeconfig(t *testing.T) {
	ts := start(t, setup{})
	path := filepath.Join(ts.DataDir, "admin.kubeconfig")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.kubeconfig mode = %o, want 600", fi.Mode().Perm())
	}
	if code, _ := ts.get(t, "/nope"); code != 404 {
		t.Errorf("admin GET /nope = %d, want 404", code)
	}
}

// TestClientCAFile: certificates signed by --client-ca-file authenticate;
// certificates of another CA get 401, not a TLS failure.
func TestClientCAFile(t *testing.T) {
	dir := t.TempDir()
	issue := func(name string) tls.Certificate {
		t.Helper()
		ca, err := certs.LoadOrCreateCA(certs.PairIn(dir, name+"-ca"), name+"-ca")
		if err != nil {
			t.Fatal(err)
		}
		certPEM, keyPEM, err := ca.Issue(certs.Leaf{CommonName: "bob", Organization: []string{"dev"}, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return pair
	}
	trusted, stranger := issue("trusted"), issue("stranger")
	ts := start(t, setup{configure: func(o *options.Options) {
		o.Authentication.ClientCAFile = filepath.Join(dir, "trusted-ca.crt")
	}})
	for _, tc := range []struct {
		name string
		cert tls.Certificate
		code int
	}{{"trusted CA", trusted, 404}, {"another CA", stranger, 401}} {
		t.Run(tc.name, func(t *testing.T) {
			client := &http.Client{Transport: &http2.Transport{TLSClientConfig: &tls.Config{
				InsecureSkipVerify: true, Certificates: []tls.Certificate{tc.cert},
			}}}
			resp, err := client.Get(ts.URL + "/nope")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Errorf("GET /nope with a certificate of the %s = %d, want %d", tc.name, resp.StatusCode, tc.code)
			}
		})
	}
}

// TestUnauthenticatedHTTP2Closed: as kube-apiserver, the server sends
// GOAWAY on an HTTP/2 connection after a request that was anonymous or
// failed authentication, so the next request needs a new connection; an
// authenticated client keeps its connection.
func TestUnauthenticatedHTTP2Closed(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("secret-token,alice,1001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := start(t, setup{configure: func(o *options.Options) { o.Authentication.TokenAuthFile = tokens }})
	for _, tc := range []struct {
		name, header string
		reused       bool
	}{
		{"anonymous", "", false},
		{"bad token", "Bearer wrong", false},
		{"authenticated", "Bearer secret-token", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := &http.Client{Transport: &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
			var reused []bool
			for range 2 {
				trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused = append(reused, info.Reused) }}
				req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), http.MethodGet, ts.URL+"/healthz", nil)
				if tc.header != "" {
					req.Header.Set("Authorization", tc.header)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the connection matters
				resp.Body.Close()
			}
			if len(reused) != 2 || reused[1] != tc.reused {
				t.Errorf("second request reused the connection: %v, want %v", reused, tc.reused)
			}
		})
	}
}
