package filters

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apiserver/apiserver/pkg/audit"
	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
)

// events collects what the audit filter records.
type events struct {
	mu  sync.Mutex
	all []audit.Event
}

func (e *events) Process(ev *audit.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, *ev)
}

func (e *events) take() []audit.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.all
	e.all = nil
	return out
}

// noSecrets allows everything but secrets.
type noSecrets struct{}

func (noSecrets) Authorize(_ context.Context, a authz.Attributes) (authz.Decision, string, error) {
	if a.Resource == "secrets" {
		return authz.DecisionNoOpinion, "", nil
	}
	return authz.DecisionAllow, "", nil
}

func TestWithAudit(t *testing.T) {
	policy := &audit.Policy{Rules: []audit.PolicyRule{
		{Level: audit.LevelNone, NonResourceURLs: []string{"/healthz"}},
		{Level: audit.LevelMetadata, Resources: []audit.GroupResources{{Resources: []string{"secrets"}}}},
		{Level: audit.LevelRequest, Verbs: []string{"update"}},
		{Level: audit.LevelRequestResponse, Namespaces: []string{"full"}, OmitManagedFields: ptrTo(true)},
		{Level: audit.LevelMetadata, OmitStages: []audit.Stage{audit.StageRequestReceived}},
	}}
	sink := &events{}
	var handler http.HandlerFunc = func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.RawQuery, "watch=true"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			w.Write([]byte(`{"type":"ADDED"}`)) //nolint:errcheck // test
		case strings.HasSuffix(r.URL.Path, "/boom"):
			panic("boom")
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(201)
			w.Write([]byte(`{"kind":"ConfigMap","metadata":{"name":"c","managedFields":[{"manager":"x"}]}}`)) //nolint:errcheck // test
		}
	}
	h := WithRequestInfo(asBob(WithAudit(WithImpersonation(WithAuthorization(handler, noSecrets{}), noSecrets{}), policy, sink)))
	body := `{"kind":"ConfigMap","metadata":{"name":"c","managedFields":[{"manager":"x"}]},"data":{"k":"v"}}`
	for _, tc := range []struct {
		name, method, path, body string
		headers                  map[string]string
		want                     []string // per event: stage level code
		check                    func(t *testing.T, evs []audit.Event)
	}{
		{name: "not audited", method: "GET", path: "/healthz"},
		{name: "a secret, refused, at Metadata", method: "GET", path: "/api/v1/namespaces/ns/secrets/s",
			want: []string{"RequestReceived Metadata 0", "ResponseComplete Metadata 403"},
			check: func(t *testing.T, evs []audit.Event) {
				e := evs[1]
				if e.ResponseStatus.Reason != "Forbidden" || !strings.Contains(e.ResponseStatus.Message, `cannot get resource "secrets"`) ||
					e.Annotations[audit.DecisionAnnotation] != "forbid" || e.ObjectRef.Resource != "secrets" || e.ObjectRef.Name != "s" || e.User.Username != "bob" {
					t.Errorf("event = %+v", e)
				}
			}},
		{name: "an update at Request", method: "PUT", path: "/api/v1/namespaces/ns/configmaps/c", body: body,
			want: []string{"RequestReceived Request 0", "ResponseComplete Request 201"},
			check: func(t *testing.T, evs []audit.Event) {
				if string(evs[1].RequestObject) != body || evs[1].ResponseObject != nil || evs[1].Annotations[audit.DecisionAnnotation] != "allow" {
					t.Errorf("event = %+v", evs[1])
				}
			}},
		{name: "a create at RequestResponse, without managedFields", method: "POST", path: "/api/v1/namespaces/full/configmaps", body: body,
			want: []string{"RequestReceived RequestResponse 0", "ResponseComplete RequestResponse 201"},
			check: func(t *testing.T, evs []audit.Event) {
				if strings.Contains(string(evs[1].RequestObject), "managedFields") || !strings.Contains(string(evs[1].RequestObject), `"data":{"k":"v"}`) ||
					string(evs[1].ResponseObject) != `{"kind":"ConfigMap","metadata":{"name":"c"}}` {
					t.Errorf("objects = %s %s", evs[1].RequestObject, evs[1].ResponseObject)
				}
			}},
		{name: "a YAML body", method: "POST", path: "/api/v1/namespaces/full/configmaps", body: "kind: ConfigMap\nmetadata: {name: why}\n",
			headers: map[string]string{"Content-Type": "application/yaml"},
			want:    []string{"RequestReceived RequestResponse 0", "ResponseComplete RequestResponse 201"},
			check: func(t *testing.T, evs []audit.Event) {
				if string(evs[1].RequestObject) != `{"kind":"ConfigMap","metadata":{"name":"why"}}` {
					t.Errorf("request object = %s", evs[1].RequestObject)
				}
			}},
		{name: "a watch starts, then completes", method: "GET", path: "/api/v1/namespaces/full/configmaps?watch=true",
			want: []string{"RequestReceived RequestResponse 0", "ResponseStarted RequestResponse 0", "ResponseComplete RequestResponse 200"},
			check: func(t *testing.T, evs []audit.Event) {
				if evs[2].ResponseObject != nil {
					t.Errorf("a watch's stream was recorded: %s", evs[2].ResponseObject)
				}
			}},
		{name: "impersonated, RequestReceived omitted", method: "GET", path: "/api/v1/namespaces/ns/configmaps",
			headers: map[string]string{"Impersonate-User": "alice"},
			want:    []string{"ResponseComplete Metadata 201"},
			check: func(t *testing.T, evs []audit.Event) {
				if evs[0].User.Username != "bob" || evs[0].ImpersonatedUser == nil || evs[0].ImpersonatedUser.Username != "alice" {
					t.Errorf("users = %+v %+v", evs[0].User, evs[0].ImpersonatedUser)
				}
			}},
		{name: "a panic", method: "GET", path: "/api/v1/namespaces/ns/configmaps/boom",
			want: []string{"Panic Metadata 500"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			func() {
				defer func() { recover() }() //nolint:errcheck // the panic case
				h.ServeHTTP(rec, req)
			}()
			evs := sink.take()
			var got []string
			for _, e := range evs {
				code := int32(0)
				if e.ResponseStatus != nil {
					code = e.ResponseStatus.Code
				}
				got = append(got, string(e.Stage)+" "+string(e.Level)+" "+itoa(code))
			}
			if strings.Join(got, "; ") != strings.Join(tc.want, "; ") {
				t.Fatalf("events = %v, want %v", got, tc.want)
			}
			if len(evs) > 0 {
				if rec.Header().Get("Audit-Id") != string(evs[0].AuditID) || evs[0].AuditID == "" || evs[0].APIVersion != "audit.k8s.io/v1" || evs[0].Kind != "Event" {
					t.Errorf("Audit-Id %q, event %+v", rec.Header().Get("Audit-Id"), evs[0])
				}
				if _, err := json.Marshal(evs[len(evs)-1]); err != nil {
					t.Errorf("event does not encode: %v", err)
				}
			} else if rec.Header().Get("Audit-Id") != "" {
				t.Error("an unaudited request got an Audit-Id")
			}
			if tc.check != nil {
				tc.check(t, evs)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// asBob authenticates every request as bob.
func asBob(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), &user.Info{Name: "bob", Groups: []string{user.AllAuthenticated}})))
	})
}
