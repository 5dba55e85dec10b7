package serviceaccount

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/apiserver/apiserver/pkg/auth/authn"
)

// objects is a Lookup over a map of "namespace/name" to UID.
type objects map[string]string

func (o objects) ServiceAccountUID(_ context.Context, ns, name string) (string, bool, error) {
	uid, ok := o["sa:"+ns+"/"+name]
	return uid, ok, nil
}

func (o objects) SecretUID(_ context.Context, ns, name string) (string, bool, error) {
	uid, ok := o["secret:"+ns+"/"+name]
	return uid, ok, nil
}

const issuerURL = "https://issuer.example"

func setup(t *testing.T) (*Issuer, *Authenticator, objects) {
	t.Helper()
	key, err := LoadOrCreateSigningKey(filepath.Join(t.TempDir(), "sa.key"))
	if err != nil {
		t.Fatal(err)
	}
	iss, err := NewIssuer(issuerURL, key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAuthenticator([]string{issuerURL, "https://old.example"}, []crypto.PublicKey{key.Public()}, []string{"api"})
	if err != nil {
		t.Fatal(err)
	}
	objs := objects{"sa:ns/bot": "sa-uid", "secret:ns/s": "secret-uid"}
	a.SetLookup(objs)
	return iss, a, objs
}

func TestTokenRoundTrip(t *testing.T) {
	iss, a, objs := setup(t)
	issue := func(req Request) string {
		t.Helper()
		tok, exp, err := iss.Issue(req)
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Now().Add(req.Lifetime); exp.Sub(want) > 2*time.Second || want.Sub(exp) > 2*time.Second {
			t.Errorf("expiry %v, want about %v", exp, want)
		}
		return tok
	}
	bot := Request{Namespace: "ns", ServiceAccount: Ref{Name: "bot", UID: "sa-uid"}, Audiences: []string{"api"}, Lifetime: time.Hour}
	bound := bot
	bound.Secret = &Ref{Name: "s", UID: "secret-uid"}
	otherAudience := bot
	otherAudience.Audiences = []string{"vault"}
	expired := bot
	expired.Lifetime = -2 * leeway
	stale := bot
	stale.ServiceAccount.UID = "old-uid"

	u, ok, err := a.AuthenticateToken(context.Background(), issue(bound))
	if err != nil || !ok {
		t.Fatalf("bound token: %v %v", ok, err)
	}
	if u.Name != "system:serviceaccount:ns:bot" || u.UID != "sa-uid" || !slices.Equal(u.Groups, []string{"system:serviceaccounts", "system:serviceaccounts:ns"}) ||
		!strings.HasPrefix(u.Extra[CredentialID][0], "JTI=") {
		t.Errorf("user = %+v", u)
	}
	for _, tc := range []struct {
		name  string
		token string
		ctx   context.Context
		ok    bool
		err   string
	}{
		{"unbound", issue(bot), context.Background(), true, ""},
		{"another audience", issue(otherAudience), context.Background(), false, "audiences"},
		{"another audience, reviewed for it", issue(otherAudience), authn.WithAudiences(context.Background(), []string{"vault"}), true, ""},
		{"expired", issue(expired), context.Background(), false, "expired"},
		{"account recreated", issue(stale), context.Background(), false, "is gone"},
		{"not a JWT", "abc", context.Background(), false, ""},
		{"tampered", issue(bot) + "x", context.Background(), false, "invalid signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ok, err := a.AuthenticateToken(tc.ctx, tc.token)
			if ok != tc.ok || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("= %v, %v; want %v and an error with %q", ok, err, tc.ok, tc.err)
			}
		})
	}
	// The bound token dies with its secret.
	boundToken := issue(bound)
	delete(objs, "secret:ns/s")
	if _, ok, err := a.AuthenticateToken(context.Background(), boundToken); ok || err == nil || !strings.Contains(err.Error(), "bound secret ns/s is gone") {
		t.Errorf("token of a deleted secret = %v, %v", ok, err)
	}
}

// TestForeignTokens: a JWT of another issuer, or signed by another key,
// is not accepted.
func TestForeignTokens(t *testing.T) {
	_, a, _ := setup(t)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, issuer := range []string{"https://elsewhere.example", issuerURL} {
		iss, err := NewIssuer(issuer, other)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := iss.Issue(Request{Namespace: "ns", ServiceAccount: Ref{Name: "bot", UID: "sa-uid"}, Audiences: []string{"api"}, Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := a.AuthenticateToken(context.Background(), tok); ok {
			t.Errorf("a token of %s signed by another key was accepted", issuer)
		}
	}
}

// TestClaimsFormat: kube's claim names, so tokens mean the same to the
// tools that read them.
func TestClaimsFormat(t *testing.T) {
	iss, _, _ := setup(t)
	tok, _, err := iss.Issue(Request{Namespace: "ns", ServiceAccount: Ref{Name: "bot", UID: "sa-uid"}, Secret: &Ref{Name: "s", UID: "secret-uid"}, Audiences: []string{"api"}, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := parsed.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"aud", "exp", "iat", "iss", "jti", "nbf", "sub"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("no %s claim in %v", k, claims)
		}
	}
	k8s, _ := json.Marshal(claims["kubernetes.io"])
	if want := `{"namespace":"ns","secret":{"name":"s","uid":"secret-uid"},"serviceaccount":{"name":"bot","uid":"sa-uid"}}`; string(k8s) != want {
		t.Errorf("kubernetes.io claim = %s, want %s", k8s, want)
	}
	if parsed.Headers[0].KeyID == "" || parsed.Headers[0].Algorithm != "RS256" {
		t.Errorf("header = %+v", parsed.Headers[0])
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sa.key")
	key, err := LoadOrCreateSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("generated key mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	again, err := LoadOrCreateSigningKey(path)
	if err != nil || !again.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
		t.Errorf("the key was not reused: %v", err)
	}
	pubs, err := ReadPublicKeys(path + ".pub")
	if err != nil || len(pubs) != 1 {
		t.Fatalf("public keys = %v, %v", pubs, err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPath := filepath.Join(dir, "ec.key")
	os.WriteFile(ecPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600) //nolint:errcheck // read back below
	if k, err := ReadSigningKey(ecPath); err != nil {
		t.Errorf("PKCS#8 ECDSA key: %v", err)
	} else if alg, _ := algorithm(k.Public()); alg != jose.ES384 {
		t.Errorf("P-384 key signs with %s", alg)
	}
	for _, bad := range []string{"", "not pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"} {
		p := filepath.Join(dir, "bad")
		os.WriteFile(p, []byte(bad), 0o600) //nolint:errcheck // read back below
		if _, err := ReadPublicKeys(p); err == nil {
			t.Errorf("ReadPublicKeys(%q) succeeded", bad)
		}
		if _, err := ReadSigningKey(p); err == nil {
			t.Errorf("ReadSigningKey(%q) succeeded", bad)
		}
	}
}

// TestDiscovery: the documents kube-apiserver serves, with its headers.
func TestDiscovery(t *testing.T) {
	key, err := LoadOrCreateSigningKey(filepath.Join(t.TempDir(), "sa.key"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDiscovery(issuerURL, "", []crypto.PublicKey{key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	d.Configuration.ServeHTTP(rec, httptest.NewRequest("GET", DiscoveryPath, nil))
	if want := `{"issuer":"https://issuer.example","jwks_uri":"https://issuer.example/openid/v1/jwks","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}`; rec.Body.String() != want {
		t.Errorf("configuration = %s", rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "public, max-age=3600" || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("configuration headers = %v", rec.Header())
	}
	rec = httptest.NewRecorder()
	d.KeySet.ServeHTTP(rec, httptest.NewRequest("GET", JWKSPath, nil))
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || len(set.Keys) != 1 || set.Keys[0].Use != "sig" || set.Keys[0].Algorithm != "RS256" {
		t.Errorf("jwks = %s (%v)", rec.Body, err)
	}
	if rec.Header().Get("Content-Type") != "application/jwk-set+json" {
		t.Errorf("jwks content type = %q", rec.Header().Get("Content-Type"))
	}
	kid, _ := keyID(key.Public())
	if set.Keys[0].KeyID != kid {
		t.Errorf("kid = %s, want %s", set.Keys[0].KeyID, kid)
	}
}

func TestSplitUserName(t *testing.T) {
	for _, tc := range []struct {
		in       string
		ns, name string
		ok       bool
	}{
		{"system:serviceaccount:ns:bot", "ns", "bot", true},
		{"system:serviceaccount:ns", "", "", false},
		{"system:serviceaccount::bot", "", "", false},
		{"system:serviceaccount:ns:a:b", "", "", false},
		{"alice", "", "", false},
	} {
		ns, name, ok := SplitUserName(tc.in)
		if ok != tc.ok || (ok && (ns != tc.ns || name != tc.name)) {
			t.Errorf("SplitUserName(%q) = %q %q %v", tc.in, ns, name, ok)
		}
	}
}
