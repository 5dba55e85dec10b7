package filters

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/audit"
	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/serviceaccount"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
)

// Impersonation headers, as kubectl --as, --as-group and --as-uid send them.
const (
	impersonateUser        = "Impersonate-User"
	impersonateGroup       = "Impersonate-Group"
	impersonateUID         = "Impersonate-Uid"
	impersonateExtraPrefix = "Impersonate-Extra-"
)

// WithImpersonation lets a request act as another user when its sender may
// impersonate each part of that user (the impersonate verb on users or
// serviceaccounts, groups, uids and userextras), as kube-apiserver does;
// what it may not impersonate is refused with kube's 403. The request
// then goes on as the impersonated user, without the headers.
func WithImpersonation(h http.Handler, a authz.Authorizer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.Header.Get(impersonateUser)
		groups, uid := r.Header.Values(impersonateGroup), r.Header.Get(impersonateUID)
		extra := map[string][]string{}
		for k, vs := range r.Header {
			if key, ok := strings.CutPrefix(k, impersonateExtraPrefix); ok {
				if unescaped, err := url.PathUnescape(key); err == nil {
					key = unescaped
				}
				extra[strings.ToLower(key)] = vs
			}
		}
		if name == "" && len(groups) == 0 && uid == "" && len(extra) == 0 {
			h.ServeHTTP(w, r)
			return
		}
		if name == "" {
			responsewriters.WriteError(w, r, apierrors.NewBadRequest("impersonating groups, a uid or extra fields requires impersonating a user (Impersonate-User)"))
			return
		}
		requester, _ := request.UserFrom(r.Context())
		check := func(attrs authz.Attributes) bool {
			attrs.User, attrs.Verb, attrs.IsResourceRequest = requester, "impersonate", true
			d, reason, err := a.Authorize(r.Context(), attrs)
			if d == authz.DecisionAllow {
				return true
			}
			if err != nil {
				klog.ErrorS(err, "Authorizing an impersonation failed", "user", requester.Name)
			}
			responsewriters.WriteError(w, r, forbidden(attrs, reason))
			return false
		}
		as := &user.Info{Name: name, UID: uid, Groups: groups}
		if ns, sa, ok := serviceaccount.SplitUserName(name); ok {
			if !check(authz.Attributes{Resource: "serviceaccounts", Namespace: ns, Name: sa}) {
				return
			}
			// Its groups are known; kube adds them unless groups are
			// impersonated too.
			if len(groups) == 0 {
				as.Groups = serviceaccount.Groups(ns)
			}
		} else if !check(authz.Attributes{Resource: "users", Name: name}) {
			return
		}
		for _, g := range groups {
			if !check(authz.Attributes{Resource: "groups", Name: g}) {
				return
			}
		}
		if uid != "" && !check(authz.Attributes{APIGroup: "authentication.k8s.io", Resource: "uids", Name: uid}) {
			return
		}
		for key, values := range extra {
			for _, v := range values {
				if !check(authz.Attributes{APIGroup: "authentication.k8s.io", Resource: "userextras", Subresource: key, Name: v}) {
					return
				}
			}
		}
		if len(extra) > 0 {
			as.Extra = extra
		}
		// As kube: the impersonated user is authenticated, or anonymous.
		if name == user.Anonymous {
			as = withGroup(as, user.AllUnauthenticated)
		} else {
			as = withGroup(as, user.AllAuthenticated)
		}
		for k := range r.Header {
			if strings.HasPrefix(k, "Impersonate-") {
				r.Header.Del(k)
			}
		}
		noteUser(r.Context(), fmt.Sprintf("%s (as %s)", requester.Name, name))
		audit.RecordFrom(r.Context()).SetImpersonatedUser(auditUser(as))
		h.ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), as)))
	})
}
