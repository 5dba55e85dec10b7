package filters

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
)

// TestMaxInFlightLimit fills the limits with requests held in the handler,
// then checks who else gets through: another request of a full kind gets
// kube-apiserver's 429; the other kind, watches, probes and administrators
// do not.
func TestMaxInFlightLimit(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 16)
	held := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Hold") != "" {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusOK)
	})
	counts := &InFlight{}
	h := WithRequestInfo(withUser(WithMaxInFlightLimit(held, 2, 1, counts)))

	send := func(method, path, group string, hold bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		r.Header.Set("X-Group", group)
		if hold {
			r.Header.Set("X-Hold", "1")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	const cms = "/api/v1/namespaces/default/configmaps"
	var wg sync.WaitGroup
	for _, req := range []struct{ method, path string }{{"GET", cms}, {"GET", cms + "/a"}, {"POST", cms}} {
		wg.Go(func() {
			if w := send(req.method, req.path, "devs", true); w.Code != http.StatusOK {
				t.Errorf("held %s %s = %d", req.method, req.path, w.Code)
			}
		})
	}
	for range 3 {
		<-entered
	}
	if counts.ReadOnly.Load() != 2 || counts.Mutating.Load() != 1 {
		t.Errorf("in flight: %d read-only, %d mutating; want 2 and 1", counts.ReadOnly.Load(), counts.Mutating.Load())
	}

	tests := []struct {
		name, method, path, group string
		want                      int
	}{
		{"another read", "GET", cms, "devs", http.StatusTooManyRequests},
		{"another write", "DELETE", cms + "/a", "devs", http.StatusTooManyRequests},
		{"a watch", "GET", cms + "?watch=true", "devs", http.StatusOK},
		{"a probe", "GET", "/readyz", "", http.StatusOK},
		{"a probe's check", "GET", "/livez/ping", "", http.StatusOK},
		{"an administrator", "GET", cms, user.SystemPrivilegedGroup, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := send(tt.method, tt.path, tt.group, false)
			if w.Code != tt.want {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, w.Code, tt.want)
			}
			if tt.want != http.StatusTooManyRequests {
				return
			}
			if got := w.Header().Get("Retry-After"); got != "1" {
				t.Errorf("Retry-After = %q, want 1", got)
			}
			var st metav1.Status
			if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
				t.Fatal(err)
			}
			if st.Kind != "Status" || st.Reason != metav1.StatusReasonTooManyRequests || st.Code != 429 || st.Details == nil || st.Details.RetryAfterSeconds != 1 {
				t.Errorf("status = %+v", st)
			}
		})
	}
	close(release)
	wg.Wait()
	if counts.ReadOnly.Load() != 0 || counts.Mutating.Load() != 0 {
		t.Errorf("in flight after: %d, %d", counts.ReadOnly.Load(), counts.Mutating.Load())
	}
	if w := send("GET", cms, "devs", false); w.Code != http.StatusOK {
		t.Errorf("after the held requests ended: %d", w.Code)
	}
}

// TestMaxInFlightNoLimit: 0 limits nothing.
func TestMaxInFlightNoLimit(t *testing.T) {
	h := WithRequestInfo(WithMaxInFlightLimit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), 0, 0, nil))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/namespaces", nil))
	if w.Code != http.StatusOK {
		t.Errorf("code = %d", w.Code)
	}
}

// withUser puts a user of the X-Group header's group in the context, as
// authentication would.
func withUser(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := &user.Info{Name: "someone", Groups: []string{r.Header.Get("X-Group"), user.AllAuthenticated}}
		h.ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), u)))
	})
}
