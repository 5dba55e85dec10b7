package server

import (
	"fmt"
	"net/http"
	"runtime/debug"

	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/endpoints/filters"
)

// buildHandlerChain wraps the chain's mux in the filters every request
// passes. Read from the bottom: panic recovery, response headers, request
// info, metrics and the request log, I/O deadlines, authentication, audit,
// impersonation, in-flight limits, authorization, then the mux.
func buildHandlerChain(h http.Handler, c CompletedConfig) http.Handler {
	h = filters.WithAuthorization(h, c.Authorization)
	h = filters.WithMaxInFlightLimit(h, c.Limits.MaxRequestsInFlight, c.Limits.MaxMutatingRequestsInFlight, c.Limits.InFlight)
	h = filters.WithImpersonation(h, c.Authorization)
	h = filters.WithAudit(h, c.Audit.Policy, c.Audit.Sink)
	h = filters.WithAuthentication(h, c.Authentication.Authenticator, c.Authentication.Anonymous)
	h = filters.WithRequestDeadline(h, c.Lifecycle.RequestTimeout)
	h = filters.WithRequestMetricsAndLog(h)
	h = filters.WithRequestInfo(h)
	h = withCacheControl(h)
	h = withPanicRecovery(h)
	return h
}

// withCacheControl forbids caching of API answers unless a handler says
// otherwise: they hold live state and may be private.
func withCacheControl(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if w.Header().Get("Cache-Control") == "" {
			w.Header().Set("Cache-Control", "no-cache, private")
		}
		h.ServeHTTP(w, r)
	})
}

// withPanicRecovery turns a handler panic into a 500 and a log line with
// the stack, instead of a dropped connection with no trace.
func withPanicRecovery(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v) // net/http's own way to abort a response
				}
				klog.ErrorS(fmt.Errorf("panic: %v", v), "Handler panicked", "method", r.Method, "path", r.URL.Path, "stack", string(debug.Stack()))
				http.Error(w, "This request caused apiserver to panic. Look in the logs for details.", http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(w, r)
	})
}
