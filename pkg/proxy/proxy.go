// Package proxy forwards a request this server authenticated and
// authorized to a backend (a Pod, a Service's endpoint, a node, an
// aggregated API server): plain requests streamed with every write
// flushed, so that a watch through the proxy arrives event by event, and
// HTTP upgrades (SPDY/3.1, WebSocket) spliced both ways once the backend
// answered 101 with the protocol asked for. Failures are answered as
// Kubernetes Status objects; the caller's credentials for this server
// never reach the backend; redirects are kept to the backend's own host.
package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
)

// Handler proxies requests to Location. Its zero value is not usable:
// Location and Transport are required.
type Handler struct {
	// Location is the backend's scheme, host and the path the request
	// goes to; its query, when set, replaces the request's.
	Location *url.URL
	// Transport carries plain requests, over HTTP/2 where the backend
	// offers it.
	Transport http.RoundTripper
	// UpgradeTransport carries upgrade requests. An upgrade needs
	// HTTP/1.1 to the backend: nil means Transport, which must then not
	// negotiate HTTP/2.
	UpgradeTransport http.RoundTripper
	// Prefix is this server's path under which the backend's root is
	// proxied (".../services/s:80/proxy"); a redirect of the backend to
	// its own host is rewritten under it. Empty leaves such a Location
	// as the backend wrote it.
	Prefix string
	// KeepQuery forwards the request's query even when Location has one.
	KeepQuery bool
}

// callerHeaders are the caller's credentials for this server; with
// Impersonate-* (whom the caller asked to act as), they are for this
// server alone.
var callerHeaders = []string{"Authorization", "Proxy-Authorization"}

const impersonatePrefix = "Impersonate-"

// errRedirect refuses a redirect to another host than the backend's, which
// the caller's authorization for this path does not cover.
var errRedirect = errors.New("the backend redirected to another host")

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	upgrade := IsUpgrade(r)
	rt := h.Transport
	if upgrade && h.UpgradeTransport != nil {
		rt = h.UpgradeTransport
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			u := *h.Location
			if u.RawQuery == "" || h.KeepQuery {
				u.RawQuery = r.URL.RawQuery
			}
			pr.Out.URL = &u
			pr.Out.Host = u.Host
			// X-Forwarded-For, -Host and -Proto tell the backend who
			// asked; the client's own values are replaced, not trusted.
			pr.SetXForwarded()
			for _, k := range callerHeaders {
				pr.Out.Header.Del(k)
			}
			for k := range pr.Out.Header {
				if strings.HasPrefix(k, impersonatePrefix) {
					pr.Out.Header.Del(k)
				}
			}
		},
		Transport: rt,
		// Every write of the backend is flushed at once: a watch or a
		// followed log must not wait for a buffer to fill.
		FlushInterval: -1,
		// Without a pool, each response allocates a 32 KiB copy buffer:
		// most of the proxy's garbage.
		BufferPool: buffers,
		ModifyResponse: func(resp *http.Response) error {
			return h.checkRedirect(resp, upgrade)
		},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			h.writeError(w, req, err)
		},
	}
	rp.ServeHTTP(w, r)
}

// checkRedirect keeps a redirect on the backend's host, rewritten to reach
// it through this server again; others are refused. An upgrade is never
// redirected: the client's protocol switch is for this backend.
func (h *Handler) checkRedirect(resp *http.Response, upgrade bool) error {
	if resp.StatusCode < 300 || resp.StatusCode >= 400 {
		return nil
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil
	}
	if upgrade {
		return fmt.Errorf("%w: an upgrade request is not redirected", errRedirect)
	}
	target, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return fmt.Errorf("%w: Location %q does not parse: %v", errRedirect, loc, err)
	}
	if target.Host != h.Location.Host || target.Scheme != h.Location.Scheme {
		return fmt.Errorf("%w (%s)", errRedirect, target.Host)
	}
	if h.Prefix != "" {
		target.Path = strings.TrimSuffix(h.Prefix, "/") + "/" + strings.TrimPrefix(target.Path, "/")
		target.RawPath = ""
	}
	// Relative: the client follows it through this server.
	resp.Header.Set("Location", (&url.URL{Path: target.Path, RawQuery: target.RawQuery, Fragment: target.Fragment}).String())
	return nil
}

// writeError answers a failure to reach the backend as kube-apiserver does:
// 503 ServiceUnavailable, or 502 for a refused redirect.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	klog.V(2).InfoS("Proxying failed", "backend", h.Location.Redacted(), "err", err)
	if errors.Is(err, errRedirect) {
		responsewriters.WriteError(w, r, &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusBadGateway, Reason: metav1.StatusReasonUnknown,
			Message: err.Error(),
		}})
		return
	}
	responsewriters.WriteError(w, r, apierrors.NewServiceUnavailable(fmt.Sprintf("error trying to reach service: %v", err)))
}

// buffers are the copy buffers of responses, shared by every proxy.
var buffers = &bufferPool{pool: sync.Pool{New: func() any { return new([32 << 10]byte) }}}

type bufferPool struct{ pool sync.Pool }

func (b *bufferPool) Get() []byte { return b.pool.Get().(*[32 << 10]byte)[:] }
func (b *bufferPool) Put(p []byte) {
	if cap(p) == 32<<10 {
		b.pool.Put((*[32 << 10]byte)(p[:32<<10]))
	}
}

// IsUpgrade says whether r asks to switch protocols (Connection: Upgrade).
func IsUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}
