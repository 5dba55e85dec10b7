package openapi

import (
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/builder3/util"
	"k8s.io/kube-openapi/pkg/schemamutation"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// The property descriptions of custom resources are those of every
// built-in kind; ConfigMap is one.
const descriptionSource = "io.k8s.api.core.v1.ConfigMap"

// customDefinitions returns the definitions of a resource registered with
// its own schema: the kind, completed as kube-apiserver completes a custom
// resource's schema, and its list.
func customDefinitions(gv schema.GroupVersion, r Resource) map[string]*definition {
	listDef := r.listDefinition()
	obj := &definition{deps: []string{defObjectMeta}}
	obj.v3 = *util.WrapRefs(ptr(objectSchema(*r.Schema, v3RefPrefix)))
	if preserve, _ := r.Schema.Extensions[extPreserveUnknownFields].(bool); preserve {
		// As kube-apiserver: kubectl's v2 validation would refuse every
		// field a listed property does not name, even apiVersion's
		// siblings, so such a kind is published as just an object.
		obj.v2 = spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"object"}}}
		withSelectableFields(&obj.v2, r.Schema)
	} else {
		obj.v2 = objectSchema(*toV2(r.Schema), v2RefPrefix)
	}
	list := &definition{deps: []string{defListMeta, r.Definition}}
	list.v3 = *util.WrapRefs(ptr(listSchema(r, v3RefPrefix)))
	list.v2 = listSchema(r, v2RefPrefix)
	withSelectableFields(&list.v3, r.Schema)
	withSelectableFields(&list.v2, r.Schema)
	return map[string]*definition{r.Definition: obj, listDef: list}
}

func ptr[T any](v T) *T { return &v }

// ExtSelectableFields lists the field selectors a custom resource's objects
// support beyond metadata.name and metadata.namespace, as kube-apiserver
// marks its kind and list definitions: [{"fieldPath": "spec.color"}].
const ExtSelectableFields = "x-kubernetes-selectable-fields"

// withSelectableFields copies the selectable fields of a kind's schema to
// s, a definition built beside it.
func withSelectableFields(s *spec.Schema, kind *spec.Schema) {
	if v, ok := kind.Extensions[ExtSelectableFields]; ok {
		s.AddExtension(ExtSelectableFields, v)
	}
}

// objectSchema adds the apiVersion, kind and metadata properties to s.
func objectSchema(s spec.Schema, refPrefix string) spec.Schema {
	props := mustBuiltin(descriptionSource).v2.Properties
	s.Type = spec.StringOrArray{"object"}
	s.Properties = maps.Clone(s.Properties)
	if s.Properties == nil {
		s.Properties = map[string]spec.Schema{}
	}
	s.Properties["apiVersion"] = stringProperty(props["apiVersion"].Description)
	s.Properties["kind"] = stringProperty(props["kind"].Description)
	s.Properties["metadata"] = spec.Schema{SchemaProps: spec.SchemaProps{
		Description: props["metadata"].Description,
		Ref:         spec.MustCreateRef(refPrefix + defObjectMeta),
	}}
	return s
}

func listSchema(r Resource, refPrefix string) spec.Schema {
	props := mustBuiltin(descriptionSource).v2.Properties
	return spec.Schema{SchemaProps: spec.SchemaProps{
		Description: r.ListKind + " is a list of " + r.Kind,
		Type:        spec.StringOrArray{"object"},
		Required:    []string{"items"},
		Properties: map[string]spec.Schema{
			"apiVersion": stringProperty(props["apiVersion"].Description),
			"kind":       stringProperty(props["kind"].Description),
			"items": {SchemaProps: spec.SchemaProps{
				Description: "List of " + r.Plural + ". More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
				Type:        spec.StringOrArray{"array"},
				Items:       &spec.SchemaOrArray{Schema: refSchema(refPrefix, r.Definition)},
			}},
			"metadata": {SchemaProps: spec.SchemaProps{
				Description: "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
				Ref:         spec.MustCreateRef(refPrefix + defListMeta),
			}},
		},
	}}
}

func stringProperty(desc string) spec.Schema {
	return spec.Schema{SchemaProps: spec.SchemaProps{Description: desc, Type: spec.StringOrArray{"string"}}}
}

const extPreserveUnknownFields = "x-kubernetes-preserve-unknown-fields"

// toV2 returns the Swagger 2.0 form of a custom resource's OpenAPI v3
// schema, as kube-apiserver publishes it: v2 has no oneOf, anyOf, not or
// nullable, and kubectl's v2 model cannot cope with typed values it may not
// look into (nullable or unknown-preserving ones) nor with arrays without
// items, so those lose their type or their nested schemas. s is unchanged.
func toV2(s *spec.Schema) *spec.Schema {
	w := schemamutation.Walker{
		SchemaCallback: func(in *spec.Schema) *spec.Schema {
			out := *in
			out.AllOf, out.OneOf, out.AnyOf, out.Not = nil, nil, nil, nil
			if out.Nullable {
				out.Type, out.Nullable, out.Items, out.Properties = nil, false, nil, nil
			}
			if preserve, _ := out.Extensions[extPreserveUnknownFields].(bool); preserve {
				out.Items, out.Properties = nil, nil
			}
			if out.Items == nil && out.Type.Contains("array") {
				out.Type = nil
			}
			// kubectl's v2 model does not handle an object whose unknown
			// fields are kept either.
			if preserve, _ := out.Extensions[extPreserveUnknownFields].(bool); preserve && out.Type.Contains("object") {
				out.Type = nil
			}
			out.Required = slices.DeleteFunc(slices.Clone(out.Required), func(name string) bool {
				p, ok := out.Properties[name]
				return ok && p.Nullable
			})
			if ap := out.AdditionalProperties; ap != nil && ap.Schema != nil && ap.Schema.Nullable {
				out.Required = nil
			}
			if len(out.Required) == 0 {
				out.Required = nil
			}
			return &out
		},
		RefCallback: schemamutation.RefCallbackNoop,
	}
	return w.WalkSchema(s)
}
