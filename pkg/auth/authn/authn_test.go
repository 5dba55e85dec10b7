package authn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/certs"
)

func TestTokenFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantErr string
	}{
		{"valid", "tok1,alice,1\n# a comment\ntok2,bob,2,\"dev,ops\"\n,empty,3\n", ""},
		{"too few columns", "tok1,alice\n", "record 1 must have at least 3 columns (token, user name, user uid), found 2"},
		{"empty user", "tok1,,1\n", "record 1 has an empty user name"},
		{"bad quoting", "tok1,\"alice,1\n", "--token-auth-file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.csv")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			tf, err := NewTokenFile(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "tok1") {
					t.Errorf("error %q reveals a token", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, ok, err := tf.AuthenticateRequest(bearer("tok2"))
			if !ok || err != nil || u.Name != "bob" || u.UID != "2" || !slices.Equal(u.Groups, []string{"dev", "ops"}) {
				t.Errorf("tok2 = %+v %v %v", u, ok, err)
			}
			if _, ok, err := tf.AuthenticateRequest(bearer("wrong")); ok || err == nil {
				t.Errorf("a wrong token authenticated (ok %v, err %v)", ok, err)
			}
			if _, ok, err := tf.AuthenticateRequest(httptest.NewRequest("GET", "/", nil)); ok || err != nil {
				t.Errorf("no token: ok %v, err %v; want neither", ok, err)
			}
		})
	}
	if _, err := NewTokenFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing token file was accepted")
	}
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

func TestBearerToken(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer": "", "Bearer  ": "", "": "",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", header)
		got, ok := BearerToken(r)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v; want %q", header, got, ok, want)
		}
	}
}

// chainOf issues leaf from ca and returns it as the chain a client sends.
func chainOf(t *testing.T, ca *certs.CA, leaf certs.Leaf) []*x509.Certificate {
	t.Helper()
	certPEM, keyPEM, err := ca.Issue(leaf)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return []*x509.Certificate{c}
}

func TestX509(t *testing.T) {
	dir := t.TempDir()
	ca, err := certs.LoadOrCreateCA(certs.PairIn(dir, "ca"), "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(l certs.Leaf) []*x509.Certificate { return chainOf(t, ca, l) }
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	a := NewX509(pool)
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	tests := []struct {
		name  string
		chain []*x509.Certificate
		user  string
		err   bool
	}{
		{"client certificate", leaf(certs.Leaf{CommonName: "alice", Organization: []string{"dev"}, Usages: client}), "alice", false},
		{"serving certificate", leaf(certs.Leaf{CommonName: "srv", Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}), "", true},
		{"no common name", leaf(certs.Leaf{Usages: client}), "", true},
		{"no certificate", nil, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.TLS = &tls.ConnectionState{PeerCertificates: tc.chain}
			for range 2 { // the second answer comes from the cache
				u, ok, err := a.AuthenticateRequest(r)
				if (err != nil) != tc.err || ok != (tc.user != "") || (ok && u.Name != tc.user) {
					t.Fatalf("= %+v %v %v; want user %q, error %v", u, ok, err, tc.user, tc.err)
				}
			}
		})
	}
}

// tokenMap knows the tokens it maps, and no others (ok false, no error),
// as the service account authenticator treats tokens that are not JWTs.
type tokenMap map[string]string

func (m tokenMap) AuthenticateToken(_ context.Context, token string) (*user.Info, bool, error) {
	if name, ok := m[token]; ok {
		return &user.Info{Name: name}, true, nil
	}
	return nil, false, nil
}

// TestBearerUnion: the first token authenticator that knows a token
// decides; a token none knows is an error (401), never anonymous; no token
// is no opinion.
func TestBearerUnion(t *testing.T) {
	b := Bearer{TokenUnion{tokenMap{"a": "alice"}, tokenMap{"b": "bob", "a": "not-alice"}}}
	for _, tc := range []struct {
		header, user string
		ok, err      bool
	}{
		{"Bearer a", "alice", true, false},
		{"Bearer b", "bob", true, false},
		{"Bearer c", "", false, true},
		{"", "", false, false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		u, ok, err := b.AuthenticateRequest(r)
		if ok != tc.ok || (err != nil) != tc.err || (ok && u.Name != tc.user) {
			t.Errorf("%q: %v %v %v", tc.header, u, ok, err)
		}
	}
}
