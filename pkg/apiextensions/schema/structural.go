package schema

import (
	"fmt"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// Structural is the structural part of a schema node: what pruning,
// defaulting, embedded-resource and list-type checks need. Value
// validations (enum, bounds, allOf, ...) are left to the kube-openapi
// validator.
type Structural struct {
	// Type is the OpenAPI type, or empty with XIntOrString or
	// XPreserveUnknownFields.
	Type string
	// Nullable allows null as the value.
	Nullable bool
	// Default is the decoded default (int64 for integers, float64 for
	// other numbers), or nil.
	Default any

	// Properties are the known fields of an object.
	Properties map[string]*Structural
	// HasAdditionalProperties is true when additionalProperties is set,
	// as a schema or a boolean.
	HasAdditionalProperties bool
	// AdditionalProperties is the schema of map values, or nil.
	AdditionalProperties *Structural
	// Items is the schema of array items, or nil.
	Items *Structural

	XPreserveUnknownFields bool
	XEmbeddedResource      bool
	XIntOrString           bool
	// XListType is atomic, set, map, or empty.
	XListType string
	// XListMapKeys are the keys of an x-kubernetes-list-type=map list.
	XListMapKeys []string
	// XMapType is atomic, granular, or empty.
	XMapType string
}

// NewStructural builds the structural part of props. allOf, anyOf, oneOf
// and not do not contribute: in a structural schema they may only add
// value validations. It fails on what kube-apiserver does not support:
// items as an array, $ref, and the like.
func NewStructural(props *apiextensionsv1.JSONSchemaProps) (*Structural, error) {
	if props == nil {
		return nil, nil
	}
	if err := unsupported(props); err != nil {
		return nil, err
	}
	s := &Structural{
		Type:                   props.Type,
		Nullable:               props.Nullable,
		XEmbeddedResource:      props.XEmbeddedResource,
		XIntOrString:           props.XIntOrString,
		XListMapKeys:           props.XListMapKeys,
		XPreserveUnknownFields: props.XPreserveUnknownFields != nil && *props.XPreserveUnknownFields,
	}
	if props.XPreserveUnknownFields != nil && !*props.XPreserveUnknownFields {
		return nil, fmt.Errorf("internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined")
	}
	if props.XListType != nil {
		s.XListType = *props.XListType
	}
	if props.XMapType != nil {
		s.XMapType = *props.XMapType
	}
	if props.Default != nil {
		v, err := decodeJSON(props.Default)
		if err != nil {
			return nil, fmt.Errorf("default: %w", err)
		}
		s.Default = v
	}
	if props.Items != nil {
		if props.Items.Schema == nil && len(props.Items.JSONSchemas) > 0 {
			return nil, fmt.Errorf("OpenAPIV3Schema 'items' must be a schema, but is an array")
		}
		items, err := NewStructural(props.Items.Schema)
		if err != nil {
			return nil, err
		}
		s.Items = items
	}
	if props.AdditionalProperties != nil {
		s.HasAdditionalProperties = true
		ap, err := NewStructural(props.AdditionalProperties.Schema)
		if err != nil {
			return nil, err
		}
		s.AdditionalProperties = ap
	}
	if len(props.Properties) > 0 {
		s.Properties = make(map[string]*Structural, len(props.Properties))
		for k := range props.Properties {
			p := props.Properties[k]
			ps, err := NewStructural(&p)
			if err != nil {
				return nil, err
			}
			s.Properties[k] = ps
		}
	}
	return s, nil
}

// unsupported returns kube-apiserver's error for the schema fields it
// refuses to build a structural schema from.
func unsupported(s *apiextensionsv1.JSONSchemaProps) error {
	switch {
	case s.ID != "":
		return fmt.Errorf("OpenAPIV3Schema 'id' is not supported")
	case s.Schema != "":
		return fmt.Errorf("OpenAPIV3Schema 'schema' is not supported")
	case s.Ref != nil:
		return fmt.Errorf("OpenAPIV3Schema '$ref' is not supported")
	case s.PatternProperties != nil:
		return fmt.Errorf("OpenAPIV3Schema 'patternProperties' is not supported")
	case s.Dependencies != nil:
		return fmt.Errorf("OpenAPIV3Schema 'dependencies' is not supported")
	case s.AdditionalItems != nil:
		return fmt.Errorf("OpenAPIV3Schema 'additionalItems' is not supported")
	case s.Definitions != nil:
		return fmt.Errorf("OpenAPIV3Schema 'definitions' is not supported")
	}
	return nil
}

// decodeJSON decodes a raw JSON value as kube-apiserver does: integers as
// int64, other numbers as float64; null is nil.
func decodeJSON(j *apiextensionsv1.JSON) (any, error) {
	if j == nil || len(j.Raw) == 0 || string(j.Raw) == "null" {
		return nil, nil
	}
	var v any
	if err := utiljson.Unmarshal(j.Raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// property returns the schema of field k of an object with schema s: the
// property, else the additionalProperties schema, else nil.
func (s *Structural) property(k string) *Structural {
	if s == nil {
		return nil
	}
	if p, ok := s.Properties[k]; ok {
		return p
	}
	return s.AdditionalProperties
}

// embeddedRoot returns s as the schema of a resource root: a copy marked
// x-kubernetes-embedded-resource, so that apiVersion, kind and metadata are
// kept and checked.
func embeddedRoot(s *Structural) *Structural {
	if s == nil {
		return &Structural{XEmbeddedResource: true}
	}
	if s.XEmbeddedResource {
		return s
	}
	c := *s
	c.XEmbeddedResource = true
	return &c
}
