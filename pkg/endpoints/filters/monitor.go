package filters

import (
	"context"
	"net/http"
	"strings"
	"time"

	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/metrics"
)

// WithRequestMetricsAndLog records every request in the request metrics
// (apiserver_request_total, apiserver_request_duration_seconds,
// apiserver_response_sizes, apiserver_longrunning_requests) and, at -v=3,
// logs one line for it, as kube-apiserver's httplog does: verb, URI,
// latency, user agent, user, source address and response code. It must
// run after request info, and before authentication so that refusals are
// counted too.
func WithRequestMetricsAndLog(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info, _ := request.RequestInfoFrom(r.Context())
		m := describe(r, info)
		if LongRunning(info) {
			defer metrics.LongRunningStarted(m)()
		}
		rec := &record{}
		rw := &recordingWriter{ResponseWriter: w}
		finish := func(code int) {
			took := time.Since(start)
			metrics.RecordRequest(m, code, took, rw.size)
			if v := klog.V(3); v.Enabled() {
				v.InfoS("HTTP", "verb", m.Verb, "URI", r.RequestURI, "latency", took, "userAgent", r.UserAgent(), "user", rec.user, "srcIP", r.RemoteAddr, "resp", code)
			}
		}
		defer func() {
			if v := recover(); v != nil {
				finish(http.StatusInternalServerError) // panic recovery answers 500
				panic(v)
			}
			code := rw.code
			if code == 0 {
				code = http.StatusOK
			}
			finish(code)
		}()
		h.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), recordKey{}, rec)))
	})
}

// record collects what inner filters learn of a request for its log line.
type record struct {
	user string
}

type recordKey struct{}

// noteUser records the authenticated user's name for the request's log.
func noteUser(ctx context.Context, name string) {
	if rec, ok := ctx.Value(recordKey{}).(*record); ok {
		rec.user = name
	}
}

// recordingWriter remembers the status code and counts the bytes written.
type recordingWriter struct {
	http.ResponseWriter
	code int
	size int64
}

func (w *recordingWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.size += int64(n)
	return n, err
}

// Flush passes flushes on (watches stream through them).
func (w *recordingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// metricVerbs are the verbs as kube-apiserver's metrics name them.
var metricVerbs = map[string]string{
	"get": "GET", "list": "LIST", "watch": "WATCH", "create": "POST", "update": "PUT",
	"patch": "PATCH", "delete": "DELETE", "deletecollection": "DELETE",
}

// describe labels a request for metrics. Paths outside the API are labelled
// by their first segment only, so that clients cannot make up labels.
func describe(r *http.Request, info *request.RequestInfo) metrics.Request {
	m := metrics.Request{Verb: strings.ToUpper(r.Method)}
	if info == nil || !info.IsResourceRequest {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		m.Subresource = "/" + first
		return m
	}
	if v, ok := metricVerbs[info.Verb]; ok {
		m.Verb = v
	}
	if m.Verb == "PATCH" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/apply-patch") {
		m.Verb = "APPLY"
	}
	if r.URL.Query().Get("dryRun") != "" {
		m.DryRun = "All"
	}
	m.Group, m.Version, m.Resource, m.Subresource = info.APIGroup, info.APIVersion, info.Resource, info.Subresource
	switch {
	case info.Name != "":
		m.Scope = "resource"
	case info.Namespace != "":
		m.Scope = "namespace"
	default:
		m.Scope = "cluster"
	}
	return m
}
