// Package authz decides whether an authenticated user may do what a request
// asks: the request's attributes, the Authorizer interface, and the modes
// that need no state (AlwaysAllow, AlwaysDeny, the superusers' group) and
// their union. RBAC is package rbac.
package authz

import (
	"context"
	"errors"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/apiserver/apiserver/pkg/auth/user"
)

// Decision is an authorizer's answer.
type Decision int

const (
	// DecisionNoOpinion lets the next authorizer decide; a request nobody
	// allows is denied.
	DecisionNoOpinion Decision = iota
	DecisionAllow
	DecisionDeny
)

// Attributes describe a request to authorize.
type Attributes struct {
	User *user.Info
	// Verb is the API verb (get, list, watch, create, update, patch,
	// delete, deletecollection) for resource requests, or the lower-case
	// HTTP method for other paths.
	Verb              string
	IsResourceRequest bool
	Path              string
	APIGroup          string
	APIVersion        string
	Namespace         string
	Resource          string
	Subresource       string
	Name              string
}

// Authorizer decides on a request. reason explains a denial to the client.
type Authorizer interface {
	Authorize(ctx context.Context, a Attributes) (d Decision, reason string, err error)
}

// AlwaysAllow allows every request that reached it authenticated.
type AlwaysAllow struct{}

// Authorize implements Authorizer.
func (AlwaysAllow) Authorize(context.Context, Attributes) (Decision, string, error) {
	return DecisionAllow, "", nil
}

// AlwaysDeny has no opinion on any request, so that nothing is allowed
// unless an authorizer before it allows, as kube's AlwaysDeny mode.
type AlwaysDeny struct{}

// Authorize implements Authorizer.
func (AlwaysDeny) Authorize(context.Context, Attributes) (Decision, string, error) {
	return DecisionNoOpinion, "Everything is forbidden.", nil
}

// PrivilegedGroups allows every request of a member of one of its groups
// (system:masters), whatever the other authorizers say, as kube-apiserver
// puts its superusers ahead of every mode.
type PrivilegedGroups []string

// Authorize implements Authorizer.
func (g PrivilegedGroups) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	if a.User != nil {
		for _, group := range a.User.Groups {
			if slices.Contains(g, group) {
				return DecisionAllow, "", nil
			}
		}
	}
	return DecisionNoOpinion, "", nil
}

// Union asks its authorizers in order: the first that allows or denies
// decides; when none does, the request is denied with their reasons.
type Union []Authorizer

// Authorize implements Authorizer.
func (u Union) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	var reasons []string
	var errs []error
	for _, auth := range u {
		d, reason, err := auth.Authorize(ctx, a)
		if err != nil {
			errs = append(errs, err)
		}
		if reason != "" {
			reasons = append(reasons, reason)
		}
		if d != DecisionNoOpinion {
			return d, reason, err
		}
	}
	return DecisionNoOpinion, strings.Join(reasons, "\n"), errors.Join(errs...)
}

// RuleResolver lists the rules a user holds in a namespace (cluster-wide
// rules included), for SelfSubjectRulesReview; incomplete when some of
// what allows the user cannot be listed.
type RuleResolver interface {
	RulesFor(ctx context.Context, u *user.Info, namespace string) (rules []rbacv1.PolicyRule, incomplete bool)
}

// FullAuthority is every permission, as rules.
var FullAuthority = []rbacv1.PolicyRule{
	{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
	{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
}

// RulesFor implements RuleResolver: everything.
func (AlwaysAllow) RulesFor(context.Context, *user.Info, string) ([]rbacv1.PolicyRule, bool) {
	return FullAuthority, false
}

// RulesFor implements RuleResolver: nothing.
func (AlwaysDeny) RulesFor(context.Context, *user.Info, string) ([]rbacv1.PolicyRule, bool) {
	return nil, false
}

// RulesFor implements RuleResolver: everything for a member.
func (g PrivilegedGroups) RulesFor(ctx context.Context, u *user.Info, _ string) ([]rbacv1.PolicyRule, bool) {
	if d, _, _ := g.Authorize(ctx, Attributes{User: u}); d == DecisionAllow {
		return FullAuthority, false
	}
	return nil, false
}

// RulesFor implements RuleResolver: the rules of every member that lists
// them; incomplete when one cannot.
func (u Union) RulesFor(ctx context.Context, who *user.Info, namespace string) ([]rbacv1.PolicyRule, bool) {
	var rules []rbacv1.PolicyRule
	incomplete := false
	for _, auth := range u {
		r, ok := auth.(RuleResolver)
		if !ok {
			incomplete = true
			continue
		}
		more, inc := r.RulesFor(ctx, who, namespace)
		rules, incomplete = append(rules, more...), incomplete || inc
	}
	return rules, incomplete
}
