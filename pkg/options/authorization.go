package options

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/rbac"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/filters"
	"github.com/apiserver/apiserver/pkg/server"
)

// Authorization modes, as kube-apiserver names them.
const (
	ModeAlwaysAllow = "AlwaysAllow"
	ModeAlwaysDeny  = "AlwaysDeny"
	ModeRBAC        = "RBAC"
)

var authorizationModes = []string{ModeAlwaysAllow, ModeAlwaysDeny, ModeRBAC}

// AuthorizationOptions choose how requests are authorized.
type AuthorizationOptions struct {
	Modes []string
}

// NewAuthorizationOptions returns the defaults.
func NewAuthorizationOptions() *AuthorizationOptions {
	return &AuthorizationOptions{Modes: []string{ModeRBAC}}
}

// AddFlags registers the authorization flags.
func (o *AuthorizationOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.Modes, "authorization-mode", o.Modes,
		"Ordered list of authorizers, comma-separated: "+strings.Join(authorizationModes, ", ")+
			". The first that allows or denies decides; members of system:masters are always allowed.")
}

// Validate reports unknown, repeated or missing modes.
func (o *AuthorizationOptions) Validate() []error {
	var errs []error
	if len(o.Modes) == 0 {
		errs = append(errs, fmt.Errorf("--authorization-mode: at least one mode is required"))
	}
	seen := map[string]bool{}
	for _, m := range o.Modes {
		if !slices.Contains(authorizationModes, m) {
			errs = append(errs, fmt.Errorf("--authorization-mode: unknown mode %q: use %s", m, strings.Join(authorizationModes, ", ")))
		}
		if seen[m] {
			errs = append(errs, fmt.Errorf("--authorization-mode: %q given twice", m))
		}
		seen[m] = true
	}
	return errs
}

// ApplyTo sets the authorizer of c: the superusers' group first, then the
// modes in order. It goes after the authentication options: where
// AlwaysAllow would let anonymous requests do anything, they are kept to
// the public paths (kube-apiserver would serve them everything).
func (o *AuthorizationOptions) ApplyTo(c *server.Config) error {
	if slices.Contains(o.Modes, ModeAlwaysAllow) && c.Authentication.Anonymous == filters.AnonymousAuthorized {
		c.Authentication.Anonymous = filters.AnonymousPublicPaths
	}
	union := authz.Union{authz.PrivilegedGroups{user.SystemPrivilegedGroup}}
	for _, m := range o.Modes {
		switch m {
		case ModeAlwaysAllow:
			union = append(union, authz.AlwaysAllow{})
		case ModeAlwaysDeny:
			union = append(union, authz.AlwaysDeny{})
		case ModeRBAC:
			c.RBAC = rbac.New()
			union = append(union, c.RBAC)
		}
	}
	c.Authorization = union
	return nil
}
