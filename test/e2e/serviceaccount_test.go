package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/apiserver/apiserver/pkg/auth/serviceaccount"
)

// TestServiceAccountTokens: every namespace gets its default
// ServiceAccount and kube-root-ca.crt; kubectl create token issues a bound
// token that authenticates as the account with kube's groups, is judged by
// RBAC, is verified by TokenReview and by the published JWKS, and dies
// with its expiry, its bound Secret and its account.
func TestServiceAccountTokens(t *testing.T) {
	p := startBinary(t, "", nil)
	bin := kubectls(t)["kubectl"]
	k := kubectl{t: t, bin: bin, kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
	ca, err := os.ReadFile(filepath.Join(p.DataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	k.run("create", "namespace", "team")
	for _, ns := range []string{"default", "kube-system", "team"} {
		waitUntil(t, 10*time.Second, "the defaults of namespace "+ns, func() bool {
			out, err := k.try("get", "configmap", "kube-root-ca.crt", "-n", ns, "-o", `jsonpath={.data.ca\.crt}`)
			if err != nil || out != string(ca) {
				return false
			}
			_, err = k.try("get", "serviceaccount", "default", "-n", ns)
			return err == nil
		})
	}

	k.run("create", "serviceaccount", "bot", "-n", "team")
	k.run("create", "secret", "generic", "s", "-n", "team")
	if out, err := k.try("create", "token", "bot", "-n", "team", "--duration=5m"); err == nil || !strings.Contains(out, "may not specify a duration less than 10 minutes") {
		t.Errorf("a 5m token: %v %s", err, out)
	}
	bound := strings.TrimSpace(k.run("create", "token", "bot", "-n", "team", "--bound-object-kind=Secret", "--bound-object-name=s"))
	unbound := strings.TrimSpace(k.run("create", "token", "bot", "-n", "team", "--duration=24h"))
	as := func(token string) kubectl {
		return kubectl{t: t, bin: bin, kubeconfig: writeTokenKubeconfig(t, p, filepath.Join(t.TempDir(), "bot.kubeconfig"), token), home: t.TempDir()}
	}
	bot := as(bound)
	if out := bot.run("auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"); out !=
		`system:serviceaccount:team:bot ["system:serviceaccounts","system:serviceaccounts:team","system:authenticated"]` {
		t.Errorf("whoami with the token = %q", out)
	}
	if out, err := bot.try("get", "configmaps", "-n", "team"); err == nil ||
		!strings.Contains(out, `User "system:serviceaccount:team:bot" cannot list resource "configmaps" in API group "" in the namespace "team"`) {
		t.Errorf("an unbound account listing: %v %s", err, out)
	}
	k.run("create", "rolebinding", "bot-view", "--clusterrole=view", "--serviceaccount=team:bot", "-n", "team")
	waitUntil(t, 10*time.Second, "the account may list configmaps in team", func() bool {
		_, err := bot.try("get", "configmaps", "-n", "team")
		return err == nil
	})

	// TokenReview, as an authenticating proxy would ask.
	review := `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + bound + `"}}`
	if out := k.stdin(review, "create", "-f", "-", "-o", "jsonpath={.status.authenticated} {.status.user.username} {.status.audiences}"); out !=
		`true system:serviceaccount:team:bot ["https://kubernetes.default.svc.cluster.local"]` {
		t.Errorf("TokenReview = %q", out)
	}
	bogus := `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"nope"}}`
	if out := k.stdin(bogus, "create", "-f", "-", "-o", "jsonpath={.status.authenticated}:{.status.error}"); out != ":invalid bearer token" {
		t.Errorf("TokenReview of a bad token = %q", out)
	}

	// OIDC discovery: to service accounts, not to anonymous; the JWKS
	// verifies the token.
	var config struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal([]byte(bot.run("get", "--raw", "/.well-known/openid-configuration")), &config); err != nil ||
		config.Issuer != "https://kubernetes.default.svc.cluster.local" || config.JWKSURI != config.Issuer+"/openid/v1/jwks" {
		t.Errorf("openid-configuration = %+v, %v", config, err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(bot.run("get", "--raw", "/openid/v1/jwks")), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks = %+v, %v", set, err)
	}
	parsed, err := jwt.ParseSigned(bound, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims jwt.Claims
	if err := parsed.Claims(set.Keys[0].Key, &claims); err != nil || claims.Subject != "system:serviceaccount:team:bot" {
		t.Errorf("verifying with the JWKS: %+v, %v", claims, err)
	}
	if code, _ := p.get(t, "/openid/v1/jwks"); code != 403 {
		t.Errorf("anonymous jwks = %d, want 403", code)
	}

	// A token past its expiry (signed here with the server's own key, for
	// the live account: the API issues none shorter than 10 minutes) is
	// refused.
	key, err := serviceaccount.ReadSigningKey(filepath.Join(p.DataDir, "pki", "sa.key"))
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := serviceaccount.NewIssuer("https://kubernetes.default.svc.cluster.local", key)
	if err != nil {
		t.Fatal(err)
	}
	uid := k.run("get", "serviceaccount", "bot", "-n", "team", "-o", "jsonpath={.metadata.uid}")
	req := serviceaccount.Request{Namespace: "team", ServiceAccount: serviceaccount.Ref{Name: "bot", UID: uid},
		Audiences: []string{"https://kubernetes.default.svc.cluster.local"}, Lifetime: time.Hour}
	live, _, err := issuer.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	req.Lifetime = -2 * time.Minute // beyond the minute of clock skew allowed
	expired, _, err := issuer.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := as(live).try("auth", "whoami"); err != nil {
		t.Errorf("a token signed with the server's key was refused: %v", err)
	}
	if out, err := as(expired).try("auth", "whoami"); err == nil || !strings.Contains(out, "Unauthorized") {
		t.Errorf("an expired token: %v %s", err, out)
	}

	// The bound token dies with its Secret; the other with the account.
	k.run("delete", "secret", "s", "-n", "team")
	waitUntil(t, 10*time.Second, "the bound token refused", func() bool {
		out, err := bot.try("auth", "whoami")
		return err != nil && strings.Contains(out, "Unauthorized")
	})
	other := as(unbound)
	if _, err := other.try("auth", "whoami"); err != nil {
		t.Errorf("the unbound token stopped working with the secret: %v", err)
	}
	k.run("delete", "serviceaccount", "bot", "-n", "team")
	waitUntil(t, 10*time.Second, "the unbound token refused", func() bool {
		out, err := other.try("auth", "whoami")
		return err != nil && strings.Contains(out, "Unauthorized")
	})
	// An account of the same name is another account.
	k.run("create", "serviceaccount", "bot", "-n", "team")
	time.Sleep(500 * time.Millisecond)
	if out, err := other.try("auth", "whoami"); err == nil {
		t.Errorf("a token of the deleted account works for its successor: %s", out)
	}
}
