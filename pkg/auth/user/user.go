// Package user describes who made a request, as authenticators find it and
// authorizers judge it.
package user

// Well-known users and groups, named as Kubernetes names them so RBAC rules
// and audit tooling carry over.
const (
	Anonymous          = "system:anonymous"
	AllUnauthenticated = "system:unauthenticated"
	AllAuthenticated   = "system:authenticated"
	// SystemPrivilegedGroup is the group of cluster administrators; the
	// generated admin certificate carries it.
	SystemPrivilegedGroup = "system:masters"
)

// Info is an authenticated (or anonymous) user.
type Info struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// IsAnonymous reports whether the request carried no credentials.
func (u *Info) IsAnonymous() bool { return u != nil && u.Name == Anonymous }
