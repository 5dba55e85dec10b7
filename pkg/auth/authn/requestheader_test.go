package authn

import (
	"crypto/tls"
	"crypto/x509"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/certs"
)

func TestRequestHeader(t *testing.T) {
	dir := t.TempDir()
	client := func(caName string, cn string) []*x509.Certificate {
		ca, err := certs.LoadOrCreateCA(certs.PairIn(dir, caName), caName)
		if err != nil {
			t.Fatal(err)
		}
		return chainOf(t, ca, certs.Leaf{CommonName: cn, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	}
	proxyCA, err := certs.LoadOrCreateCA(certs.PairIn(dir, "front-proxy-ca"), "front-proxy-ca")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(proxyCA.Cert)
	a := NewRequestHeader(RequestHeaderConfig{
		CA: pool, AllowedNames: []string{"front-proxy-client"},
		UsernameHeaders: []string{"X-Remote-User"}, GroupHeaders: []string{"X-Remote-Group"}, ExtraHeaderPrefixes: []string{"X-Remote-Extra-"},
	})
	headers := map[string][]string{
		"X-Remote-User": {"alice"}, "X-Remote-Group": {"dev", "ops"},
		"X-Remote-Extra-Scopes": {"a", "b"}, "X-Remote-Extra-Example.com%2fteam": {"blue"},
	}
	for _, tc := range []struct {
		name    string
		chain   []*x509.Certificate
		headers map[string][]string
		want    *user.Info
		err     bool
	}{
		{"front proxy", client("front-proxy-ca", "front-proxy-client"), headers,
			&user.Info{Name: "alice", Groups: []string{"dev", "ops"}, Extra: map[string][]string{"scopes": {"a", "b"}, "example.com/team": {"blue"}}}, false},
		{"front proxy, no user header", client("front-proxy-ca", "front-proxy-client"), nil, nil, false},
		{"a name the proxy may not have", client("front-proxy-ca", "someone-else"), headers, nil, true},
		// A client of another CA that sets the headers is not a front
		// proxy: the next authenticator decides.
		{"client of another CA", client("client-ca", "front-proxy-client"), headers, nil, false},
		{"no certificate", nil, headers, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.TLS = &tls.ConnectionState{PeerCertificates: tc.chain}
			for k, vs := range tc.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			u, ok, err := a.AuthenticateRequest(r)
			if (err != nil) != tc.err || ok != (tc.want != nil) || (ok && !reflect.DeepEqual(u, tc.want)) {
				t.Fatalf("= %+v %v %v; want %+v, error %v", u, ok, err, tc.want, tc.err)
			}
		})
	}
}
