package review

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/auth/authn"
	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// onlyAlice allows alice to get secrets in ns and the path /ok.
type onlyAlice struct{}

func (onlyAlice) Authorize(_ context.Context, a authz.Attributes) (authz.Decision, string, error) {
	if a.User.Name == "alice" && ((a.Verb == "get" && a.Resource == "secrets" && a.Namespace == "ns") || a.Path == "/ok") {
		return authz.DecisionAllow, "", nil
	}
	return authz.DecisionNoOpinion, "no", nil
}

func storage(t *testing.T, resource string) rest.Creater {
	for _, r := range Resources(onlyAlice{}, tokens{}, []string{"api"}) {
		if r.Info.Resource == resource {
			return r.Storage.(rest.Creater)
		}
	}
	t.Fatalf("no %s", resource)
	return nil
}

func TestReviews(t *testing.T) {
	alice := request.WithUser(context.Background(), &user.Info{Name: "alice", UID: "1", Groups: []string{"devs"}})
	get := func(ns string) *authorizationv1.ResourceAttributes {
		return &authorizationv1.ResourceAttributes{Verb: "get", Resource: "secrets", Namespace: ns}
	}
	for _, tc := range []struct {
		name, resource, ns string
		obj                runtime.Object
		allowed            bool
		invalid            string
	}{
		{"self, allowed", "selfsubjectaccessreviews", "", &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: get("ns")}}, true, ""},
		{"self, elsewhere", "selfsubjectaccessreviews", "", &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: get("other")}}, false, ""},
		{"self, a path", "selfsubjectaccessreviews", "", &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/ok", Verb: "get"}}}, true, ""},
		{"self, no attributes", "selfsubjectaccessreviews", "", &authorizationv1.SelfSubjectAccessReview{}, false,
			"spec.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified"},
		{"about alice", "subjectaccessreviews", "", &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: get("ns")}}, true, ""},
		{"about bob", "subjectaccessreviews", "", &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "bob", ResourceAttributes: get("ns")}}, false, ""},
		{"about nobody", "subjectaccessreviews", "", &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: get("ns")}}, false,
			"at least one of user or group must be specified"},
		{"local", "localsubjectaccessreviews", "ns", &authorizationv1.LocalSubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: get("ns")}}, true, ""},
		{"local, another namespace", "localsubjectaccessreviews", "ns", &authorizationv1.LocalSubjectAccessReview{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: get("other")}}, false,
			"spec.resourceAttributes.namespace: Invalid value: \"other\": must match metadata.namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := storage(t, tc.resource).Create(alice, tc.ns, tc.obj.DeepCopyObject(), false)
			if tc.invalid != "" {
				if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.invalid) {
					t.Fatalf("err = %v, want invalid with %q", err, tc.invalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var status authorizationv1.SubjectAccessReviewStatus
			switch r := out.(type) {
			case *authorizationv1.SelfSubjectAccessReview:
				status = r.Status
			case *authorizationv1.SubjectAccessReview:
				status = r.Status
			case *authorizationv1.LocalSubjectAccessReview:
				status = r.Status
			}
			if status.Allowed != tc.allowed {
				t.Errorf("allowed = %v, want %v (%+v)", status.Allowed, tc.allowed, status)
			}
		})
	}
}

func TestSelfSubjectReview(t *testing.T) {
	ctx := request.WithUser(context.Background(), &user.Info{Name: "alice", UID: "1", Groups: []string{"devs"}, Extra: map[string][]string{"k": {"v"}}})
	out, err := storage(t, "selfsubjectreviews").Create(ctx, "", &authenticationv1.SelfSubjectReview{}, false)
	if err != nil {
		t.Fatal(err)
	}
	u := out.(*authenticationv1.SelfSubjectReview).Status.UserInfo
	if u.Username != "alice" || u.UID != "1" || len(u.Groups) != 1 || u.Extra["k"][0] != "v" {
		t.Errorf("user info = %+v", u)
	}
}

// rulesOf lists fixed rules.
type rulesOf struct{ onlyAlice }

func (rulesOf) RulesFor(context.Context, *user.Info, string) ([]rbacv1.PolicyRule, bool) {
	return []rbacv1.PolicyRule{
		{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}},
		{Verbs: []string{"get"}, NonResourceURLs: []string{"/ok"}},
	}, false
}

func TestSelfSubjectRulesReview(t *testing.T) {
	ctx := request.WithUser(context.Background(), &user.Info{Name: "alice"})
	for _, tc := range []struct {
		name       string
		a          authz.Authorizer
		incomplete bool
		resource   int
	}{
		{"listed", rulesOf{}, false, 1},
		{"an authorizer that cannot list", onlyAlice{}, true, 0},
	} {
		var s rest.Creater
		for _, r := range Resources(tc.a, nil, nil) {
			if r.Info.Resource == "selfsubjectrulesreviews" {
				s = r.Storage.(rest.Creater)
			}
		}
		out, err := s.Create(ctx, "", &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "ns"}}, false)
		if err != nil {
			t.Fatal(err)
		}
		st := out.(*authorizationv1.SelfSubjectRulesReview).Status
		if st.Incomplete != tc.incomplete || len(st.ResourceRules) != tc.resource {
			t.Errorf("%s: %+v", tc.name, st)
		}
	}
}

// tokens knows "alice-token" (no audience, as a token file's) and
// "sa-token", of a service account, for audience "vault" only.
type tokens struct{}

func (tokens) AuthenticateToken(ctx context.Context, token string) (*user.Info, bool, error) {
	switch token {
	case "alice-token":
		return &user.Info{Name: "alice", UID: "1", Groups: []string{"devs"}}, true, nil
	case "sa-token":
		if auds, _ := authn.AudiencesFrom(ctx); !slices.Contains(auds, "vault") {
			return nil, false, errors.New("token audiences are not accepted")
		}
		return &user.Info{Name: "system:serviceaccount:ns:bot"}, true, nil
	}
	return nil, false, nil
}

func TestTokenReview(t *testing.T) {
	s := storage(t, "tokenreviews")
	for _, tc := range []struct {
		name, token string
		audiences   []string
		want        authenticationv1.TokenReviewStatus
	}{
		{"a token of the API", "alice-token", nil, authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: []string{"api"},
			User: authenticationv1.UserInfo{Username: "alice", UID: "1", Groups: []string{"devs", "system:authenticated"}}}},
		{"a token of the API, for another audience", "alice-token", []string{"vault"}, authenticationv1.TokenReviewStatus{Error: "invalid bearer token"}},
		{"a service account's, for its audience", "sa-token", []string{"vault"}, authenticationv1.TokenReviewStatus{Authenticated: true, Audiences: []string{"vault"},
			User: authenticationv1.UserInfo{Username: "system:serviceaccount:ns:bot", Groups: []string{"system:authenticated"}}}},
		{"a service account's, for the API", "sa-token", nil, authenticationv1.TokenReviewStatus{Error: "token audiences are not accepted"}},
		{"unknown", "nope", nil, authenticationv1.TokenReviewStatus{Error: "invalid bearer token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.Create(context.Background(), "", &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: tc.token, Audiences: tc.audiences}}, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := out.(*authenticationv1.TokenReview).Status; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("status = %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := s.Create(context.Background(), "", &authenticationv1.TokenReview{}, false); err == nil || !strings.Contains(err.Error(), "spec.token: Required value") {
		t.Errorf("a review without a token: %v", err)
	}
}
