package filters

import (
	"net/http"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/apiserver/apiserver/pkg/metrics"
)

// sample returns the value of the counter or histogram count name with
// exactly labels, 0 when there is none.
func sample(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return value(m)
		}
	}
	return 0
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return 0
}

// TestRequestMetrics: each request is counted once under kube-apiserver's
// labels, with the code it got, a panic as 500, and long-running requests
// are counted while they last.
func TestRequestMetrics(t *testing.T) {
	const group = "monitor.example.com"
	var inWatch float64
	h := WithRequestInfo(withPanicTo500(WithRequestMetricsAndLog(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("do") {
		case "panic":
			panic("boom")
		case "conflict":
			w.WriteHeader(http.StatusConflict)
		}
		if r.URL.Query().Get("watch") != "" {
			inWatch = sample(t, "apiserver_longrunning_requests", map[string]string{
				"verb": "WATCH", "dry_run": "", "group": group, "version": "v1", "resource": "widgets", "subresource": "", "scope": "namespace", "component": "apiserver",
			})
		}
		_, _ = w.Write([]byte("hello"))
	}))))
	base := "/apis/" + group + "/v1/namespaces/ns/widgets"
	tests := []struct {
		method, path, contentType string
		labels                    map[string]string
	}{
		{"GET", base, "", map[string]string{"verb": "LIST", "scope": "namespace", "code": "200"}},
		{"GET", base + "/w", "", map[string]string{"verb": "GET", "scope": "resource", "code": "200"}},
		{"PUT", base + "/w?do=conflict", "", map[string]string{"verb": "PUT", "scope": "resource", "code": "409"}},
		{"PATCH", base + "/w", "application/apply-patch+yaml", map[string]string{"verb": "APPLY", "scope": "resource", "code": "200"}},
		{"POST", base + "?dryRun=All", "", map[string]string{"verb": "POST", "scope": "namespace", "code": "200", "dry_run": "All"}},
		{"DELETE", base + "/w?do=panic", "", map[string]string{"verb": "DELETE", "scope": "resource", "code": "500"}},
		{"GET", base + "?watch=true", "", map[string]string{"verb": "WATCH", "scope": "namespace", "code": "200"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			labels := map[string]string{"dry_run": "", "group": group, "version": "v1", "resource": "widgets", "subresource": "", "component": "apiserver"}
			for k, v := range tt.labels {
				labels[k] = v
			}
			before := sample(t, "apiserver_request_total", labels)
			r := httptest.NewRequest(tt.method, tt.path, nil)
			r.Header.Set("Content-Type", tt.contentType)
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got := sample(t, "apiserver_request_total", labels) - before; got != 1 {
				t.Errorf("apiserver_request_total%v grew by %v, want 1", labels, got)
			}
			delete(labels, "code")
			if sample(t, "apiserver_request_duration_seconds", labels) == 0 || sample(t, "apiserver_response_sizes", labels) == 0 {
				t.Errorf("no duration or size recorded for %v", labels)
			}
		})
	}
	if inWatch != 1 {
		t.Errorf("apiserver_longrunning_requests during the watch = %v, want 1", inWatch)
	}
	if after := sample(t, "apiserver_longrunning_requests", map[string]string{
		"verb": "WATCH", "dry_run": "", "group": group, "version": "v1", "resource": "widgets", "subresource": "", "scope": "namespace", "component": "apiserver",
	}); after != 0 {
		t.Errorf("apiserver_longrunning_requests after the watch = %v", after)
	}
	// Paths outside the API are labelled by their first segment only.
	before := sample(t, "apiserver_request_total", map[string]string{"verb": "GET", "dry_run": "", "group": "", "version": "", "resource": "", "subresource": "/made-up", "scope": "", "component": "apiserver", "code": "200"})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/made-up/a/b/c", nil))
	if got := sample(t, "apiserver_request_total", map[string]string{"verb": "GET", "dry_run": "", "group": "", "version": "", "resource": "", "subresource": "/made-up", "scope": "", "component": "apiserver", "code": "200"}) - before; got != 1 {
		t.Errorf("non-resource request counted %v times", got)
	}
}

// withPanicTo500 stands for the server's panic recovery.
func withPanicTo500(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if recover() != nil {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(w, r)
	})
}
