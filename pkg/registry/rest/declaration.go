package rest

import (
	"fmt"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// GroupVersion declares everything served under one group version. It is
// the one place a resource is named: routing, discovery, OpenAPI, the
// scheme, namespace cleanup and the groups custom resources may not claim
// are all derived from it.
type GroupVersion struct {
	schema.GroupVersion
	Resources []Resource
}

// Resource declares one resource of a group version.
type Resource struct {
	// Info names the resource. Info.Verbs may narrow what the storage
	// implements (namespaces have no deletecollection); empty means every
	// verb the storage implements.
	Info ResourceInfo
	// Storage serves the resource through the verb interfaces it
	// implements.
	Storage Storage
	// Subresources are served at <object>/<name>.
	Subresources []Subresource
	// Table prints objects for kubectl get; nil prints kube-apiserver's
	// default table (Name and Created At).
	Table TableConvertor
	// OpenAPISchema is the OpenAPI v3 schema of a custom resource's kind.
	// Built-in types leave it nil: their definition is found by Go type.
	OpenAPISchema *spec.Schema
	// Prune, when set, removes the fields a schema does not know from a
	// decoded body (custom resources) and returns one message per field,
	// as `unknown field "spec.foo"`, for fieldValidation.
	Prune func(obj runtime.Object) ([]string, error)
	// Defaults, when set, is registered in the scheme as the defaulting of
	// a built-in type (see Type.Defaults).
	Defaults func(obj runtime.Object)
	// Warning, when set, is sent to every client of the resource as a
	// Warning header, as kube-apiserver warns of deprecated APIs.
	Warning string
	// OnRead, when set, adjusts every object on its way to a client: custom
	// resources get the defaults of their schema, as kube-apiserver applies
	// them on read too.
	OnRead func(obj runtime.Object)
	// Versions, when set, is the resource in every version it is served
	// in (a custom resource): server-side apply converts the fields a
	// manager recorded through one version to the version of a request.
	Versions *Versions
}

// Versions describes the versions of one resource's objects.
type Versions struct {
	// Models returns the OpenAPI models of the kind in every version.
	Models func() (map[string]*spec.Schema, error)
	// Convert returns obj in apiVersion ("group/version").
	Convert func(obj *unstructured.Unstructured, apiVersion string) (*unstructured.Unstructured, error)
}

// Subresource declares one subresource, such as status, scale or finalize.
type Subresource struct {
	Name    string
	Storage Storage
	// Kind is the kind of the subresource's objects; empty means the
	// resource's own (status, finalize). Scale is autoscaling/v1 Scale.
	Kind schema.GroupVersionKind
	// Verbs narrows what the storage implements, as Resource.Info.Verbs.
	Verbs []string
}

// ServedVerbs returns the verbs served: the declared ones, or every verb the
// storage implements.
func (r *Resource) ServedVerbs() []string {
	if len(r.Info.Verbs) > 0 {
		return r.Info.Verbs
	}
	return VerbsOf(r.Storage)
}

// ServedVerbs returns the verbs served on the subresource.
func (s *Subresource) ServedVerbs() []string {
	if len(s.Verbs) > 0 {
		return s.Verbs
	}
	return VerbsOf(s.Storage)
}

// KindOf returns the kind of the subresource's objects.
func (r *Resource) KindOf(s *Subresource) schema.GroupVersionKind {
	if s.Kind.Kind != "" {
		return s.Kind
	}
	return r.Info.GroupVersionKind()
}

// Subresource returns the declared subresource name, if any.
func (r *Resource) Subresource(name string) (*Subresource, bool) {
	for i := range r.Subresources {
		if r.Subresources[i].Name == name {
			return &r.Subresources[i], true
		}
	}
	return nil, false
}

// Typed reports whether the resource's objects are Go types (built-in)
// rather than unstructured content (custom resources): only those have
// strategic merge patches and protobuf.
func (r *Resource) Typed() bool {
	_, unstr := r.Storage.New().(*unstructured.Unstructured)
	return !unstr
}

// Validate checks that the declaration is complete and consistent.
func (gv *GroupVersion) Validate() error {
	seen := map[string]bool{}
	for i := range gv.Resources {
		r := &gv.Resources[i]
		name := r.Info.Resource
		switch {
		case name == "" || r.Info.Kind == "":
			return fmt.Errorf("%s: a resource needs a name and a kind", gv.GroupVersion)
		case r.Storage == nil:
			return fmt.Errorf("%s %s: no storage", gv.GroupVersion, name)
		case seen[name]:
			return fmt.Errorf("%s %s: declared twice", gv.GroupVersion, name)
		case r.Info.GroupVersion() != gv.GroupVersion:
			return fmt.Errorf("%s %s: declared in %s", gv.GroupVersion, name, r.Info.GroupVersion())
		}
		seen[name] = true
		for _, v := range r.ServedVerbs() {
			if !slices.Contains(VerbsOf(r.Storage), v) {
				return fmt.Errorf("%s %s: verb %s is declared but the storage does not implement it", gv.GroupVersion, name, v)
			}
		}
		for j := range r.Subresources {
			s := &r.Subresources[j]
			if s.Name == "" || s.Storage == nil {
				return fmt.Errorf("%s %s: a subresource needs a name and a storage", gv.GroupVersion, name)
			}
			for _, v := range s.ServedVerbs() {
				if !slices.Contains(VerbsOf(s.Storage), v) {
					return fmt.Errorf("%s %s/%s: verb %s is declared but the storage does not implement it", gv.GroupVersion, name, s.Name, v)
				}
			}
		}
	}
	return nil
}

// Catalog is every group version served, by all servers of the chain. It
// answers what other parts derive from the declarations: which namespaced
// resources a namespace's deletion must empty, and which groups are built
// in (and so may not be claimed by a custom resource definition).
type Catalog struct {
	mu      sync.RWMutex
	gvs     map[schema.GroupVersion]GroupVersion
	builtin map[string]bool
	order   []schema.GroupVersion
	changed chan struct{}
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog {
	return &Catalog{gvs: map[schema.GroupVersion]GroupVersion{}, builtin: map[string]bool{}, changed: make(chan struct{})}
}

// Changed returns a channel closed at the next change of the catalog, for
// those who follow it (the garbage collector watches every resource).
func (c *Catalog) Changed() <-chan struct{} {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.changed
}

// notify wakes those waiting on Changed; c.mu is held.
func (c *Catalog) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Set records gv, replacing what it held. builtin marks its group as one
// the server serves itself.
func (c *Catalog) Set(gv GroupVersion, builtin bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.gvs[gv.GroupVersion]; !ok {
		c.order = append(c.order, gv.GroupVersion)
	}
	c.gvs[gv.GroupVersion] = gv
	if builtin {
		c.builtin[gv.Group] = true
	}
	c.notify()
}

// Remove forgets gv.
func (c *Catalog) Remove(gv schema.GroupVersion) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.gvs, gv)
	c.order = slices.DeleteFunc(c.order, func(o schema.GroupVersion) bool { return o == gv })
	c.notify()
}

// BuiltinGroup reports whether group is served by a built-in declaration.
func (c *Catalog) BuiltinGroup(group string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.builtin[group]
}

// Namespaced returns one declaration per namespaced group resource (the
// first version registered: all versions share the objects), custom
// resources included.
func (c *Catalog) Namespaced() []Resource {
	return slices.DeleteFunc(c.Resources(), func(r Resource) bool { return !r.Info.Namespaced })
}

// Resources returns one declaration per group resource, as Namespaced does,
// of either scope.
func (c *Catalog) Resources() []Resource {
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := map[schema.GroupResource]bool{}
	var out []Resource
	for _, gv := range c.order {
		for _, r := range c.gvs[gv].Resources {
			gr := r.Info.GroupResource()
			if !seen[gr] {
				seen[gr] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// Resource returns the declaration of group resource gr, as Resources
// lists it.
func (c *Catalog) Resource(gr schema.GroupResource) (Resource, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, gv := range c.order {
		if gv.Group != gr.Group {
			continue
		}
		for _, r := range c.gvs[gv].Resources {
			if r.Info.Resource == gr.Resource {
				return r, true
			}
		}
	}
	return Resource{}, false
}

// Versions returns the declarations of gr in every served version, in
// the order they were registered.
func (c *Catalog) Versions(gr schema.GroupResource) []ResourceInfo {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []ResourceInfo
	for _, gv := range c.order {
		if gv.Group != gr.Group {
			continue
		}
		for _, r := range c.gvs[gv].Resources {
			if r.Info.Resource == gr.Resource {
				out = append(out, r.Info)
			}
		}
	}
	return out
}

// ResourceOf returns the resource whose objects are of kind gvk, as an
// ownerReference names them: the declaration of gvk's version, or else of
// any version of its group that serves the kind (the objects are the same).
func (c *Catalog) ResourceOf(gvk schema.GroupVersionKind) (Resource, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	find := func(gv GroupVersion) (Resource, bool) {
		for _, r := range gv.Resources {
			if r.Info.Kind == gvk.Kind {
				return r, true
			}
		}
		return Resource{}, false
	}
	if r, ok := find(c.gvs[gvk.GroupVersion()]); ok {
		return r, true
	}
	for _, v := range c.order {
		if v.Group == gvk.Group {
			if r, ok := find(c.gvs[v]); ok {
				return r, true
			}
		}
	}
	return Resource{}, false
}
