// Package installer routes /api and /apis requests to the handler of their
// group version and resource, and serves discovery for the group versions
// it holds. Group versions come and go at run time (custom resources).
package installer

import (
	"net/http"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/endpoints/discovery"
	"github.com/apiserver/apiserver/pkg/endpoints/handlers"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
)

// Router serves the resources of its group versions.
type Router struct {
	discovery *discovery.Registry
	// fall handles group versions this router does not hold: the next
	// server of the chain, or nil to answer 404.
	fall http.Handler

	mu     sync.RWMutex
	groups map[schema.GroupVersion]map[string]*handlers.Resource
}

// NewRouter returns a router that registers its group versions in d and
// hands unknown ones to fall.
func NewRouter(d *discovery.Registry, fall http.Handler) *Router {
	return &Router{discovery: d, fall: fall, groups: map[schema.GroupVersion]map[string]*handlers.Resource{}}
}

// Mux is where Install registers the router.
type Mux interface {
	Handle(path string, h http.Handler)
	HandlePrefix(prefix string, h http.Handler)
}

// Install serves every path under /api/ and /apis/ through the router.
func (rt *Router) Install(mux Mux) {
	mux.HandlePrefix("/api/", rt)
	mux.HandlePrefix("/apis/", rt)
}

// SetGroupVersion serves resources under gv, replacing what was there, and
// publishes them in discovery.
func (rt *Router) SetGroupVersion(gv schema.GroupVersion, resources []*handlers.Resource) {
	byName := make(map[string]*handlers.Resource, len(resources))
	var list []metav1.APIResource
	for _, res := range resources {
		info := res.Store.Info()
		byName[info.Resource] = res
		list = append(list, metav1.APIResource{
			Name: info.Resource, SingularName: info.Singular, Namespaced: info.Namespaced, Kind: info.Kind,
			Verbs: info.Verbs, ShortNames: info.ShortNames, Categories: info.Categories,
		})
		for sub, store := range res.Subresources {
			list = append(list, metav1.APIResource{
				Name: info.Resource + "/" + sub, Namespaced: info.Namespaced, Kind: store.Info().Kind, Verbs: store.Info().Verbs,
			})
		}
	}
	rt.mu.Lock()
	rt.groups[gv] = byName
	rt.mu.Unlock()
	rt.discovery.SetGroupVersion(gv, list)
}

// RemoveGroupVersion stops serving gv.
func (rt *Router) RemoveGroupVersion(gv schema.GroupVersion) {
	rt.mu.Lock()
	delete(rt.groups, gv)
	rt.mu.Unlock()
	rt.discovery.RemoveGroupVersion(gv)
}

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info, ok := request.RequestInfoFrom(r.Context())
	if !ok {
		info = request.Parse(r)
	}
	gv := schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}
	rt.mu.RLock()
	resources, served := rt.groups[gv]
	rt.mu.RUnlock()

	// /apis/<group>: the group's versions.
	if info.APIPrefix == "" {
		if group, ok := groupPath(r.URL.Path); ok {
			if rt.servesGroup(group) {
				rt.discovery.ServeGroup(w, r, group)
				return
			}
		}
		rt.passOn(w, r)
		return
	}
	if !served {
		rt.passOn(w, r)
		return
	}
	if !info.IsResourceRequest {
		rt.discovery.ServeResourceList(w, r, gv)
		return
	}
	res, ok := resources[info.Resource]
	if !ok || !scopeMatches(res, info) {
		responsewriters.WriteError(w, r, discovery.NotFound())
		return
	}
	res.ServeHTTP(w, r)
}

func (rt *Router) servesGroup(group string) bool {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	for gv := range rt.groups {
		if gv.Group == group {
			return true
		}
	}
	return false
}

func (rt *Router) passOn(w http.ResponseWriter, r *http.Request) {
	if rt.fall != nil {
		rt.fall.ServeHTTP(w, r)
		return
	}
	responsewriters.WriteError(w, r, discovery.NotFound())
}

// groupPath recognizes /apis/<group>.
func groupPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(p, "/"), "/apis/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	return rest, true
}

// scopeMatches refuses a namespace on a cluster-scoped resource, and a
// namespaced object or write without one.
func scopeMatches(res *handlers.Resource, info *request.RequestInfo) bool {
	namespaced := res.Store.Info().Namespaced
	if info.Resource == "namespaces" && !namespaced {
		return true // /namespaces/{name} parses as the object itself
	}
	if !namespaced {
		return info.Namespace == ""
	}
	if info.Namespace == "" {
		return info.Verb == "list" || info.Verb == "watch"
	}
	return true
}
