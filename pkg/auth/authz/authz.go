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
