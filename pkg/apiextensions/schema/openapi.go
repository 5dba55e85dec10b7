package schema

import (
	"strings"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// supportedFormats are the formats kube-apiserver validates; a schema with
// another format validates as if it had none. Names are normalized without
// dashes, as the kube-openapi format registry does.
var supportedFormats = map[string]bool{
	"bsonobjectid": true, "uri": true, "email": true, "hostname": true,
	"ipv4": true, "ipv6": true, "cidr": true, "mac": true,
	"uuid": true, "uuid3": true, "uuid4": true, "uuid5": true,
	"isbn": true, "isbn10": true, "isbn13": true, "creditcard": true,
	"ssn": true, "hexcolor": true, "rgbcolor": true, "byte": true,
	"password": true, "date": true, "duration": true, "datetime": true,
}

// IsSupportedFormat reports whether kube-apiserver validates format.
func IsSupportedFormat(format string) bool {
	return supportedFormats[strings.ReplaceAll(format, "-", "")]
}

// ToOpenAPI converts props to a kube-openapi schema the way kube-apiserver
// does before validating with it: x-kubernetes-int-or-string becomes the
// types integer and string, unsupported formats are dropped when
// stripFormats is set, and the x-kubernetes-* extensions are kept as
// vendor extensions.
func ToOpenAPI(props *apiextensionsv1.JSONSchemaProps, stripFormats bool) (*spec.Schema, error) {
	out := &spec.Schema{}
	if props == nil {
		return out, nil
	}
	if err := convert(props, out, stripFormats); err != nil {
		return nil, err
	}
	return out, nil
}

func convert(in *apiextensionsv1.JSONSchemaProps, out *spec.Schema, strip bool) error {
	out.ID = in.ID
	out.Schema = spec.SchemaURL(in.Schema)
	out.Description = in.Description
	if in.Type != "" {
		out.Type = spec.StringOrArray{in.Type}
	}
	if in.XIntOrString {
		out.AddExtension("x-kubernetes-int-or-string", true)
		out.Type = spec.StringOrArray{"integer", "string"}
	}
	out.Nullable = in.Nullable
	out.Format = in.Format
	if strip && out.Format != "" && !IsSupportedFormat(out.Format) {
		out.Format = ""
	}
	out.Title = in.Title
	out.Maximum, out.ExclusiveMaximum = in.Maximum, in.ExclusiveMaximum
	out.Minimum, out.ExclusiveMinimum = in.Minimum, in.ExclusiveMinimum
	out.MaxLength, out.MinLength, out.Pattern = in.MaxLength, in.MinLength, in.Pattern
	out.MaxItems, out.MinItems, out.UniqueItems = in.MaxItems, in.MinItems, in.UniqueItems
	out.MultipleOf = in.MultipleOf
	out.MaxProperties, out.MinProperties = in.MaxProperties, in.MinProperties
	out.Required = in.Required
	var err error
	if out.Default, err = decodeJSON(in.Default); err != nil {
		return err
	}
	if out.Example, err = decodeJSON(in.Example); err != nil {
		return err
	}
	if in.Enum != nil {
		out.Enum = make([]any, len(in.Enum))
		for i := range in.Enum {
			if out.Enum[i], err = decodeJSON(&in.Enum[i]); err != nil {
				return err
			}
		}
	}
	if err := convertSlices(in, out, strip); err != nil {
		return err
	}
	if err := convertMaps(in, out, strip); err != nil {
		return err
	}
	if in.Ref != nil {
		if out.Ref, err = spec.NewRef(*in.Ref); err != nil {
			return err
		}
	}
	if in.ExternalDocs != nil {
		out.ExternalDocs = &spec.ExternalDocumentation{Description: in.ExternalDocs.Description, URL: in.ExternalDocs.URL}
	}
	addExtensions(in, out)
	return nil
}

func convertSlices(in *apiextensionsv1.JSONSchemaProps, out *spec.Schema, strip bool) error {
	var err error
	if out.AllOf, err = convertList(in.AllOf, strip); err != nil {
		return err
	}
	if out.OneOf, err = convertList(in.OneOf, strip); err != nil {
		return err
	}
	if out.AnyOf, err = convertList(in.AnyOf, strip); err != nil {
		return err
	}
	if in.Not != nil {
		out.Not = &spec.Schema{}
		if err := convert(in.Not, out.Not, strip); err != nil {
			return err
		}
	}
	if in.Items != nil {
		out.Items = &spec.SchemaOrArray{}
		if in.Items.Schema != nil {
			out.Items.Schema = &spec.Schema{}
			if err := convert(in.Items.Schema, out.Items.Schema, strip); err != nil {
				return err
			}
		}
		if in.Items.JSONSchemas != nil {
			if out.Items.Schemas, err = convertList(in.Items.JSONSchemas, strip); err != nil {
				return err
			}
		}
	}
	return nil
}

func convertMaps(in *apiextensionsv1.JSONSchemaProps, out *spec.Schema, strip bool) error {
	var err error
	if out.Properties, err = convertMap(in.Properties, strip); err != nil {
		return err
	}
	if out.PatternProperties, err = convertMap(in.PatternProperties, strip); err != nil {
		return err
	}
	if out.Definitions, err = convertMap(in.Definitions, strip); err != nil {
		return err
	}
	if out.AdditionalProperties, err = convertOrBool(in.AdditionalProperties, strip); err != nil {
		return err
	}
	if out.AdditionalItems, err = convertOrBool(in.AdditionalItems, strip); err != nil {
		return err
	}
	if in.Dependencies != nil {
		out.Dependencies = make(spec.Dependencies, len(in.Dependencies))
		for k, v := range in.Dependencies {
			d := spec.SchemaOrStringArray{Property: v.Property}
			if v.Schema != nil {
				d.Schema = &spec.Schema{}
				if err := convert(v.Schema, d.Schema, strip); err != nil {
					return err
				}
			}
			out.Dependencies[k] = d
		}
	}
	return nil
}

func convertList(in []apiextensionsv1.JSONSchemaProps, strip bool) ([]spec.Schema, error) {
	if in == nil {
		return nil, nil
	}
	out := make([]spec.Schema, len(in))
	for i := range in {
		if err := convert(&in[i], &out[i], strip); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func convertMap(in map[string]apiextensionsv1.JSONSchemaProps, strip bool) (map[string]spec.Schema, error) {
	if in == nil {
		return nil, nil
	}
	out := make(map[string]spec.Schema, len(in))
	for k := range in {
		v := in[k]
		var s spec.Schema
		if err := convert(&v, &s, strip); err != nil {
			return nil, err
		}
		out[k] = s
	}
	return out, nil
}

func convertOrBool(in *apiextensionsv1.JSONSchemaPropsOrBool, strip bool) (*spec.SchemaOrBool, error) {
	if in == nil {
		return nil, nil
	}
	out := &spec.SchemaOrBool{Allows: in.Allows}
	if in.Schema != nil {
		out.Schema = &spec.Schema{}
		if err := convert(in.Schema, out.Schema, strip); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func addExtensions(in *apiextensionsv1.JSONSchemaProps, out *spec.Schema) {
	if in.XPreserveUnknownFields != nil {
		out.AddExtension("x-kubernetes-preserve-unknown-fields", *in.XPreserveUnknownFields)
	}
	if in.XEmbeddedResource {
		out.AddExtension("x-kubernetes-embedded-resource", true)
	}
	if len(in.XListMapKeys) != 0 {
		keys := make([]any, len(in.XListMapKeys))
		for i, k := range in.XListMapKeys {
			keys[i] = k
		}
		out.AddExtension("x-kubernetes-list-map-keys", keys)
	}
	if in.XListType != nil {
		out.AddExtension("x-kubernetes-list-type", *in.XListType)
	}
	if in.XMapType != nil {
		out.AddExtension("x-kubernetes-map-type", *in.XMapType)
	}
	if len(in.XValidations) != 0 {
		rules := make([]any, len(in.XValidations))
		for i, r := range in.XValidations {
			rules[i] = r
		}
		out.AddExtension("x-kubernetes-validations", rules)
	}
}
