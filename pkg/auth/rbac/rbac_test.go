package rbac

import (
	"context"
	"fmt"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/user"
)

func TestRuleAllows(t *testing.T) {
	res := func(verb, group, resource, sub, name string) authz.Attributes {
		return authz.Attributes{Verb: verb, IsResourceRequest: true, APIGroup: group, Resource: resource, Subresource: sub, Name: name}
	}
	path := func(verb, p string) authz.Attributes { return authz.Attributes{Verb: verb, Path: p} }
	rule := func(verbs, groups, resources, names []string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
	}
	s := func(v ...string) []string { return v }
	for _, tc := range []struct {
		name  string
		attrs authz.Attributes
		rule  rbacv1.PolicyRule
		want  bool
	}{
		{"exact", res("get", "", "pods", "", "p"), rule(s("get"), s(""), s("pods"), nil), true},
		{"other verb", res("delete", "", "pods", "", "p"), rule(s("get"), s(""), s("pods"), nil), false},
		{"other group", res("get", "apps", "pods", "", "p"), rule(s("get"), s(""), s("pods"), nil), false},
		{"wildcards", res("patch", "apps", "deployments", "scale", "d"), rule(s("*"), s("*"), s("*"), nil), true},
		{"a resource does not cover its subresources", res("get", "", "pods", "log", "p"), rule(s("get"), s(""), s("pods"), nil), false},
		{"subresource", res("get", "", "pods", "log", "p"), rule(s("get"), s(""), s("pods/log"), nil), true},
		{"any resource's subresource", res("update", "apps", "deployments", "scale", "d"), rule(s("update"), s("apps"), s("*/scale"), nil), true},
		{"named", res("get", "", "configmaps", "", "a"), rule(s("get"), s(""), s("configmaps"), s("a")), true},
		{"another name", res("get", "", "configmaps", "", "b"), rule(s("get"), s(""), s("configmaps"), s("a")), false},
		{"names never cover a list", res("list", "", "configmaps", "", ""), rule(s("list"), s(""), s("configmaps"), s("a")), false},
		{"url", path("get", "/healthz"), rbacv1.PolicyRule{Verbs: s("get"), NonResourceURLs: s("/healthz")}, true},
		{"url prefix", path("get", "/apis/apps/v1"), rbacv1.PolicyRule{Verbs: s("get"), NonResourceURLs: s("/apis/*")}, true},
		{"url not a prefix", path("get", "/apis"), rbacv1.PolicyRule{Verbs: s("get"), NonResourceURLs: s("/apis/*")}, false},
		{"any url", path("post", "/x"), rbacv1.PolicyRule{Verbs: s("*"), NonResourceURLs: s("*")}, true},
		{"a resource rule does not cover urls", path("get", "/healthz"), rule(s("*"), s("*"), s("*"), nil), false},
	} {
		if got := RuleAllows(tc.attrs, &tc.rule); got != tc.want {
			t.Errorf("%s: RuleAllows = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAuthorize(t *testing.T) {
	a := New()
	add := func(store interface{ Add(any) error }, obj any) {
		if err := store.Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range BootstrapRoles() {
		add(a.clusterRoles, r)
	}
	for _, b := range BootstrapBindings() {
		add(a.clusterBindings, b)
	}
	add(a.roles, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "reader"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}})
	add(a.bindings, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "readers"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "reader"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"}, {Kind: "ServiceAccount", Name: "bot"}}})

	alice := &user.Info{Name: "alice", Groups: []string{user.AllAuthenticated}}
	bot := &user.Info{Name: "system:serviceaccount:team:bot", Groups: []string{user.AllAuthenticated}}
	anonymous := &user.Info{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}
	admin := &user.Info{Name: "root", Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}}
	list := func(u *user.Info, ns string) authz.Attributes {
		return authz.Attributes{User: u, Verb: "list", IsResourceRequest: true, Resource: "configmaps", Namespace: ns}
	}
	get := func(u *user.Info, p string) authz.Attributes { return authz.Attributes{User: u, Verb: "get", Path: p} }
	if d, reason, _ := a.Authorize(context.Background(), list(alice, "team")); d != authz.DecisionNoOpinion || reason == "" {
		t.Errorf("before the objects are read: %v %q, want no opinion and a reason", d, reason)
	}
	a.synced.Store(true)
	for _, tc := range []struct {
		name  string
		attrs authz.Attributes
		want  authz.Decision
	}{
		{"alice in her namespace", list(alice, "team"), authz.DecisionAllow},
		{"alice elsewhere", list(alice, "other"), authz.DecisionNoOpinion},
		{"alice at the cluster scope", list(alice, ""), authz.DecisionNoOpinion},
		{"the bound service account", list(bot, "team"), authz.DecisionAllow},
		{"the superusers' cluster-admin", list(admin, "other"), authz.DecisionAllow},
		{"discovery", get(alice, "/apis/apps"), authz.DecisionAllow},
		{"public info for anonymous", get(anonymous, "/healthz"), authz.DecisionAllow},
		{"no discovery for anonymous", get(anonymous, "/api"), authz.DecisionNoOpinion},
		{"no metrics for users", get(alice, "/metrics"), authz.DecisionNoOpinion},
	} {
		if d, _, err := a.Authorize(context.Background(), tc.attrs); d != tc.want || err != nil {
			t.Errorf("%s: %v, %v; want %v", tc.name, d, err, tc.want)
		}
	}
	// The rules alice holds in team: her Role's, and the bootstrap ones
	// of system:authenticated.
	rules, incomplete := a.RulesFor(context.Background(), alice, "team")
	if incomplete || len(rules) < 2 || !containsRule(rules, rbacv1.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}) {
		t.Errorf("RulesFor(alice, team) = %v, %v", rules, incomplete)
	}
	if rules, _ := a.RulesFor(context.Background(), alice, "other"); containsRule(rules, rbacv1.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}) {
		t.Error("alice's Role in team is listed in another namespace")
	}
}

func TestUnionOfModes(t *testing.T) {
	alice := &user.Info{Name: "alice"}
	admin := &user.Info{Name: "root", Groups: []string{user.SystemPrivilegedGroup}}
	deny := authz.Union{authz.PrivilegedGroups{user.SystemPrivilegedGroup}, authz.AlwaysDeny{}}
	if d, reason, _ := deny.Authorize(context.Background(), authz.Attributes{User: alice}); d == authz.DecisionAllow || reason != "Everything is forbidden." {
		t.Errorf("AlwaysDeny: %v %q", d, reason)
	}
	if d, _, _ := deny.Authorize(context.Background(), authz.Attributes{User: admin}); d != authz.DecisionAllow {
		t.Errorf("a superuser under AlwaysDeny: %v", d)
	}
}

func TestAggregatedRules(t *testing.T) {
	var roles []rbacv1.ClusterRole
	for _, r := range BootstrapRoles() {
		roles = append(roles, *r)
	}
	extra := rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "widgets", Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"example.com"}, Resources: []string{"widgets"}}}}
	roles = append(roles, extra)
	byName := map[string]*rbacv1.ClusterRole{}
	for i := range roles {
		byName[roles[i].Name] = &roles[i]
	}
	// As the controller converges: view, then edit from view, then admin.
	for range 3 {
		for _, name := range []string{"view", "edit", "admin"} {
			rules, err := AggregatedRules(byName[name], roles)
			if err != nil {
				t.Fatal(err)
			}
			byName[name].Rules = rules
		}
	}
	view, edit, admin := byName["view"].Rules, byName["edit"].Rules, byName["admin"].Rules
	if !containsRule(view, extra.Rules[0]) || !containsRule(edit, extra.Rules[0]) {
		t.Errorf("a role labelled for view is not in view (%d rules) and edit (%d rules)", len(view), len(edit))
	}
	for _, r := range view {
		if !containsRule(edit, r) || !containsRule(admin, r) {
			t.Errorf("view's rule %v is not in edit and admin", r)
		}
	}
	secrets := authz.Attributes{Verb: "get", IsResourceRequest: true, Resource: "secrets"}
	allows := func(rules []rbacv1.PolicyRule, a authz.Attributes) bool {
		for i := range rules {
			if RuleAllows(a, &rules[i]) {
				return true
			}
		}
		return false
	}
	if allows(view, secrets) || !allows(edit, secrets) {
		t.Error("view must not read secrets, edit must")
	}
	roleBindings := authz.Attributes{Verb: "create", IsResourceRequest: true, APIGroup: rbacv1.GroupName, Resource: "rolebindings"}
	if allows(edit, roleBindings) || !allows(admin, roleBindings) {
		t.Error("only admin may bind roles")
	}
}

// BenchmarkAuthorize: a decision for a user allowed by one RoleBinding
// among 1,000 of its namespace, and for one allowed by none, costs what it
// would with one binding: the bindings are indexed by subject.
func BenchmarkAuthorize(b *testing.B) {
	a := New()
	for _, r := range BootstrapRoles() {
		a.clusterRoles.Add(r) //nolint:errcheck // an indexer without a failing index
	}
	for _, cb := range BootstrapBindings() {
		a.clusterBindings.Add(cb) //nolint:errcheck // as above
	}
	a.clusterRoles.Add(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "edit"}, //nolint:errcheck // as above
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "list", "create"}, APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}}}})
	for i := range 1000 {
		name := fmt.Sprintf("user-%d", i)
		a.bindings.Add(&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: name}, //nolint:errcheck // as above
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
			Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: name}}})
	}
	a.synced.Store(true)
	for _, tc := range []struct {
		name string
		user string
		want authz.Decision
	}{{"allowed", "user-999", authz.DecisionAllow}, {"refused", "nobody", authz.DecisionNoOpinion}} {
		attrs := authz.Attributes{User: &user.Info{Name: tc.user, Groups: []string{user.AllAuthenticated}}, Verb: "get", IsResourceRequest: true, Resource: "configmaps", Namespace: "bench", Name: "x"}
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if d, _, _ := a.Authorize(context.Background(), attrs); d != tc.want {
					b.Fatalf("decision %v", d)
				}
			}
		})
	}
}
