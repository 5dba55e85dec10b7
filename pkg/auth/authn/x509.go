package authn

import (
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/apiserver/apiserver/pkg/auth/user"
)

// X509 authenticates client certificates signed by a CA of its pool. The
// user is the subject's common name and the groups its organizations.
type X509 struct {
	roots *x509.CertPool

	// Verifying a chain costs tens of microseconds of public-key maths; a
	// client sends the same chain on every request of a connection, so
	// verified chains are remembered until they expire.
	mu    sync.Mutex
	cache map[[32]byte]cachedUser
}

type cachedUser struct {
	user    *user.Info
	expires time.Time
}

// maxCachedChains bounds the cache; it is cleared whole when full, which is
// cheap and keeps memory bounded without an LRU.
const maxCachedChains = 4096

var _ Request = (*X509)(nil)

// NewX509 returns an authenticator trusting the CAs in roots.
func NewX509(roots *x509.CertPool) *X509 {
	return &X509{roots: roots, cache: map[[32]byte]cachedUser{}}
}

// AuthenticateRequest implements Request.
func (a *X509) AuthenticateRequest(r *http.Request) (*user.Info, bool, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	chain := r.TLS.PeerCertificates
	h := sha256.New()
	for _, c := range chain {
		h.Write(c.Raw)
	}
	var key [32]byte
	h.Sum(key[:0])
	now := time.Now()
	a.mu.Lock()
	hit, ok := a.cache[key]
	a.mu.Unlock()
	if ok && now.Before(hit.expires) {
		return hit.user, true, nil
	}

	leaf := chain[0]
	opts := x509.VerifyOptions{
		Roots:         a.roots,
		Intermediates: x509.NewCertPool(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		CurrentTime:   now,
	}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	chains, err := leaf.Verify(opts)
	if err != nil {
		return nil, false, fmt.Errorf("verifying client certificate %q: %w", leaf.Subject.CommonName, err)
	}
	if leaf.Subject.CommonName == "" {
		return nil, false, fmt.Errorf("client certificate has no common name to use as the user name")
	}
	expires := leaf.NotAfter
	for _, c := range chains[0] {
		if c.NotAfter.Before(expires) {
			expires = c.NotAfter
		}
	}
	u := &user.Info{Name: leaf.Subject.CommonName, Groups: append([]string(nil), leaf.Subject.Organization...)}
	a.mu.Lock()
	if len(a.cache) >= maxCachedChains {
		clear(a.cache)
	}
	a.cache[key] = cachedUser{user: u, expires: expires}
	a.mu.Unlock()
	return u, true, nil
}
