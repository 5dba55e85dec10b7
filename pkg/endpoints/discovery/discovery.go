// Package discovery serves what kubectl and client-go read first: /api,
// /apis, /apis/<group> and the resource list of each group version. Groups
// and their resources can change at run time (custom resources); answers
// are rebuilt on change, not per request.
package discovery

import (
	"net/http"
	"slices"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
)

// Mux is where handlers are installed.
type Mux interface {
	Handle(path string, h http.Handler)
	HandlePrefix(prefix string, h http.Handler)
}

// Registry holds every served group version and its resources.
type Registry struct {
	mu sync.RWMutex
	// order keeps groups in registration order, as /apis lists them.
	order     []string
	versions  map[string][]string // group -> versions, preferred first
	resources map[schema.GroupVersion][]metav1.APIResource
	// builtin marks group versions of Go types, whose aggregated entries
	// name kinds without group and version.
	builtin map[schema.GroupVersion]bool
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{versions: map[string][]string{}, resources: map[schema.GroupVersion][]metav1.APIResource{},
		builtin: map[schema.GroupVersion]bool{}}
}

// SetGroupVersion serves resources under gv, replacing what it served.
// builtin marks a group version of Go types.
func (d *Registry) SetGroupVersion(gv schema.GroupVersion, resources []metav1.APIResource, builtin bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.versions[gv.Group]; !ok {
		d.order = append(d.order, gv.Group)
	}
	if !slices.Contains(d.versions[gv.Group], gv.Version) {
		d.versions[gv.Group] = append(d.versions[gv.Group], gv.Version)
	}
	d.resources[gv] = slices.Clone(resources)
	d.builtin[gv] = builtin
}

// SetVersionOrder sets the order of a group's versions, preferred first.
func (d *Registry) SetVersionOrder(group string, versions []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.versions[group]; ok {
		d.versions[group] = slices.Clone(versions)
	}
}

// RemoveGroupVersion stops serving gv; a group with no version left goes.
func (d *Registry) RemoveGroupVersion(gv schema.GroupVersion) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.resources, gv)
	delete(d.builtin, gv)
	vs := slices.DeleteFunc(d.versions[gv.Group], func(v string) bool { return v == gv.Version })
	if len(vs) == 0 {
		delete(d.versions, gv.Group)
		d.order = slices.DeleteFunc(d.order, func(g string) bool { return g == gv.Group })
		return
	}
	d.versions[gv.Group] = vs
}

// HasGroup reports whether some version of group is served.
func (d *Registry) HasGroup(group string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	_, ok := d.versions[group]
	return ok
}

// Resources returns what gv serves, and whether it is served.
func (d *Registry) Resources(gv schema.GroupVersion) ([]metav1.APIResource, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	r, ok := d.resources[gv]
	return r, ok
}

func (d *Registry) group(name string) (metav1.APIGroup, bool) {
	versions, ok := d.versions[name]
	if !ok || name == "" {
		return metav1.APIGroup{}, false
	}
	g := metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: name}
	for _, v := range versions {
		g.Versions = append(g.Versions, metav1.GroupVersionForDiscovery{GroupVersion: name + "/" + v, Version: v})
	}
	g.PreferredVersion = g.Versions[0]
	return g, true
}

// Install serves /api, /apis, /apis/<group> and each group version's
// resource list. Resource paths under a group version are for other
// handlers; the installer of each group version calls ServeResourceList.
func (d *Registry) Install(mux Mux) {
	mux.Handle("/api", http.HandlerFunc(d.serveAPIVersions))
	mux.Handle("/api/", http.HandlerFunc(d.serveAPIVersions))
	mux.Handle("/apis", http.HandlerFunc(d.serveGroups))
	mux.Handle("/apis/", http.HandlerFunc(d.serveGroups))
}

func (d *Registry) serveAPIVersions(w http.ResponseWriter, r *http.Request) {
	if v, ok := aggregatedVersion(r); ok {
		d.serveAggregated(w, r, v, true)
		return
	}
	v := metav1.APIVersions{
		TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
		Versions: []string{"v1"},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{
			ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host,
		}},
	}
	responsewriters.WriteJSON(w, r, http.StatusOK, v)
}

func (d *Registry) serveGroups(w http.ResponseWriter, r *http.Request) {
	if v, ok := aggregatedVersion(r); ok {
		d.serveAggregated(w, r, v, false)
		return
	}
	d.mu.RLock()
	list := metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: []metav1.APIGroup{}}
	for _, name := range d.order {
		if g, ok := d.group(name); ok {
			list.Groups = append(list.Groups, g)
		}
	}
	d.mu.RUnlock()
	responsewriters.WriteJSON(w, r, http.StatusOK, list)
}

// ServeGroup answers /apis/<group>.
func (d *Registry) ServeGroup(w http.ResponseWriter, r *http.Request, group string) {
	d.mu.RLock()
	g, ok := d.group(group)
	d.mu.RUnlock()
	if !ok {
		responsewriters.WriteError(w, r, NotFound())
		return
	}
	responsewriters.WriteJSON(w, r, http.StatusOK, g)
}

// ServeResourceList answers /api/v1 or /apis/<group>/<version>.
func (d *Registry) ServeResourceList(w http.ResponseWriter, r *http.Request, gv schema.GroupVersion) {
	resources, ok := d.Resources(gv)
	if !ok {
		responsewriters.WriteError(w, r, NotFound())
		return
	}
	list := metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv.String(), APIResources: resources}
	responsewriters.WriteJSON(w, r, http.StatusOK, list)
}

// NotFound is kube-apiserver's 404 for a path it does not serve under /api
// or /apis.
func NotFound() error {
	err := apierrors.NewNotFound(schema.GroupResource{}, "")
	err.ErrStatus.Message = "the server could not find the requested resource"
	err.ErrStatus.Details = &metav1.StatusDetails{}
	return err
}

// GroupVersions returns every served group version and whether it is one
// of Go types (built-in).
func (d *Registry) GroupVersions() map[schema.GroupVersion]bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make(map[schema.GroupVersion]bool, len(d.resources))
	for gv := range d.resources {
		out[gv] = d.builtin[gv]
	}
	return out
}
