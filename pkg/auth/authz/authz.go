// Package authz decides whether an authenticated user may do what a request
// asks. Today every authenticated user may do everything (AlwaysAllow);
// this package is where RBAC or a webhook authorizer will plug in.
package authz

import (
	"context"

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
