package authn

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/apiserver/apiserver/pkg/auth/user"
)

// RequestHeaderConfig is kube-apiserver's --requestheader-* flags: a front
// proxy (kube's aggregator, or this server's in front of another) proves
// itself with a client certificate of CA, and says who its caller is in
// headers.
type RequestHeaderConfig struct {
	// CA verifies the front proxy's client certificate.
	CA *x509.CertPool
	// AllowedNames are the common names a front proxy's certificate may
	// have; empty allows any that CA signed.
	AllowedNames []string
	// UsernameHeaders, GroupHeaders and ExtraHeaderPrefixes name the
	// headers of the caller's name (the first present is used), groups
	// (all of them) and extra attributes ("<prefix><key>: value").
	UsernameHeaders, GroupHeaders, ExtraHeaderPrefixes []string
}

// RequestHeader authenticates a request a front proxy sent for its
// caller. A request without a certificate of its CA is not one of its
// kind; one with such a certificate but a name not allowed is refused.
type RequestHeader struct {
	config RequestHeaderConfig
	certs  *X509
}

var _ Request = (*RequestHeader)(nil)

// NewRequestHeader returns the authenticator of c.
func NewRequestHeader(c RequestHeaderConfig) *RequestHeader {
	return &RequestHeader{config: c, certs: NewX509(c.CA)}
}

// AuthenticateRequest implements Request.
func (a *RequestHeader) AuthenticateRequest(r *http.Request) (*user.Info, bool, error) {
	name := firstHeader(r.Header, a.config.UsernameHeaders)
	if name == "" {
		return nil, false, nil
	}
	proxy, ok, err := a.certs.AuthenticateRequest(r)
	if err != nil || !ok {
		// Not signed by the front proxy CA: perhaps a client certificate
		// of another authority, which the next authenticator verifies.
		return nil, false, nil
	}
	if len(a.config.AllowedNames) > 0 && !slices.Contains(a.config.AllowedNames, proxy.Name) {
		return nil, false, fmt.Errorf("x509: subject with cn=%s is not in the allowed list", proxy.Name)
	}
	u := &user.Info{Name: name}
	for _, h := range a.config.GroupHeaders {
		u.Groups = append(u.Groups, r.Header.Values(h)...)
	}
	for key, values := range r.Header {
		for _, prefix := range a.config.ExtraHeaderPrefixes {
			if !strings.HasPrefix(strings.ToLower(key), strings.ToLower(prefix)) {
				continue
			}
			// Keys are percent-encoded by the proxy and lower case, as
			// kube's requestheader authenticator reads them.
			k := strings.ToLower(key[len(prefix):])
			if unescaped, err := url.PathUnescape(k); err == nil {
				k = unescaped
			}
			if u.Extra == nil {
				u.Extra = map[string][]string{}
			}
			u.Extra[k] = append(u.Extra[k], values...)
		}
	}
	return u, true, nil
}

func firstHeader(h http.Header, names []string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}
