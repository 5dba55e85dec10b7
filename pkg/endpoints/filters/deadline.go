package filters

import (
	"context"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
)

// writeGrace is how long after its deadline a request may still write: the
// handler's own timeout answer (a 504 Status) must get out.
const writeGrace = time.Second

// WithRequestDeadline bounds reading the body and writing the answer of
// every request that is not long-running by timeout (--request-timeout), on
// the connection itself: a client that sends its body slowly, or stops
// reading the answer (an HTTP/2 stream with a zero flow-control window),
// is cut off at the deadline and the request's memory released, where the
// handler's context alone would leave it blocked in a write.
func WithRequestDeadline(h http.Handler, timeout time.Duration) http.Handler {
	if timeout <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := request.RequestInfoFrom(r.Context())
		if LongRunning(info) {
			h.ServeHTTP(w, r)
			return
		}
		// A client may ask for less time (?timeout=10s), as kube-apiserver
		// lets it; more, or 0, is the server's timeout.
		limit := timeout
		if param := r.URL.Query().Get("timeout"); param != "" {
			asked, err := time.ParseDuration(param)
			if err != nil {
				responsewriters.WriteError(w, r, apierrors.NewBadRequest("invalid timeout specified in the request URL - "+err.Error()))
				return
			}
			if asked > 0 && asked < timeout {
				limit = asked
				ctx, cancel := context.WithTimeout(r.Context(), asked)
				defer cancel()
				r = r.WithContext(ctx)
			}
		}
		rc := http.NewResponseController(w)
		deadline := time.Now().Add(limit)
		// Errors mean the connection cannot bound its I/O (a test
		// recorder); the handler's context still ends at the deadline.
		_ = rc.SetReadDeadline(deadline)
		_ = rc.SetWriteDeadline(deadline.Add(writeGrace))
		defer func() {
			// On HTTP/1.1 the deadlines are the connection's: the next
			// request on it must not inherit them.
			_ = rc.SetReadDeadline(time.Time{})
			_ = rc.SetWriteDeadline(time.Time{})
		}()
		h.ServeHTTP(w, r)
	})
}
