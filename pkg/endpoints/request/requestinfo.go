package request

import (
	"context"
	"net/http"
	"strings"

	"github.com/apiserver/apiserver/pkg/auth/user"
)

// RequestInfo says what a request is about. For a path outside /api and
// /apis, IsResourceRequest is false and Verb is the lower-case method.
type RequestInfo struct {
	IsResourceRequest bool
	Path              string
	Verb              string
	// APIPrefix is "api" (the core group) or "apis".
	APIPrefix   string
	APIGroup    string
	APIVersion  string
	Namespace   string
	Resource    string
	Subresource string
	Name        string
	// Parts are the path segments from the resource on.
	Parts []string
}

// namespaceSubresources are the subresources of a namespace that kube-apiserver
// serves; any other third segment is not a subresource of a namespace.
var namespaceSubresources = map[string]bool{"status": true, "finalize": true}

// Parse reads a request's method, path and query the way kube-apiserver does:
//
//	/api/v1/namespaces/{ns}/{resource}/{name}/{subresource}
//	/apis/{group}/{version}/{resource}/{name}
//	/api/v1/watch/namespaces/{ns}/{resource}   (legacy watch)
//
// Parse never fails: what it cannot place is a non-resource request.
func Parse(r *http.Request) *RequestInfo {
	info := &RequestInfo{Path: r.URL.Path, Verb: strings.ToLower(r.Method)}
	parts := splitPath(r.URL.Path)
	if len(parts) < 2 {
		return info
	}
	switch parts[0] {
	case "api":
		info.APIPrefix, info.APIVersion = "api", parts[1]
		parts = parts[2:]
	case "apis":
		if len(parts) < 3 {
			return info
		}
		info.APIPrefix, info.APIGroup, info.APIVersion = "apis", parts[1], parts[2]
		parts = parts[3:]
	default:
		return info
	}
	if len(parts) == 0 {
		return info // discovery of a group version
	}
	info.IsResourceRequest = true
	legacyWatch := false
	if parts[0] == "watch" {
		legacyWatch = true
		parts = parts[1:]
	}
	if len(parts) >= 2 && parts[0] == "namespaces" {
		info.Namespace = parts[1]
		// /namespaces/{name} and /namespaces/{name}/status are the
		// namespace itself; /namespaces/{ns}/{resource}... is inside it.
		if len(parts) == 2 || (len(parts) == 3 && namespaceSubresources[parts[2]]) {
			info.Resource = "namespaces"
			info.Name = parts[1]
			info.Namespace = ""
			if len(parts) == 3 {
				info.Subresource = parts[2]
			}
			info.Parts = parts
			info.Verb = verb(r, info, legacyWatch)
			return info
		}
		parts = parts[2:]
	}
	info.Parts = parts
	if len(parts) > 0 {
		info.Resource = parts[0]
	}
	if len(parts) > 1 {
		info.Name = parts[1]
	}
	if len(parts) > 2 {
		info.Subresource = parts[2]
	}
	info.Verb = verb(r, info, legacyWatch)
	return info
}

func verb(r *http.Request, info *RequestInfo, legacyWatch bool) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if legacyWatch || isWatch(r) {
			return "watch"
		}
		if info.Name == "" {
			return "list"
		}
		return "get"
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		if info.Name == "" {
			return "deletecollection"
		}
		return "delete"
	}
	return strings.ToLower(r.Method)
}

// isWatch reads the watch parameter as apimachinery converts booleans
// from a query: false only when absent, "0" or "false" in any case, so the
// Python client's watch=True watches.
func isWatch(r *http.Request) bool {
	values, ok := r.URL.Query()["watch"]
	if !ok || len(values) == 0 {
		return false
	}
	return values[0] != "0" && !strings.EqualFold(values[0], "false")
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

type contextKey int

const (
	requestInfoKey contextKey = iota
	userKey
)

// WithRequestInfo returns ctx carrying info.
func WithRequestInfo(ctx context.Context, info *RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey, info)
}

// RequestInfoFrom returns the RequestInfo in ctx.
func RequestInfoFrom(ctx context.Context) (*RequestInfo, bool) {
	info, ok := ctx.Value(requestInfoKey).(*RequestInfo)
	return info, ok
}

// WithUser returns ctx carrying u.
func WithUser(ctx context.Context, u *user.Info) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// UserFrom returns the user in ctx.
func UserFrom(ctx context.Context) (*user.Info, bool) {
	u, ok := ctx.Value(userKey).(*user.Info)
	return u, ok
}
