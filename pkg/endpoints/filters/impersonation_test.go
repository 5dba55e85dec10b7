package filters

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
)

// mayImpersonate lets its user impersonate the names it lists, by resource.
type mayImpersonate map[string][]string

func (m mayImpersonate) Authorize(_ context.Context, a authz.Attributes) (authz.Decision, string, error) {
	key := a.Resource
	if a.Subresource != "" {
		key += "/" + a.Subresource
	}
	if a.Verb == "impersonate" && slices.Contains(m[key], a.Name) {
		return authz.DecisionAllow, "", nil
	}
	return authz.DecisionNoOpinion, "", nil
}

func TestWithImpersonation(t *testing.T) {
	a := mayImpersonate{"users": {"alice"}, "groups": {"devs"}, "serviceaccounts": {"bot"}, "uids": {"42"}, "userextras/scopes": {"view"}}
	var got *user.Info
	h := WithImpersonation(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = request.UserFrom(r.Context())
		if r.Header.Get(impersonateUser) != "" {
			t.Error("the impersonation headers went on")
		}
	}), a)
	for _, tc := range []struct {
		name    string
		headers map[string][]string
		code    int
		want    string // the user as "name groups", or the answer's message
	}{
		{"none", nil, 200, "bob [system:authenticated]"},
		{"a user", map[string][]string{"Impersonate-User": {"alice"}}, 200, "alice [system:authenticated]"},
		{"a user and a group", map[string][]string{"Impersonate-User": {"alice"}, "Impersonate-Group": {"devs"}}, 200, "alice [devs system:authenticated]"},
		{"a service account", map[string][]string{"Impersonate-User": {"system:serviceaccount:team:bot"}}, 200,
			"system:serviceaccount:team:bot [system:serviceaccounts system:serviceaccounts:team system:authenticated]"},
		{"uid and extra", map[string][]string{"Impersonate-User": {"alice"}, "Impersonate-Uid": {"42"}, "Impersonate-Extra-Scopes": {"view"}}, 200, "alice [system:authenticated]"},
		{"another user", map[string][]string{"Impersonate-User": {"root"}}, 403,
			`users "root" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope`},
		{"another group", map[string][]string{"Impersonate-User": {"alice"}, "Impersonate-Group": {"system:masters"}}, 403,
			`groups "system:masters" is forbidden: User "bob" cannot impersonate resource "groups"`},
		{"another extra", map[string][]string{"Impersonate-User": {"alice"}, "Impersonate-Extra-Scopes": {"admin"}}, 403,
			`cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io"`},
		{"a group without a user", map[string][]string{"Impersonate-Group": {"devs"}}, 400, "requires impersonating a user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			req := httptest.NewRequest("GET", "/api/v1/namespaces/default/configmaps", nil)
			for k, vs := range tc.headers {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			req = req.WithContext(request.WithUser(req.Context(), &user.Info{Name: "bob", Groups: []string{user.AllAuthenticated}}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Fatalf("code = %d %s, want %d", rec.Code, rec.Body, tc.code)
			}
			if tc.code != 200 {
				var status struct{ Message string }
				if err := json.Unmarshal(rec.Body.Bytes(), &status); err != nil || !strings.Contains(status.Message, tc.want) {
					t.Errorf("answer %s, want a message with %q", rec.Body, tc.want)
				}
				return
			}
			if s := got.Name + " [" + strings.Join(got.Groups, " ") + "]"; s != tc.want {
				t.Errorf("user = %s, want %s", s, tc.want)
			}
		})
	}
}
