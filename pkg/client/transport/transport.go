// Package transport is how the server reaches other servers (kubelets,
// Pods, and later webhooks and aggregated API servers). It is client-go's
// transport, whose cache keys transports by their TLS configuration (CA,
// client certificate or callback, server name, insecure flag, protocols,
// proxy, dial), so that equal configurations share one transport and one
// HTTP/2 connection per host, with client-go's round trippers in its
// order (debug logging at -v=6..9 with credentials redacted, basic auth,
// bearer token, user agent, impersonation), and two of this server's own:
// a bearer token read again from its file as soon as the file changes,
// and the caller's identity in request headers, as kube's aggregator
// hands it to an extension API server.
package transport

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	clienttransport "k8s.io/client-go/transport"

	"github.com/apiserver/apiserver/pkg/auth/user"
)

// Config is client-go's transport configuration, plus what this server
// adds. client-go's own BearerTokenFile, which it re-reads once a minute,
// is refused: TokenFile re-reads on every change.
type Config struct {
	clienttransport.Config
	// TokenFile holds a bearer token, read again whenever the file
	// changes (a rotated service account token, for one).
	TokenFile string
	// RequestHeader, when set, writes the identity of the request's
	// caller into headers.
	RequestHeader *RequestHeader
}

// New returns the round tripper of c: the cached TLS transport and its
// wrappers. A custom Transport together with TLS options is refused, as
// client-go refuses it.
func New(c *Config) (http.RoundTripper, error) {
	if c.BearerTokenFile != "" {
		return nil, fmt.Errorf("BearerTokenFile is client-go's once-a-minute reading: use TokenFile")
	}
	if c.TokenFile != "" && (c.BearerToken != "" || c.HasBasicAuth()) {
		return nil, fmt.Errorf("a token file and another credential are both given")
	}
	rt, err := clienttransport.New(&c.Config)
	if err != nil {
		return nil, err
	}
	return wrap(c, rt)
}

// wrap adds this server's own round trippers to rt.
func wrap(c *Config, rt http.RoundTripper) (http.RoundTripper, error) {
	if c.TokenFile != "" && (c.BearerToken != "" || c.HasBasicAuth()) {
		return nil, fmt.Errorf("a token file and another credential are both given")
	}
	if c.TokenFile != "" {
		if _, err := os.Stat(c.TokenFile); err != nil {
			return nil, fmt.Errorf("token file: %w", err)
		}
		rt = &tokenFile{path: c.TokenFile, next: rt}
	}
	if c.RequestHeader != nil {
		rt = &requestHeader{config: *c.RequestHeader, next: rt}
	}
	return rt, nil
}

// tokenFile adds the token of a file, read again when its modification
// time or size changes.
type tokenFile struct {
	path string
	next http.RoundTripper

	mu      sync.Mutex
	token   string
	modTime time.Time
	size    int64
}

func (t *tokenFile) current() (string, error) {
	info, err := os.Stat(t.path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && info.ModTime().Equal(t.modTime) && info.Size() == t.size {
		return t.token, nil
	}
	data, err := os.ReadFile(t.path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	t.token, t.modTime, t.size = string(trimSpace(data)), info.ModTime(), info.Size()
	return t.token, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

func (t *tokenFile) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "" {
		return t.next.RoundTrip(req)
	}
	token, err := t.current()
	if err != nil {
		return nil, err
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+token)
	return t.next.RoundTrip(req)
}

// WrappedRoundTripper lets client-go's debugging see through the wrapper.
func (t *tokenFile) WrappedRoundTripper() http.RoundTripper { return t.next }

// RequestHeader names the headers of the caller's identity (kube-apiserver's
// --requestheader-username-headers, -group-headers and
// -extra-headers-prefix; the first of each is written) and says how to
// find the caller of a request.
type RequestHeader struct {
	UsernameHeader, GroupHeader, ExtraHeaderPrefix string
	// User returns the caller of the request being sent, if any.
	User func(*http.Request) (*user.Info, bool)
}

// requestHeader writes the caller's identity, replacing whatever headers
// of those names the request carried.
type requestHeader struct {
	config RequestHeader
	next   http.RoundTripper
}

func (r *requestHeader) RoundTrip(req *http.Request) (*http.Response, error) {
	u, ok := r.config.User(req)
	if !ok || u == nil {
		return r.next.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	c := r.config
	req.Header.Del(c.UsernameHeader)
	req.Header.Del(c.GroupHeader)
	for k := range req.Header {
		if len(k) >= len(c.ExtraHeaderPrefix) && http.CanonicalHeaderKey(k[:len(c.ExtraHeaderPrefix)]) == http.CanonicalHeaderKey(c.ExtraHeaderPrefix) {
			req.Header.Del(k)
		}
	}
	req.Header.Set(c.UsernameHeader, u.Name)
	for _, g := range u.Groups {
		req.Header.Add(c.GroupHeader, g)
	}
	for k, vs := range u.Extra {
		for _, v := range vs {
			// Keys are percent-encoded, as kube's aggregator encodes them.
			req.Header.Add(c.ExtraHeaderPrefix+url.PathEscape(k), v)
		}
	}
	return r.next.RoundTrip(req)
}

// WrappedRoundTripper lets client-go's debugging see through the wrapper.
func (r *requestHeader) WrappedRoundTripper() http.RoundTripper { return r.next }
