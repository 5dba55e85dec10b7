package rbac

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

func TestTypeInfo(t *testing.T) {
	// kube-apiserver 1.31 discovery of rbac.authorization.k8s.io/v1.
	for _, tc := range []struct {
		newType              func() rest.Type
		resource, kind, sing string
		namespaced           bool
	}{
		{RoleType, "roles", "Role", "role", true},
		{ClusterRoleType, "clusterroles", "ClusterRole", "clusterrole", false},
		{RoleBindingType, "rolebindings", "RoleBinding", "rolebinding", true},
		{ClusterRoleBindingType, "clusterrolebindings", "ClusterRoleBinding", "clusterrolebinding", false},
	} {
		info := tc.newType().Info
		if info.Resource != tc.resource || info.Group != rbacv1.GroupName || info.Kind != tc.kind || info.ListKind != tc.kind+"List" ||
			info.Singular != tc.sing || info.Namespaced != tc.namespaced || len(info.Verbs) != 8 {
			t.Errorf("%s: %+v", tc.resource, info)
		}
	}
}

var ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  runtime.Object
		want []string // one substring per expected error, in order
	}{
		{"role", &rbacv1.Role{Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}, nil},
		{"rule without verbs or resources", &rbacv1.Role{Rules: []rbacv1.PolicyRule{{}}}, []string{
			"rules[0].verbs: Required value: verbs must contain at least one value",
			"rules[0].apiGroups: Required value: resource rules must supply at least one api group",
			"rules[0].resources: Required value: resource rules must supply at least one resource",
		}},
		{"namespaced non-resource URL", &rbacv1.Role{Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}},
			[]string{`rules[0].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs`}},
		{"cluster non-resource URL", &rbacv1.ClusterRole{Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}}}, nil},
		{"both kinds of rule", &rbacv1.ClusterRole{Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/x"}, Resources: []string{"pods"}}}},
			[]string{"rules cannot apply to both regular resources and non-resource URLs"}},
		{"empty aggregation", &rbacv1.ClusterRole{AggregationRule: &rbacv1.AggregationRule{}},
			[]string{"aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"}},
		{"aggregation", &rbacv1.ClusterRole{AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
			{MatchLabels: map[string]string{"rbac.example.com/aggregate-to-view": "true"}}}}}, nil},
		{"binding", &rbacv1.RoleBinding{RoleRef: ref, Subjects: []rbacv1.Subject{
			{Kind: "User", APIGroup: rbacv1.GroupName, Name: "alice"},
			{Kind: "Group", APIGroup: rbacv1.GroupName, Name: "system:authenticated"},
			{Kind: "ServiceAccount", Name: "default"},
		}}, nil},
		{"bad roleRef", &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: "x", Kind: "Pod"}}, []string{
			`roleRef.apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"`,
			`roleRef.kind: Unsupported value: "Pod": supported values: "Role", "ClusterRole"`,
			"roleRef.name: Required value",
		}},
		{"cluster binding to a Role", &rbacv1.ClusterRoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "r"}},
			[]string{`roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"`}},
		{"bad subjects", &rbacv1.ClusterRoleBinding{RoleRef: ref, Subjects: []rbacv1.Subject{
			{Kind: "ServiceAccount", Name: "default"},
			{Kind: "User", APIGroup: "x", Name: "bob"},
			{Kind: "Robot", Name: "r2"},
		}}, []string{
			"subjects[0].namespace: Required value",
			`subjects[1].apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"`,
			`subjects[2].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s strategy
			switch tc.obj.(type) {
			case *rbacv1.Role:
				s = RoleType().Strategy.(strategy)
			case *rbacv1.ClusterRole:
				s = ClusterRoleType().Strategy.(strategy)
			case *rbacv1.RoleBinding:
				s = RoleBindingType().Strategy.(strategy)
			case *rbacv1.ClusterRoleBinding:
				s = ClusterRoleBindingType().Strategy.(strategy)
			}
			errs := s.Validate(context.Background(), tc.obj)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %d", errs, len(tc.want))
			}
			for i, want := range tc.want {
				if !strings.Contains(errs[i].Error(), want) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i].Error(), want)
				}
			}
		})
	}
}

func TestRoleRefImmutable(t *testing.T) {
	s := RoleBindingType().Strategy.(strategy)
	old := &rbacv1.RoleBinding{RoleRef: ref}
	changed := &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"}}
	errs := s.ValidateUpdate(context.Background(), changed, old)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "roleRef: Invalid value") || !strings.Contains(errs[0].Error(), "cannot change roleRef") {
		t.Errorf("errors %v, want roleRef cannot change", errs)
	}
	if errs := s.ValidateUpdate(context.Background(), old.DeepCopy(), old); len(errs) != 0 {
		t.Errorf("an unchanged roleRef: %v", errs)
	}
}

func TestValidateName(t *testing.T) {
	for name, ok := range map[string]bool{"system:basic-user": true, "view": true, "a/b": false, "..": false, "a%b": false} {
		if got := len(RoleType().ValidateName(name, false)) == 0; got != ok {
			t.Errorf("ValidateName(%q) valid = %v, want %v", name, got, ok)
		}
	}
}

func TestBindingTable(t *testing.T) {
	b := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "b"}, RoleRef: ref, Subjects: []rbacv1.Subject{
		{Kind: "User", Name: "alice"}, {Kind: "User", Name: "bob"}, {Kind: "Group", Name: "g"}, {Kind: "ServiceAccount", Namespace: "ns", Name: "sa"},
	}}
	cells, err := bindingTable().Cells(b)
	if err != nil {
		t.Fatal(err)
	}
	if cells[0] != "b" || cells[1] != "ClusterRole/view" || cells[3] != "alice, bob" || cells[4] != "g" || cells[5] != "ns/sa" {
		t.Errorf("cells = %v", cells)
	}
}

// Bindings are defaulted as kube-apiserver defaults them: the RBAC group
// on the roleRef and on User and Group subjects.
func TestDefaultBinding(t *testing.T) {
	b := &rbacv1.ClusterRoleBinding{RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}, Subjects: []rbacv1.Subject{
		{Kind: "User", Name: "bob"}, {Kind: "Group", Name: "g"}, {Kind: "ServiceAccount", Name: "sa", Namespace: "ns"},
	}}
	ClusterRoleBindingType().Defaults(b)
	if b.RoleRef.APIGroup != rbacv1.GroupName || b.Subjects[0].APIGroup != rbacv1.GroupName || b.Subjects[1].APIGroup != rbacv1.GroupName || b.Subjects[2].APIGroup != "" {
		t.Errorf("defaulted: %+v", b)
	}
	if errs := ClusterRoleBindingType().Strategy.Validate(context.Background(), b); len(errs) != 0 {
		t.Errorf("a defaulted binding is invalid: %v", errs)
	}
}
