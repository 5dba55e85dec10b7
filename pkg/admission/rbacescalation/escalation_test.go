package rbacescalation

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/rbac"
	"github.com/apiserver/apiserver/pkg/auth/user"
)

// holds allows what its rules allow, in namespace "ns" only.
type holds []rbacv1.PolicyRule

func (h holds) Authorize(_ context.Context, a authz.Attributes) (authz.Decision, string, error) {
	if a.IsResourceRequest && a.Namespace != "ns" {
		return authz.DecisionNoOpinion, "", nil
	}
	for i := range h {
		if rbac.RuleAllows(a, &h[i]) {
			return authz.DecisionAllow, "", nil
		}
	}
	return authz.DecisionNoOpinion, "", nil
}

func TestValidate(t *testing.T) {
	readCM := rbacv1.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}
	readSecrets := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}}
	roles := map[string][]rbacv1.PolicyRule{"ns/cm": {readCM}, "/secrets": {readSecrets}}
	getter := func(_ context.Context, _, ns, name string) ([]rbacv1.PolicyRule, error) {
		if r, ok := roles[ns+"/"+name]; ok {
			return r, nil
		}
		return nil, apierrors.NewNotFound(rbacv1.Resource("roles"), name)
	}
	alice := &user.Info{Name: "alice", Groups: []string{"devs"}}
	binder := holds{readCM, {Verbs: []string{"bind"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, ResourceNames: []string{"secrets"}}}
	for _, tc := range []struct {
		name  string
		holds holds
		obj   runtime.Object
		ns    string
		want  string // "" for admitted
	}{
		{"a role with held rules", holds{readCM}, &rbacv1.Role{Rules: []rbacv1.PolicyRule{readCM}}, "ns", ""},
		{"a role with more", holds{readCM}, &rbacv1.Role{Rules: []rbacv1.PolicyRule{readCM, readSecrets}}, "ns",
			`user "alice" (groups=["devs"]) is attempting to grant RBAC permissions not currently held:` + "\n" + `{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`},
		{"a wildcard needs the wildcard", holds{readCM}, &rbacv1.Role{Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}}, "ns", "not currently held"},
		{"escalate", holds{{Verbs: []string{"escalate"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"roles"}}}, &rbacv1.Role{Rules: []rbacv1.PolicyRule{readSecrets}}, "ns", ""},
		{"a binding to a held role", holds{readCM}, &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "cm"}}, "ns", ""},
		{"a binding to more", holds{readCM}, &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "secrets"}}, "ns", "not currently held"},
		{"bind", binder, &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "secrets"}}, "ns", ""},
		{"a binding to a missing role", holds{readCM}, &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "none"}}, "ns", "does not exist"},
		{"an aggregation rule", holds{readCM}, &rbacv1.ClusterRole{AggregationRule: &rbacv1.AggregationRule{}}, "", "must have cluster-admin privileges to use the aggregationRule"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resource string
			switch tc.obj.(type) {
			case *rbacv1.Role:
				resource = "roles"
			case *rbacv1.ClusterRole:
				resource = "clusterroles"
			case *rbacv1.RoleBinding:
				resource = "rolebindings"
			}
			p := Plugin{Authorizer: tc.holds, Rules: getter}
			err := p.Validate(context.Background(), &admission.Attributes{Operation: admission.Create, Resource: rbacv1.SchemeGroupVersion.WithResource(resource),
				Namespace: tc.ns, Name: "x", Object: tc.obj, User: alice})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (!apierrors.IsForbidden(err) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want a 403 with %q", err, tc.want)
			}
		})
	}
	// The server's own writes (no user) are not checked.
	if err := (Plugin{Authorizer: holds{}, Rules: getter}).Validate(context.Background(), &admission.Attributes{Operation: admission.Create,
		Resource: rbacv1.SchemeGroupVersion.WithResource("clusterroles"), Object: &rbacv1.ClusterRole{Rules: []rbacv1.PolicyRule{readSecrets}}}); err != nil {
		t.Errorf("the server's own write: %v", err)
	}
}
