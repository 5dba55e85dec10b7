package openapi

import (
	"strings"

	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Resolved returns the OpenAPI v3 schema of the built-in definition name
// ("io.k8s.api.apps.v1.Deployment") with every reference replaced by what
// it refers to, as CEL type checking reads a kind: one self-contained
// tree. A reference back into a definition being resolved (a recursive
// type) becomes an empty schema, which types as anything.
func Resolved(name string) (*spec.Schema, bool) {
	def, ok := builtin(name)
	if !ok {
		return nil, false
	}
	r := resolver{open: map[string]bool{name: true}}
	s := r.schema(def.v3)
	return &s, true
}

type resolver struct {
	open map[string]bool
}

// schema returns a copy of s with its references resolved.
func (r *resolver) schema(s spec.Schema) spec.Schema {
	// A reference with siblings is wrapped in allOf (see buildDefinition):
	// the wrapped definition's fields come first, the siblings' win.
	if len(s.AllOf) == 1 && s.AllOf[0].Ref.String() != "" && len(s.Properties) == 0 {
		target := r.ref(s.AllOf[0].Ref)
		s.AllOf = nil
		merged := target
		if s.Description != "" {
			merged.Description = s.Description
		}
		if s.Default != nil {
			merged.Default = s.Default
		}
		merged.Extensions = mergeExtensions(target.Extensions, s.Extensions)
		return merged
	}
	if s.Ref.String() != "" {
		return r.ref(s.Ref)
	}
	if len(s.Properties) > 0 {
		props := make(map[string]spec.Schema, len(s.Properties))
		for k, p := range s.Properties {
			props[k] = r.schema(p)
		}
		s.Properties = props
	}
	if s.Items != nil && s.Items.Schema != nil {
		item := r.schema(*s.Items.Schema)
		s.Items = &spec.SchemaOrArray{Schema: &item}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		elem := r.schema(*s.AdditionalProperties.Schema)
		s.AdditionalProperties = &spec.SchemaOrBool{Allows: true, Schema: &elem}
	}
	return s
}

func (r *resolver) ref(ref spec.Ref) spec.Schema {
	name := strings.TrimPrefix(ref.String(), v3RefPrefix)
	def, ok := builtin(name)
	if !ok || r.open[name] {
		return spec.Schema{}
	}
	r.open[name] = true
	defer delete(r.open, name)
	return r.schema(def.v3)
}

func mergeExtensions(a, b spec.Extensions) spec.Extensions {
	if len(b) == 0 {
		return a
	}
	out := spec.Extensions{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
