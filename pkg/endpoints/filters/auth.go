package filters

import (
	"net/http"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/audit"
	"github.com/apiserver/apiserver/pkg/auth/authn"
	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
)

// PublicPaths are the paths kube's bootstrap policy opens to anonymous
// requests (system:public-info-viewer): probes and the version.
var PublicPaths = []string{"/healthz", "/livez", "/readyz", "/version"}

func isPublic(path string) bool {
	for _, p := range PublicPaths {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// WithRequestInfo parses what each request is about into its context.
func WithRequestInfo(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(request.WithRequestInfo(r.Context(), request.Parse(r))))
	})
}

// AnonymousAccess says which requests without a credential are served as
// system:anonymous; the others get 401.
type AnonymousAccess int

const (
	// AnonymousNever: every request needs a credential (--anonymous-auth=false).
	AnonymousNever AnonymousAccess = iota
	// AnonymousPublicPaths: only PublicPaths, for authorizers that would
	// let anonymous requests do anything (AlwaysAllow).
	AnonymousPublicPaths
	// AnonymousAuthorized: every path, and the authorizer decides, as
	// kube-apiserver does (401 becomes 403 where the policy says no).
	AnonymousAuthorized
)

func (a AnonymousAccess) allows(path string) bool {
	return a == AnonymousAuthorized || a == AnonymousPublicPaths && isPublic(path)
}

// WithAuthentication puts the request's user into its context. A request
// with a credential that does not verify gets 401, even where anonymous
// access is allowed; one with no credential is anonymous where anonymous
// allows, and gets 401 otherwise.
//
// An HTTP/2 connection that sent an anonymous or unauthenticated request
// is closed with GOAWAY after it, as kube-apiserver does, so that a client
// without credentials cannot hold one connection open with many streams.
func WithAuthentication(h http.Handler, auth authn.Request, anonymous AnonymousAccess) http.Handler {
	if auth == nil {
		auth = authn.Union{}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok, err := auth.AuthenticateRequest(r)
		switch {
		case err != nil:
			klog.V(3).InfoS("Authentication failed", "path", r.URL.Path, "err", err)
			closeAfter(w, r)
			unauthorized(w, r)
			return
		case ok:
			u = withGroup(u, user.AllAuthenticated)
		case anonymous.allows(r.URL.Path):
			closeAfter(w, r)
			u = &user.Info{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}
		default:
			closeAfter(w, r)
			unauthorized(w, r)
			return
		}
		noteUser(r.Context(), u.Name)
		// Credentials stop here: nothing behind the filter may forward them.
		r.Header.Del("Authorization")
		h.ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), u)))
	})
}

// closeAfter makes the HTTP/2 server send GOAWAY once the response is
// written: the connection serves the streams already open and no more.
func closeAfter(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 2 {
		w.Header().Set("Connection", "close")
	}
}

func unauthorized(w http.ResponseWriter, r *http.Request) {
	responsewriters.WriteError(w, r, apierrors.NewUnauthorized("Unauthorized"))
}

func withGroup(u *user.Info, group string) *user.Info {
	if slices.Contains(u.Groups, group) {
		return u
	}
	c := *u
	c.Groups = append(slices.Clip(u.Groups), group)
	return &c
}

// WithAuthorization asks a for a decision on every request and answers
// 403 Forbidden unless it allows.
func WithAuthorization(h http.Handler, a authz.Authorizer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attrs := attributes(r)
		d, reason, err := a.Authorize(r.Context(), attrs)
		rec := audit.RecordFrom(r.Context())
		if reason != "" {
			rec.Annotate(audit.ReasonAnnotation, reason)
		}
		if d == authz.DecisionAllow {
			rec.Annotate(audit.DecisionAnnotation, "allow")
			h.ServeHTTP(w, r)
			return
		}
		rec.Annotate(audit.DecisionAnnotation, "forbid")
		if err != nil {
			klog.ErrorS(err, "Authorization failed", "user", attrs.User.Name, "path", attrs.Path)
		}
		responsewriters.WriteError(w, r, forbidden(attrs, reason))
	})
}

func attributes(r *http.Request) authz.Attributes {
	u, _ := request.UserFrom(r.Context())
	info, ok := request.RequestInfoFrom(r.Context())
	if !ok {
		info = request.Parse(r)
	}
	attrs := authz.Attributes{
		User: u, Verb: info.Verb, IsResourceRequest: info.IsResourceRequest, Path: info.Path,
		APIGroup: info.APIGroup, APIVersion: info.APIVersion, Namespace: info.Namespace,
		Resource: info.Resource, Subresource: info.Subresource, Name: info.Name,
	}
	// As kube: a namespace is in itself, so a RoleBinding in a namespace
	// may grant reading that namespace.
	if attrs.IsResourceRequest && attrs.APIGroup == "" && attrs.Resource == "namespaces" && attrs.Name != "" {
		attrs.Namespace = attrs.Name
	}
	return attrs
}

// forbidden words the error as kube-apiserver does, so scripts that match
// its messages keep working.
func forbidden(a authz.Attributes, reason string) error {
	name := "<unknown>"
	if a.User != nil {
		name = a.User.Name
	}
	var msg string
	if a.IsResourceRequest {
		resource := a.Resource
		if a.Subresource != "" {
			resource += "/" + a.Subresource
		}
		msg = "User \"" + name + "\" cannot " + a.Verb + " resource \"" + resource + "\" in API group \"" + a.APIGroup + "\""
		if a.Namespace != "" {
			msg += " in the namespace \"" + a.Namespace + "\""
		} else {
			msg += " at the cluster scope"
		}
	} else {
		msg = "User \"" + name + "\" cannot " + a.Verb + " path \"" + a.Path + "\""
	}
	if reason != "" {
		msg += ": " + reason
	}
	return apierrors.NewForbidden(schema.GroupResource{Group: a.APIGroup, Resource: a.Resource}, a.Name, errorString(msg))
}

type errorString string

func (e errorString) Error() string { return string(e) }
