// Package rbac declares rbac.authorization.k8s.io/v1 Roles, ClusterRoles,
// RoleBindings and ClusterRoleBindings: storage with kube-apiserver's
// validation and tables. Who may do what is decided elsewhere (the
// authorizer reads these objects); this package only keeps them valid.
package rbac

import (
	"context"
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

func info(resource, kind string, namespaced bool) rest.ResourceInfo {
	return rest.ResourceInfo{
		GroupVersionResource: rbacv1.SchemeGroupVersion.WithResource(resource),
		Kind:                 kind,
		ListKind:             kind + "List",
		Singular:             strings.ToLower(kind),
		Namespaced:           namespaced,
		Verbs:                rest.DefaultVerbs,
	}
}

// RoleType is the roles resource.
func RoleType() rest.Type {
	return rest.Type{
		Info:         info("roles", "Role", true),
		New:          func() runtime.Object { return &rbacv1.Role{} },
		NewList:      func() runtime.Object { return &rbacv1.RoleList{} },
		Strategy:     strategy{validate: validateRole},
		ValidateName: generic.PathSegmentName, // system:basic-user is a name
	}
}

// ClusterRoleType is the clusterroles resource.
func ClusterRoleType() rest.Type {
	return rest.Type{
		Info:         info("clusterroles", "ClusterRole", false),
		New:          func() runtime.Object { return &rbacv1.ClusterRole{} },
		NewList:      func() runtime.Object { return &rbacv1.ClusterRoleList{} },
		Strategy:     strategy{validate: validateClusterRole},
		ValidateName: generic.PathSegmentName, // system:basic-user is a name
	}
}

// RoleBindingType is the rolebindings resource.
func RoleBindingType() rest.Type {
	return rest.Type{
		Info:         info("rolebindings", "RoleBinding", true),
		New:          func() runtime.Object { return &rbacv1.RoleBinding{} },
		NewList:      func() runtime.Object { return &rbacv1.RoleBindingList{} },
		Strategy:     strategy{validate: validateRoleBinding, roleRef: roleRefOf},
		ValidateName: generic.PathSegmentName, // system:basic-user is a name
		Table:        bindingTable(),
		Defaults:     defaultBinding,
	}
}

// ClusterRoleBindingType is the clusterrolebindings resource.
func ClusterRoleBindingType() rest.Type {
	return rest.Type{
		Info:         info("clusterrolebindings", "ClusterRoleBinding", false),
		New:          func() runtime.Object { return &rbacv1.ClusterRoleBinding{} },
		NewList:      func() runtime.Object { return &rbacv1.ClusterRoleBindingList{} },
		Strategy:     strategy{validate: validateClusterRoleBinding, roleRef: roleRefOf},
		ValidateName: generic.PathSegmentName, // system:basic-user is a name
		Table:        bindingTable(),
		Defaults:     defaultBinding,
	}
}

// strategy is the one Strategy of the four: storage only, validated.
type strategy struct {
	validate func(runtime.Object) field.ErrorList
	// roleRef, for bindings, returns what may not change on update.
	roleRef func(runtime.Object) rbacv1.RoleRef
}

func (strategy) PrepareForCreate(context.Context, runtime.Object)                 {}
func (strategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}
func (strategy) Canonicalize(runtime.Object)                                      {}

// AllowCreateOnUpdate is true, as kube-apiserver allows for RBAC objects
// (kubectl auth reconcile relies on it).
func (strategy) AllowCreateOnUpdate() bool { return true }

// AllowUnconditionalUpdate is true, as kube-apiserver allows.
func (strategy) AllowUnconditionalUpdate() bool { return true }

func (s strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return s.validate(obj)
}

// ValidateUpdate validates the new object; a binding's roleRef is
// immutable, as kube-apiserver keeps it.
func (s strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	errs := s.validate(obj)
	if s.roleRef != nil {
		if ref := s.roleRef(obj); ref != s.roleRef(old) {
			errs = append(errs, field.Invalid(field.NewPath("roleRef"), ref, "cannot change roleRef"))
		}
	}
	return errs
}

// defaultBinding fills what kube-apiserver's defaulting fills in a
// binding: the RBAC group of its roleRef and of its User and Group
// subjects, when left empty.
func defaultBinding(obj runtime.Object) {
	var ref *rbacv1.RoleRef
	var subjects []rbacv1.Subject
	switch b := obj.(type) {
	case *rbacv1.RoleBinding:
		ref, subjects = &b.RoleRef, b.Subjects
	case *rbacv1.ClusterRoleBinding:
		ref, subjects = &b.RoleRef, b.Subjects
	default:
		return
	}
	if ref.APIGroup == "" {
		ref.APIGroup = rbacv1.GroupName
	}
	for i := range subjects {
		if s := &subjects[i]; s.APIGroup == "" && (s.Kind == rbacv1.UserKind || s.Kind == rbacv1.GroupKind) {
			s.APIGroup = rbacv1.GroupName
		}
	}
}

func roleRefOf(obj runtime.Object) rbacv1.RoleRef {
	switch b := obj.(type) {
	case *rbacv1.RoleBinding:
		return b.RoleRef
	case *rbacv1.ClusterRoleBinding:
		return b.RoleRef
	}
	return rbacv1.RoleRef{}
}

func validateRole(obj runtime.Object) field.ErrorList {
	return validateRules(obj.(*rbacv1.Role).Rules, true)
}

func validateClusterRole(obj runtime.Object) field.ErrorList {
	role := obj.(*rbacv1.ClusterRole)
	errs := validateRules(role.Rules, false)
	if agg := role.AggregationRule; agg != nil {
		p := field.NewPath("aggregationRule", "clusterRoleSelectors")
		if len(agg.ClusterRoleSelectors) == 0 {
			errs = append(errs, field.Required(p, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
		}
		for i := range agg.ClusterRoleSelectors {
			errs = append(errs, metavalidation.ValidateLabelSelector(&agg.ClusterRoleSelectors[i], metavalidation.LabelSelectorValidationOptions{}, p.Index(i))...)
		}
	}
	return errs
}

// validateRules checks rules as kube's ValidatePolicyRule: verbs always;
// either non-resource URLs (cluster roles only) or API groups and
// resources.
func validateRules(rules []rbacv1.PolicyRule, namespaced bool) field.ErrorList {
	var errs field.ErrorList
	for i, rule := range rules {
		p := field.NewPath("rules").Index(i)
		if len(rule.Verbs) == 0 {
			errs = append(errs, field.Required(p.Child("verbs"), "verbs must contain at least one value"))
		}
		if len(rule.NonResourceURLs) > 0 {
			if namespaced {
				errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), rule.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
			}
			if len(rule.APIGroups) > 0 || len(rule.Resources) > 0 || len(rule.ResourceNames) > 0 {
				errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), rule.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
			}
			continue
		}
		if len(rule.APIGroups) == 0 {
			errs = append(errs, field.Required(p.Child("apiGroups"), "resource rules must supply at least one api group"))
		}
		if len(rule.Resources) == 0 {
			errs = append(errs, field.Required(p.Child("resources"), "resource rules must supply at least one resource"))
		}
	}
	return errs
}

func validateRoleBinding(obj runtime.Object) field.ErrorList {
	b := obj.(*rbacv1.RoleBinding)
	return validateBinding(b.RoleRef, b.Subjects, []string{"Role", "ClusterRole"}, true)
}

func validateClusterRoleBinding(obj runtime.Object) field.ErrorList {
	b := obj.(*rbacv1.ClusterRoleBinding)
	return validateBinding(b.RoleRef, b.Subjects, []string{"ClusterRole"}, false)
}

// validateBinding checks a binding's roleRef and subjects as kube's
// ValidateRoleBinding and ValidateClusterRoleBinding.
func validateBinding(ref rbacv1.RoleRef, subjects []rbacv1.Subject, kinds []string, namespaced bool) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("roleRef")
	if ref.APIGroup != rbacv1.GroupName {
		errs = append(errs, field.NotSupported(p.Child("apiGroup"), ref.APIGroup, []string{rbacv1.GroupName}))
	}
	if !contains(kinds, ref.Kind) {
		errs = append(errs, field.NotSupported(p.Child("kind"), ref.Kind, kinds))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		for _, msg := range generic.PathSegmentName(ref.Name, false) {
			errs = append(errs, field.Invalid(p.Child("name"), ref.Name, msg))
		}
	}
	for i, s := range subjects {
		errs = append(errs, validateSubject(s, namespaced, field.NewPath("subjects").Index(i))...)
	}
	return errs
}

func validateSubject(s rbacv1.Subject, namespaced bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		if s.Name != "" {
			for _, msg := range validation.IsDNS1123Subdomain(s.Name) {
				errs = append(errs, field.Invalid(p.Child("name"), s.Name, msg))
			}
		}
		if s.APIGroup != "" {
			errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{""}))
		}
		if !namespaced && s.Namespace == "" {
			errs = append(errs, field.Required(p.Child("namespace"), ""))
		}
	case rbacv1.UserKind, rbacv1.GroupKind:
		if s.APIGroup != rbacv1.GroupName {
			errs = append(errs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("kind"), s.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
	}
	return errs
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// bindingTable prints bindings as kube-apiserver does: NAME, ROLE, AGE,
// and with -o wide USERS, GROUPS and SERVICEACCOUNTS.
func bindingTable() tables.Convertor {
	wide := func(name, desc string) metav1.TableColumnDefinition {
		c := tables.Column(name, desc)
		c.Priority = 1
		return c
	}
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Role", rbacv1.RoleBinding{}.SwaggerDoc()["roleRef"]),
			tables.AgeColumn(),
			wide("Users", "Users in the roleBinding"),
			wide("Groups", "Groups in the roleBinding"),
			wide("ServiceAccounts", "ServiceAccounts in the roleBinding"),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			var name string
			var created metav1.Time
			var ref rbacv1.RoleRef
			var subjects []rbacv1.Subject
			switch b := obj.(type) {
			case *rbacv1.RoleBinding:
				name, created, ref, subjects = b.Name, b.CreationTimestamp, b.RoleRef, b.Subjects
			case *rbacv1.ClusterRoleBinding:
				name, created, ref, subjects = b.Name, b.CreationTimestamp, b.RoleRef, b.Subjects
			default:
				return nil, fmt.Errorf("not a binding: %T", obj)
			}
			var users, groups, sas []string
			for _, s := range subjects {
				switch s.Kind {
				case rbacv1.UserKind:
					users = append(users, s.Name)
				case rbacv1.GroupKind:
					groups = append(groups, s.Name)
				case rbacv1.ServiceAccountKind:
					sas = append(sas, s.Namespace+"/"+s.Name)
				}
			}
			return []interface{}{name, ref.Kind + "/" + ref.Name, tables.Age(created),
				strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(sas, ", ")}, nil
		},
	}
}
