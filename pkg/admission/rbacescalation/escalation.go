// Package rbacescalation refuses writes of RBAC objects that would grant
// more than their writer holds, as kube-apiserver's RBAC storage does: a
// Role or ClusterRole only with rules the writer has (or the escalate
// verb on it), a binding only to a role whose rules the writer has in the
// binding's scope (or the bind verb on that role), and an aggregationRule
// only from whoever holds every permission.
package rbacescalation

import (
	"context"
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/user"
)

// RulesGetter returns the rules of the Role namespace/name, or of the
// ClusterRole name when namespace is empty.
type RulesGetter func(ctx context.Context, kind, namespace, name string) ([]rbacv1.PolicyRule, error)

// Plugin is the validating admission plugin.
type Plugin struct {
	Authorizer authz.Authorizer
	Rules      RulesGetter
}

var _ admission.ValidationInterface = Plugin{}

var fullAuthority = []rbacv1.PolicyRule{
	{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
	{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
}

// Validate implements admission.ValidationInterface.
func (p Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	if a.Resource.Group != rbacv1.GroupName || a.User == nil || (a.Operation != admission.Create && a.Operation != admission.Update) {
		return nil
	}
	gr := a.Resource.GroupResource()
	switch obj := a.Object.(type) {
	case *rbacv1.Role:
		return p.checkRole(ctx, a, gr, obj.Rules, a.Namespace)
	case *rbacv1.ClusterRole:
		if obj.AggregationRule != nil && !p.allowed(ctx, a.User, "escalate", gr.Resource, "", a.Name) && len(p.missing(ctx, a.User, fullAuthority, "")) > 0 {
			return apierrors.NewForbidden(gr, a.Name, fmt.Errorf("must have cluster-admin privileges to use the aggregationRule"))
		}
		return p.checkRole(ctx, a, gr, obj.Rules, "")
	case *rbacv1.RoleBinding:
		return p.checkBinding(ctx, a, gr, obj.RoleRef, a.Namespace)
	case *rbacv1.ClusterRoleBinding:
		return p.checkBinding(ctx, a, gr, obj.RoleRef, "")
	}
	return nil
}

func (p Plugin) checkRole(ctx context.Context, a *admission.Attributes, gr schema.GroupResource, rules []rbacv1.PolicyRule, ns string) error {
	if p.allowed(ctx, a.User, "escalate", gr.Resource, ns, a.Name) {
		return nil
	}
	if missing := p.missing(ctx, a.User, rules, ns); len(missing) > 0 {
		return apierrors.NewForbidden(gr, a.Name, escalation(a.User, missing))
	}
	return nil
}

func (p Plugin) checkBinding(ctx context.Context, a *admission.Attributes, gr schema.GroupResource, ref rbacv1.RoleRef, ns string) error {
	roleResource, roleNS := "clusterroles", ""
	if ref.Kind == "Role" {
		roleResource, roleNS = "roles", ns
	}
	// The bind verb counts in the binding's namespace, for a ClusterRole
	// too, as kube asks it.
	if p.allowed(ctx, a.User, "bind", roleResource, ns, ref.Name) {
		return nil
	}
	rules, err := p.Rules(ctx, ref.Kind, roleNS, ref.Name)
	if err != nil {
		if apierrors.IsNotFound(err) {
			// Binding a role that does not exist grants nothing yet; kube
			// refuses it to whoever could not bind it.
			return apierrors.NewForbidden(gr, a.Name, fmt.Errorf("user %q cannot bind %s %q: it does not exist and the user has no bind permission on it", a.User.Name, ref.Kind, ref.Name))
		}
		return err
	}
	if missing := p.missing(ctx, a.User, rules, ns); len(missing) > 0 {
		return apierrors.NewForbidden(gr, a.Name, escalation(a.User, missing))
	}
	return nil
}

// allowed asks the authorizer about a verb on an RBAC object.
func (p Plugin) allowed(ctx context.Context, u *user.Info, verb, resource, ns, name string) bool {
	d, _, _ := p.Authorizer.Authorize(ctx, authz.Attributes{User: u, Verb: verb, IsResourceRequest: true,
		APIGroup: rbacv1.GroupName, Resource: resource, Namespace: ns, Name: name})
	return d == authz.DecisionAllow
}

// missing returns the rules u does not hold in ns (cluster-wide when
// empty): each is expanded into every verb, group, resource, name and URL
// it names, wildcards kept as they are, so that only a grant of the
// wildcard covers a wildcard.
func (p Plugin) missing(ctx context.Context, u *user.Info, rules []rbacv1.PolicyRule, ns string) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, rule := range rules {
		if !p.holds(ctx, u, rule, ns) {
			out = append(out, rule)
		}
	}
	return out
}

func (p Plugin) holds(ctx context.Context, u *user.Info, rule rbacv1.PolicyRule, ns string) bool {
	ask := func(attrs authz.Attributes) bool {
		attrs.User = u
		d, _, _ := p.Authorizer.Authorize(ctx, attrs)
		return d == authz.DecisionAllow
	}
	for _, verb := range rule.Verbs {
		for _, url := range rule.NonResourceURLs {
			if !ask(authz.Attributes{Verb: verb, Path: url}) {
				return false
			}
		}
		names := rule.ResourceNames
		if len(names) == 0 {
			names = []string{""}
		}
		for _, group := range rule.APIGroups {
			for _, resource := range rule.Resources {
				res, sub, _ := strings.Cut(resource, "/")
				for _, name := range names {
					if !ask(authz.Attributes{Verb: verb, IsResourceRequest: true, APIGroup: group, Resource: res, Subresource: sub, Name: name, Namespace: ns}) {
						return false
					}
				}
			}
		}
	}
	return true
}

// escalation words the refusal as kube-apiserver does.
func escalation(u *user.Info, missing []rbacv1.PolicyRule) error {
	groups := make([]string, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = fmt.Sprintf("%q", g)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "user %q (groups=[%s]) is attempting to grant RBAC permissions not currently held:", u.Name, strings.Join(groups, " "))
	for _, r := range missing {
		b.WriteString("\n" + compact(r))
	}
	return fmt.Errorf("%s", b.String())
}

// compact prints a rule as kube's CompactString: only the fields set.
func compact(r rbacv1.PolicyRule) string {
	var parts []string
	add := func(name string, values []string) {
		if len(values) == 0 {
			return
		}
		quoted := make([]string, len(values))
		for i, v := range values {
			quoted[i] = fmt.Sprintf("%q", v)
		}
		parts = append(parts, name+":["+strings.Join(quoted, ", ")+"]")
	}
	add("APIGroups", r.APIGroups)
	add("Resources", r.Resources)
	add("ResourceNames", r.ResourceNames)
	add("NonResourceURLs", r.NonResourceURLs)
	add("Verbs", r.Verbs)
	return "{" + strings.Join(parts, ", ") + "}"
}
