package openapi

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// ErrUnknownDefinition is wrapped by the errors for a reference to a
// definition that is neither built in nor registered with a resource.
var ErrUnknownDefinition = errors.New("unknown definition")

// content is what one document describes: its operations, the definitions
// it may use beyond the built-in ones, and the group-version-kinds that
// mark definitions.
type content struct {
	routes []route
	local  map[string]*definition
	gvks   map[string][]gvkExtension
}

// merge adds other's routes, definitions and kinds to c.
func (c *content) merge(other content) {
	c.routes = append(c.routes, other.routes...)
	if c.local == nil {
		c.local = map[string]*definition{}
	}
	maps.Copy(c.local, other.local)
	if c.gvks == nil {
		c.gvks = map[string][]gvkExtension{}
	}
	for name, gvks := range other.gvks {
		c.gvks[name] = append(c.gvks[name], gvks...)
	}
}

// roots returns the definitions the operations reference.
func (c *content) roots() []string {
	var out []string
	for _, rt := range c.routes {
		if rt.body != "" {
			out = append(out, rt.body)
		}
		for _, resp := range rt.responses {
			if resp.def != "" {
				out = append(out, resp.def)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (c *content) lookup(name string) (*definition, error) {
	if d, ok := c.local[name]; ok {
		return d, nil
	}
	if d, ok := builtin(name); ok {
		return d, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownDefinition, name)
}

// closure returns the definitions the operations reference, directly or
// through other definitions, with the kinds that mark them.
func (c *content) closure() (map[string]*definition, error) {
	out := map[string]*definition{}
	queue := c.roots()
	for len(queue) > 0 {
		name := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if _, seen := out[name]; seen {
			continue
		}
		d, err := c.lookup(name)
		if err != nil {
			return nil, err
		}
		out[name] = d
		queue = append(queue, d.deps...)
	}
	return out, nil
}

// marked returns s with x-kubernetes-group-version-kind set to the kinds
// of name, if it has any; s itself is left as it is.
func (c *content) marked(name string, s spec.Schema) spec.Schema {
	gvks := c.gvks[name]
	if len(gvks) == 0 {
		return s
	}
	gvks = slices.Clone(gvks)
	slices.SortFunc(gvks, compareGVK)
	gvks = slices.Compact(gvks)
	values := make([]any, len(gvks))
	for i, g := range gvks {
		values[i] = g.value()
	}
	s.Extensions = maps.Clone(s.Extensions)
	if s.Extensions == nil {
		s.Extensions = spec.Extensions{}
	}
	s.Extensions[extGVK] = values
	return s
}

const (
	extGVK    = "x-kubernetes-group-version-kind"
	extAction = "x-kubernetes-action"
)

// groupVersionContent returns the content of one group-version.
func groupVersionContent(gv schema.GroupVersion, resources []Resource, local map[string]*definition) content {
	c := content{local: local, gvks: map[string][]gvkExtension{}}
	mark := func(def string, g gvkExtension) { c.gvks[def] = append(c.gvks[def], g) }
	for _, r := range resources {
		c.routes = append(c.routes, resourceRoutes(gv, r)...)
		mark(r.Definition, gvkExtension{Group: gv.Group, Version: gv.Version, Kind: r.Kind})
		mark(r.listDefinition(), gvkExtension{Group: gv.Group, Version: gv.Version, Kind: r.ListKind})
		if slices.Contains(r.Subresources, "scale") {
			mark(defScale, gvkScale)
		}
		for _, sub := range r.Subresources {
			if c, ok := createSubresources[sub]; ok {
				mark(c.def, c.gvk)
			}
		}
	}
	c.routes = append(c.routes, groupVersionDiscoveryRoute(gv))
	// kube-apiserver registers these option and event kinds in every
	// group-version, and the discovery kinds in core/v1 only.
	mark(defDeleteOptions, gvkExtension{Group: gv.Group, Version: gv.Version, Kind: "DeleteOptions"})
	mark(defWatchEvent, gvkExtension{Group: gv.Group, Version: gv.Version, Kind: "WatchEvent"})
	c.merge(coreKinds())
	return c
}

// coreKinds marks the kinds kube-apiserver registers as unversioned in
// core/v1.
func coreKinds() content {
	c := content{gvks: map[string][]gvkExtension{}}
	for def, kind := range map[string]string{
		defStatus: "Status", defAPIVersions: "APIVersions", defAPIGroupList: "APIGroupList",
		defAPIGroup: "APIGroup", defAPIResourceList: "APIResourceList",
	} {
		c.gvks[def] = []gvkExtension{{Version: "v1", Kind: kind}}
	}
	return c
}
