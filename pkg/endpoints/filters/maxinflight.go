package filters

import (
	"net/http"
	"slices"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
)

// longRunningSubresources stream for as long as the client wants, as
// kube-apiserver's long-running request check counts them.
var longRunningSubresources = []string{"attach", "exec", "log", "portforward", "proxy"}

// LongRunning reports whether a request may stream for long: watches, and
// the subresources that proxy a stream. They are exempt from in-flight
// limits and from the request timeout.
func LongRunning(info *request.RequestInfo) bool {
	if info == nil || !info.IsResourceRequest {
		return false
	}
	return info.Verb == "watch" || info.Verb == "proxy" || slices.Contains(longRunningSubresources, info.Subresource)
}

// readOnlyVerbs are the verbs that change nothing; every other verb counts
// against the mutating limit.
var readOnlyVerbs = []string{"get", "list", "watch"}

// InFlight counts the requests being served under the limits of
// WithMaxInFlightLimit, by kind, for metrics.
type InFlight struct {
	ReadOnly, Mutating atomic.Int64
}

// WithMaxInFlightLimit refuses, with 429 Too Many Requests and Retry-After,
// a request beyond readOnly read-only or mutating mutating requests in
// flight (0 is no limit), as kube-apiserver's --max-requests-inflight and
// --max-mutating-requests-inflight do. Long-running requests, the public
// probes and members of system:masters are never refused: an overloaded
// server still answers its health checks and its administrator. It must
// run after authentication. counts, when not nil, follows the requests in
// flight.
func WithMaxInFlightLimit(h http.Handler, readOnly, mutating int, counts *InFlight) http.Handler {
	if readOnly <= 0 && mutating <= 0 && counts == nil {
		return h
	}
	if counts == nil {
		counts = &InFlight{}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := request.RequestInfoFrom(r.Context())
		if LongRunning(info) || isPublic(r.URL.Path) || privileged(r) {
			h.ServeHTTP(w, r)
			return
		}
		limit, count := readOnly, &counts.ReadOnly
		if info != nil && !slices.Contains(readOnlyVerbs, info.Verb) {
			limit, count = mutating, &counts.Mutating
		}
		n := count.Add(1)
		defer count.Add(-1)
		if limit > 0 && n > int64(limit) {
			klog.V(3).InfoS("Too many requests in flight", "path", r.URL.Path, "limit", limit)
			w.Header().Set("Retry-After", "1")
			responsewriters.WriteError(w, r, apierrors.NewTooManyRequests("Too many requests, please try again later.", 1))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// privileged reports whether the request's user is a cluster administrator.
func privileged(r *http.Request) bool {
	u, ok := request.UserFrom(r.Context())
	return ok && slices.Contains(u.Groups, user.SystemPrivilegedGroup)
}
