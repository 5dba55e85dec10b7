package serviceaccount

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"k8s.io/apimachinery/pkg/util/uuid"

	"github.com/apiserver/apiserver/pkg/auth/authn"
	"github.com/apiserver/apiserver/pkg/auth/user"
)

// Service accounts' user names and groups, as Kubernetes names them.
const (
	UserPrefix   = "system:serviceaccount:"
	AllGroup     = "system:serviceaccounts"
	GroupPrefix  = "system:serviceaccounts:"
	CredentialID = "authentication.kubernetes.io/credential-id"
)

// UserName is the user a service account authenticates as.
func UserName(namespace, name string) string { return UserPrefix + namespace + ":" + name }

// SplitUserName returns the namespace and name of a service account's user
// name; ok is false for other users.
func SplitUserName(userName string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(userName, UserPrefix)
	if !ok {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	return namespace, name, ok && namespace != "" && name != "" && !strings.Contains(name, ":")
}

// IsServiceAccount reports whether userName is a service account's.
func IsServiceAccount(userName string) bool {
	_, _, ok := SplitUserName(userName)
	return ok
}

// Groups are the groups of a service account of namespace.
func Groups(namespace string) []string { return []string{AllGroup, GroupPrefix + namespace} }

// Ref names an object a token belongs or is bound to.
type Ref struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// kubernetesClaim is the private "kubernetes.io" claim of kube's bound
// tokens.
type kubernetesClaim struct {
	Namespace      string `json:"namespace"`
	ServiceAccount Ref    `json:"serviceaccount"`
	Secret         *Ref   `json:"secret,omitempty"`
	Pod            *Ref   `json:"pod,omitempty"`
}

type privateClaims struct {
	Kubernetes kubernetesClaim `json:"kubernetes.io"`
}

// Request is what a token is issued for.
type Request struct {
	Namespace      string
	ServiceAccount Ref
	// Secret, when set, is the Secret the token is bound to: it stops
	// authenticating once that Secret is gone.
	Secret    *Ref
	Audiences []string
	Lifetime  time.Duration
}

// Issuer signs tokens.
type Issuer struct {
	issuer string
	signer jose.Signer
	now    func() time.Time
}

// NewIssuer signs with key for issuer (the "iss" claim).
func NewIssuer(issuer string, key crypto.Signer) (*Issuer, error) {
	alg, err := algorithm(key.Public())
	if err != nil {
		return nil, err
	}
	kid, err := keyID(key.Public())
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("service account signing key: %w", err)
	}
	return &Issuer{issuer: issuer, signer: signer, now: time.Now}, nil
}

// Issue signs a token for req and returns it with its expiry.
func (i *Issuer) Issue(req Request) (string, time.Time, error) {
	now := i.now().Truncate(time.Second)
	exp := now.Add(req.Lifetime)
	std := jwt.Claims{
		Issuer:    i.issuer,
		Subject:   UserName(req.Namespace, req.ServiceAccount.Name),
		Audience:  jwt.Audience(req.Audiences),
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(exp),
		ID:        string(uuid.NewUUID()),
	}
	private := privateClaims{kubernetesClaim{Namespace: req.Namespace, ServiceAccount: req.ServiceAccount, Secret: req.Secret}}
	token, err := jwt.Signed(i.signer).Claims(std).Claims(private).Serialize()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("signing a service account token: %w", err)
	}
	return token, exp, nil
}

// Lookup reads the objects a token names, to check they still exist: the
// UID of namespace/name, or ok false when it is gone or being deleted.
type Lookup interface {
	ServiceAccountUID(ctx context.Context, namespace, name string) (uid string, ok bool, err error)
	SecretUID(ctx context.Context, namespace, name string) (uid string, ok bool, err error)
}

// Authenticator verifies bound service account tokens.
type Authenticator struct {
	issuers   []string
	keys      jose.JSONWebKeySet
	algs      []jose.SignatureAlgorithm
	audiences []string
	lookup    atomic.Pointer[Lookup]
	now       func() time.Time
}

// leeway tolerates clocks of replicas that differ a little.
const leeway = time.Minute

// NewAuthenticator accepts tokens of issuers signed by one of keys whose
// audiences include one of audiences, while the objects they name exist
// in what SetLookup gives; until then it refuses every token it would
// accept.
func NewAuthenticator(issuers []string, keys []crypto.PublicKey, audiences []string) (*Authenticator, error) {
	a := &Authenticator{issuers: issuers, audiences: audiences, now: time.Now}
	for _, k := range keys {
		jwk, err := publicJWK(k)
		if err != nil {
			return nil, err
		}
		a.keys.Keys = append(a.keys.Keys, jwk)
		if alg := jose.SignatureAlgorithm(jwk.Algorithm); !slices.Contains(a.algs, alg) {
			a.algs = append(a.algs, alg)
		}
	}
	return a, nil
}

// SetLookup gives the authenticator where to look the tokens' objects up.
func (a *Authenticator) SetLookup(l Lookup) { a.lookup.Store(&l) }

// AuthenticateToken implements authn.Token. A token that is not a JWT of
// one of our issuers is not ours (ok false, no error), so that other
// token authenticators may have it.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*user.Info, bool, error) {
	tok, err := jwt.ParseSigned(token, a.algs)
	if err != nil {
		return nil, false, nil
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || !slices.Contains(a.issuers, unverified.Issuer) {
		return nil, false, nil
	}
	u, err := a.verify(ctx, tok)
	if err != nil {
		return nil, false, fmt.Errorf("service account token: %w", err)
	}
	return u, true, nil
}

func (a *Authenticator) verify(ctx context.Context, tok *jwt.JSONWebToken) (*user.Info, error) {
	var std jwt.Claims
	var private privateClaims
	if err := a.claims(tok, &std, &private); err != nil {
		return nil, err
	}
	audiences := a.audiences
	if requested, ok := authn.AudiencesFrom(ctx); ok {
		audiences = requested
	}
	if !slices.ContainsFunc(audiences, std.Audience.Contains) {
		return nil, errors.New("token audiences are not accepted")
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Time: a.now()}, leeway); err != nil {
		return nil, err
	}
	k := private.Kubernetes
	ns, name, ok := SplitUserName(std.Subject)
	if !ok || ns != k.Namespace || name != k.ServiceAccount.Name {
		return nil, errors.New("subject and kubernetes.io claim disagree")
	}
	if k.Pod != nil {
		return nil, errors.New("bound to a Pod, which this server does not serve")
	}
	lp := a.lookup.Load()
	if lp == nil {
		return nil, errors.New("service accounts cannot be read yet")
	}
	lookup := *lp
	uid, ok, err := lookup.ServiceAccountUID(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if !ok || uid != k.ServiceAccount.UID {
		return nil, fmt.Errorf("service account %s/%s is gone", ns, name)
	}
	if k.Secret != nil {
		uid, ok, err := lookup.SecretUID(ctx, ns, k.Secret.Name)
		if err != nil {
			return nil, err
		}
		if !ok || uid != k.Secret.UID {
			return nil, fmt.Errorf("bound secret %s/%s is gone", ns, k.Secret.Name)
		}
	}
	u := &user.Info{Name: std.Subject, UID: k.ServiceAccount.UID, Groups: Groups(ns)}
	if std.ID != "" {
		u.Extra = map[string][]string{CredentialID: {"JTI=" + std.ID}}
	}
	return u, nil
}

// claims verifies the signature with the key the token names, or each key
// when it names none.
func (a *Authenticator) claims(tok *jwt.JSONWebToken, dest ...any) error {
	if len(tok.Headers) == 1 && tok.Headers[0].KeyID != "" {
		for _, k := range a.keys.Key(tok.Headers[0].KeyID) {
			if tok.Claims(k.Key, dest...) == nil {
				return nil
			}
		}
	}
	for _, k := range a.keys.Keys {
		if tok.Claims(k.Key, dest...) == nil {
			return nil
		}
	}
	return errors.New("invalid signature")
}
