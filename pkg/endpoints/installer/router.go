// Package installer routes /api and /apis requests to the handler of their
// group version and resource, and serves discovery for the group versions
// it holds. Group versions come and go at run time (custom resources).
package installer

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/apiserver/apiserver/pkg/endpoints/discovery"
	"github.com/apiserver/apiserver/pkg/endpoints/fieldmanager"
	"github.com/apiserver/apiserver/pkg/endpoints/handlers"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
	"github.com/apiserver/apiserver/pkg/openapi"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Config is what a router publishes its group versions in, and what its
// handlers share.
type Config struct {
	// Discovery lists the group versions and their resources.
	Discovery *discovery.Registry
	// OpenAPI documents them; nil leaves them undocumented.
	OpenAPI *openapi.Service
	// Catalog records the declarations, for namespace cleanup and the
	// groups custom resources may not claim; nil records nothing.
	Catalog *rest.Catalog
	// Scheme gets the Go types of built-in resources registered, for the
	// protobuf and JSON codecs; nil serves JSON and YAML only.
	Scheme *runtime.Scheme
	// Stopping ends watches when the server shuts down.
	Stopping <-chan struct{}
	// Timeout bounds every request but watches.
	Timeout time.Duration
	// MinRequestTimeout is the shortest a watch without timeoutSeconds
	// lasts (a random time between it and twice it).
	MinRequestTimeout time.Duration
}

// Router serves the resources of its group versions.
type Router struct {
	config Config
	// fall handles group versions this router does not hold: the next
	// server of the chain, or nil to answer 404.
	fall http.Handler

	// protobuf and protobufStream encode for every handler (stateless,
	// over the scheme).
	protobuf, protobufStream runtime.Serializer

	mu     sync.RWMutex
	groups map[schema.GroupVersion]map[string]*handlers.Resource
}

// NewRouter returns a router that publishes its group versions as c says
// and hands unknown ones to fall.
func NewRouter(c Config, fall http.Handler) *Router {
	rt := &Router{config: c, fall: fall, groups: map[schema.GroupVersion]map[string]*handlers.Resource{}}
	if c.Scheme != nil {
		rt.protobuf = protobuf.NewSerializer(c.Scheme, c.Scheme)
		rt.protobufStream = protobuf.NewRawSerializer(c.Scheme, c.Scheme)
	}
	return rt
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

// SetGroupVersion serves the declared group version, replacing what was
// there, and publishes it: discovery, OpenAPI, the catalog and, for Go
// types, the scheme. A group version whose resources are all Go types is
// built in. It fails, changing nothing, for an invalid declaration: what
// can fail (field managers, the OpenAPI documents) comes before anything
// is published; for a built-in group, whose typing and description wait
// for first use, the checks that need no definition.
func (rt *Router) SetGroupVersion(gv rest.GroupVersion) error {
	if err := gv.Validate(); err != nil {
		return err
	}
	builtin := len(gv.Resources) > 0
	for i := range gv.Resources {
		builtin = builtin && gv.Resources[i].Typed()
	}
	var defaulter runtime.ObjectDefaulter
	if builtin && rt.config.Scheme != nil {
		defaulter = rt.config.Scheme
	}
	// A built-in group is described, and each of its resources typed for
	// server-side apply, on first use: its definitions are generated, and
	// tests check that every one describes and types
	// (Check, TestBuiltinGroupsType). A custom one is checked now, so that an
	// invalid one changes nothing.
	fms := make(map[string]func() (map[string]*managedfields.FieldManager, error), len(gv.Resources))
	if builtin {
		if err := openapi.CheckGroupVersion(gv.GroupVersion, openAPIResources(gv, false)); err != nil {
			return fmt.Errorf("OpenAPI of %s: %w", gv.GroupVersion, err)
		}
		described := sync.OnceValue(func() []openapi.Resource { return openAPIResources(gv, true) })
		for i := range gv.Resources {
			d := &gv.Resources[i]
			fms[d.Info.Resource] = sync.OnceValues(func() (map[string]*managedfields.FieldManager, error) {
				return fieldManagers(gv.GroupVersion, d, described(), defaulter)
			})
		}
		if rt.config.OpenAPI != nil {
			rt.config.OpenAPI.AddGroupVersionFunc(gv.GroupVersion, described)
		}
	} else {
		described := openAPIResources(gv, true)
		for i := range gv.Resources {
			d := &gv.Resources[i]
			built, err := fieldManagers(gv.GroupVersion, d, described, defaulter)
			if err != nil {
				return err
			}
			fms[d.Info.Resource] = func() (map[string]*managedfields.FieldManager, error) { return built, nil }
		}
		if rt.config.OpenAPI != nil {
			if err := rt.config.OpenAPI.AddGroupVersion(gv.GroupVersion, described); err != nil {
				return fmt.Errorf("OpenAPI of %s: %w", gv.GroupVersion, err)
			}
		}
	}
	if builtin && rt.config.Scheme != nil {
		register(rt.config.Scheme, gv)
	}
	byName := make(map[string]*handlers.Resource, len(gv.Resources))
	for _, decl := range gv.Resources {
		h := &handlers.Resource{
			Decl: decl, Stopping: rt.config.Stopping, Timeout: rt.config.Timeout, MinRequestTimeout: rt.config.MinRequestTimeout, Table: decl.Table,
			Builtin: builtin, Defaulter: defaulter, FieldManagers: fms[decl.Info.Resource],
			Protobuf: rt.protobuf, ProtobufStream: rt.protobufStream,
		}
		if h.Table == nil {
			h.Table = tables.DefaultTableConvertor(decl.Info.GroupResource())
		}
		byName[decl.Info.Resource] = h
	}
	rt.mu.Lock()
	rt.groups[gv.GroupVersion] = byName
	rt.mu.Unlock()
	rt.config.Discovery.SetGroupVersion(gv.GroupVersion, discoveryResources(gv), builtin)
	if rt.config.Catalog != nil {
		rt.config.Catalog.Set(gv, builtin)
	}
	return nil
}

// Check builds now what SetGroupVersion leaves for first use on a
// built-in group version: its description for the OpenAPI documents (every
// resource with a generated definition, every reference resolved) and the
// field managers of each resource and subresource. Tests run it on every
// built-in group version, as start did before it deferred this work.
func Check(gv rest.GroupVersion) error {
	described := openAPIResources(gv, true)
	for i := range gv.Resources {
		d := &gv.Resources[i]
		if !slices.ContainsFunc(described, func(r openapi.Resource) bool { return r.Plural == d.Info.Resource }) {
			return fmt.Errorf("%s: no generated OpenAPI definition", d.Info.GroupResource())
		}
		if _, err := fieldManagers(gv.GroupVersion, d, described, nil); err != nil {
			return fmt.Errorf("%s: %w", d.Info.GroupResource(), err)
		}
	}
	if _, err := openapi.Models(gv.GroupVersion, described); err != nil {
		return err
	}
	return nil
}

// Models returns the OpenAPI models of the resources of gvs together: a
// custom resource's in every version it is served in, which server-side
// apply types the objects of any of those versions with (rest.Versions).
func Models(gvs ...rest.GroupVersion) (map[string]*spec.Schema, error) {
	out := map[string]*spec.Schema{}
	for _, gv := range gvs {
		models, err := openapi.Models(gv.GroupVersion, openAPIResources(gv, true))
		if err != nil {
			return nil, err
		}
		// Definitions shared by the versions (ObjectMeta, DeleteOptions)
		// type the same whichever version's copy is kept.
		maps.Copy(out, models)
	}
	return out, nil
}

// fieldManagers builds the server-side apply field managers of resource d
// of gv and of its subresources (a scale's in terms of its Scale), by
// subresource, typed by the OpenAPI models the documents serve when
// described has d. Each resource is typed alone, from the definitions its
// kinds reference: a server types what its clients write, not every kind
// of a group. A resource with a status subresource resets status on the
// main endpoint, and spec on the status endpoint, as kube-apiserver's
// strategies do.
func fieldManagers(gv schema.GroupVersion, d *rest.Resource, described []openapi.Resource, defaulter runtime.ObjectDefaulter) (map[string]*managedfields.FieldManager, error) {
	tc := fieldmanager.TypeConverter(nil, false)
	var convert func(*unstructured.Unstructured, string) (*unstructured.Unstructured, error)
	switch i := slices.IndexFunc(described, func(r openapi.Resource) bool { return r.Plural == d.Info.Resource }); {
	case d.Versions != nil:
		models, err := d.Versions.Models()
		if err != nil {
			return nil, err
		}
		tc, convert = fieldmanager.TypeConverter(models, false), d.Versions.Convert
	case i >= 0:
		models, err := openapi.Models(gv, described[i:i+1])
		if err != nil {
			return nil, err
		}
		tc = fieldmanager.TypeConverter(models, false)
	}
	_, hasStatus := d.Subresource("status")
	mainReset := []string(nil)
	if hasStatus {
		mainReset = []string{"status"}
	}
	fms := map[string]*managedfields.FieldManager{}
	fm, err := fieldmanager.New(tc, fieldmanager.Config{Kind: d.Info.GroupVersionKind(), New: d.Storage.New, Reset: mainReset, Defaulter: defaulter, Convert: convert})
	if err != nil {
		return nil, err
	}
	fms[""] = fm
	for j := range d.Subresources {
		sub := &d.Subresources[j]
		var reset []string
		if sub.Name == "status" {
			reset = []string{"spec"}
		}
		kind := d.KindOf(sub)
		subConvert := convert
		if kind != d.Info.GroupVersionKind() {
			subConvert = nil // a Scale is served in one version
		}
		fm, err := fieldmanager.New(tc, fieldmanager.Config{Kind: kind, Subresource: sub.Name, New: sub.Storage.New, Reset: reset, Defaulter: defaulter, Convert: subConvert})
		if err != nil {
			return nil, err
		}
		fms[sub.Name] = fm
	}
	return fms, nil
}

// discoveryResources lists gv's resources and subresources as /apis/<gv>
// shows them.
func discoveryResources(gv rest.GroupVersion) []metav1.APIResource {
	var list []metav1.APIResource
	for i := range gv.Resources {
		d := &gv.Resources[i]
		info := d.Info
		r := metav1.APIResource{
			Name: info.Resource, SingularName: info.Singular, Namespaced: info.Namespaced, Kind: info.Kind,
			Verbs: d.ServedVerbs(), ShortNames: info.ShortNames, Categories: info.Categories,
		}
		if sv, ok := d.Storage.(rest.StorageVersioner); ok {
			r.StorageVersionHash = storageVersionHash(sv.StorageVersion())
		}
		list = append(list, r)
		for j := range d.Subresources {
			sub := &d.Subresources[j]
			r := metav1.APIResource{Name: info.Resource + "/" + sub.Name, Namespaced: info.Namespaced, Kind: d.KindOf(sub).Kind, Verbs: sub.ServedVerbs()}
			if sub.Kind.Kind != "" && sub.Kind.GroupVersion() != gv.GroupVersion {
				r.Group, r.Version = sub.Kind.Group, sub.Kind.Version
			}
			list = append(list, r)
		}
	}
	return list
}

// storageVersionHash is kube-apiserver's opaque hash of a storage kind:
// the first 8 bytes of the SHA-256 of "group/version/kind", in base64.
func storageVersionHash(gvk schema.GroupVersionKind) string {
	sum := sha256.Sum256([]byte(gvk.Group + "/" + gvk.Version + "/" + gvk.Kind))
	return base64.StdEncoding.EncodeToString(sum[:8])
}

// openAPIResources describes gv for the OpenAPI documents. With present,
// Go types without a generated definition are left out; without, nothing
// is loaded and every Go type names its definition.
func openAPIResources(gv rest.GroupVersion, present bool) []openapi.Resource {
	var out []openapi.Resource
	for i := range gv.Resources {
		d := &gv.Resources[i]
		r := openapi.Resource{Kind: d.Info.Kind, ListKind: d.Info.ListKind, Plural: d.Info.Resource,
			Namespaced: d.Info.Namespaced, Verbs: d.ServedVerbs(), Schema: d.OpenAPISchema}
		if r.Schema == nil {
			def, ok := openapi.GoDefinitionName(d.Storage.New())
			if ok && present {
				def, ok = openapi.BuiltinDefinition(d.Storage.New())
			}
			if !ok {
				continue
			}
			r.Definition = def
		}
		for j := range d.Subresources {
			// An exchange (a log stream, an exec session) has no object
			// to describe.
			if _, exchange := d.Subresources[j].Storage.(rest.Connecter); !exchange {
				r.Subresources = append(r.Subresources, d.Subresources[j].Name)
			}
		}
		out = append(out, r)
	}
	return out
}

// register adds gv's Go types to the scheme, with the option kinds every
// group version has.
func register(s *runtime.Scheme, gv rest.GroupVersion) {
	for i := range gv.Resources {
		d := &gv.Resources[i]
		s.AddKnownTypeWithName(d.Info.GroupVersionKind(), d.Storage.New())
		if defaults := d.Defaults; defaults != nil {
			s.AddTypeDefaultingFunc(d.Storage.New(), func(obj any) { defaults(obj.(runtime.Object)) })
		}
		if l, ok := d.Storage.(rest.Lister); ok {
			s.AddKnownTypeWithName(gv.WithKind(d.Info.ListKind), l.NewList())
		}
	}
	metav1.AddToGroupVersion(s, gv.GroupVersion)
}

// RemoveGroupVersion stops serving gv.
func (rt *Router) RemoveGroupVersion(gv schema.GroupVersion) {
	rt.mu.Lock()
	delete(rt.groups, gv)
	rt.mu.Unlock()
	rt.config.Discovery.RemoveGroupVersion(gv)
	if rt.config.Catalog != nil {
		rt.config.Catalog.Remove(gv)
	}
	if rt.config.OpenAPI != nil {
		rt.config.OpenAPI.RemoveGroupVersion(gv)
	}
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
				rt.config.Discovery.ServeGroup(w, r, group)
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
		rt.config.Discovery.ServeResourceList(w, r, gv)
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
	// A group no server of the chain serves is not an API path at all:
	// kube-apiserver answers it with a plain 404, and a known group's
	// unknown version with a Status.
	if group, ok := apisGroup(r.URL.Path); ok && !rt.config.Discovery.HasGroup(group) {
		http.NotFound(w, r)
		return
	}
	responsewriters.WriteError(w, r, discovery.NotFound())
}

// apisGroup returns the group of a path under /apis/.
func apisGroup(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/apis/")
	if !ok {
		return "", false
	}
	group, _, _ := strings.Cut(rest, "/")
	return group, group != ""
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
	namespaced := res.Decl.Info.Namespaced
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
