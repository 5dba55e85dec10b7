package validation

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/apiextensions/celrules"
	"github.com/apiserver/apiserver/pkg/apiextensions/internal/kubefield"
	"github.com/apiserver/apiserver/pkg/apiextensions/schema"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

var (
	openapiV3Types            = []string{"array", "boolean", "integer", "number", "object", "string"}
	supportedValidationReason = []string{"FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"}
	metaFields                = map[string]bool{"metadata": true, "kind": true, "apiVersion": true}
	newlineMatcher            = regexp.MustCompile(`[\n\r]+`)
)

// allowedAtRootWithStatus are the fields the root schema may have when the
// status subresource is enabled, by their Go names as kube-apiserver
// prints them.
var allowedAtRootWithStatus = []string{"Description", "Type", "Format", "Title", "Maximum", "ExclusiveMaximum", "Minimum", "ExclusiveMinimum", "MaxLength", "MinLength", "Pattern", "MaxItems", "MinItems", "UniqueItems", "MultipleOf", "Required", "Items", "Properties", "ExternalDocs", "Example", "XPreserveUnknownFields", "XValidations"}

// validateSchema checks the schema of a version (or of all versions, at
// spec.validation) as kube-apiserver does; perExpressionCost holds each
// rule to the per-expression cost limit (not done for a schema an update
// keeps).
func validateSchema(v *apiextensionsv1.CustomResourceValidation, statusEnabled, perExpressionCost bool, fldPath *field.Path) field.ErrorList {
	if v == nil || v.OpenAPIV3Schema == nil {
		return nil
	}
	s := v.OpenAPIV3Schema
	var errs field.ErrorList
	if statusEnabled {
		errs = append(errs, rootWithStatus(s, fldPath)...)
	}
	if s.Nullable {
		errs = append(errs, field.Forbidden(fldPath.Child("openAPIV3Schema.nullable"), "nullable cannot be true at the root"))
	}
	var structuralInitErrs field.ErrorList
	if _, err := schema.NewStructural(s); err != nil {
		structuralInitErrs = append(structuralInitErrs, field.Invalid(fldPath.Child("openAPIV3Schema"), "", err.Error()))
	} else if serrs := ValidateStructural(fldPath.Child("openAPIV3Schema"), s); len(serrs) > 0 {
		errs = append(errs, serrs...)
	} else if derrs, err := schema.ValidateDefaults(fldPath.Child("openAPIV3Schema"), s, true); err != nil {
		errs = append(errs, field.Invalid(fldPath.Child("openAPIV3Schema"), "", err.Error()))
	} else {
		errs = append(errs, derrs...)
	}
	errs = append(errs, validateOpenAPISchema(s, fldPath.Child("openAPIV3Schema"), ssv{allowDefaults: true}, true)...)
	if len(errs) == 0 && len(structuralInitErrs) > 0 {
		errs = append(errs, structuralInitErrs...)
	}
	if len(errs) == 0 {
		errs = append(errs, celrules.Check(fldPath.Child("openAPIV3Schema"), s, perExpressionCost)...)
	}
	if len(errs) == 0 {
		if _, err := schema.New(s); err != nil {
			errs = append(errs, field.Invalid(fldPath, "", fmt.Sprintf("error building validator: %v", err)))
		}
	}
	return errs
}

func rootWithStatus(s *apiextensionsv1.JSONSchemaProps, fldPath *field.Path) field.ErrorList {
	v := reflect.ValueOf(s).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			continue
		}
		name := v.Type().Field(i).Name
		if name == "Type" {
			if s.Type != "object" {
				return field.ErrorList{field.Invalid(fldPath.Child("openAPIV3Schema.type"), s.Type, `only "object" is allowed as the type at the root of the schema if the status subresource is enabled`)}
			}
			continue
		}
		if !contains(allowedAtRootWithStatus, name) {
			return field.ErrorList{kubefield.Invalid(fldPath.Child("openAPIV3Schema"), *s, fmt.Sprintf(`only %v fields are allowed at the root of the schema if the status subresource is enabled`, allowedAtRootWithStatus))}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ssv carries what the checks of a schema node inherit from its parents.
type ssv struct {
	allowDefaults          bool
	disallowDefaultsReason string
	insideResourceMeta     bool
}

func (v ssv) withForbiddenDefaults(reason string) ssv {
	v.allowDefaults, v.disallowDefaultsReason = false, reason
	return v
}

func sortedKeys(m map[string]apiextensionsv1.JSONSchemaProps) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validateOpenAPISchema is kube-apiserver's recursive check of the
// OpenAPI features a CRD schema may use.
func validateOpenAPISchema(s *apiextensionsv1.JSONSchemaProps, fldPath *field.Path, v ssv, isRoot bool) field.ErrorList {
	if s == nil {
		return nil
	}
	errs := nodeRules(s, fldPath, v)
	if s.UniqueItems {
		errs = append(errs, field.Forbidden(fldPath.Child("uniqueItems"), "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
	}
	if s.AdditionalProperties != nil {
		if len(s.Properties) != 0 && (!s.AdditionalProperties.Allows || s.AdditionalProperties.Schema != nil) {
			errs = append(errs, field.Forbidden(fldPath.Child("additionalProperties"), "additionalProperties and properties are mutual exclusive"))
		}
		sub := v
		if v.insideResourceMeta {
			sub = v.withForbiddenDefaults("inside additionalProperties applying to object metadata")
		}
		errs = append(errs, validateOpenAPISchema(s.AdditionalProperties.Schema, fldPath.Child("additionalProperties"), sub, false)...)
	}
	for _, k := range sortedKeys(s.Properties) {
		sub := v
		if (isRoot || s.XEmbeddedResource) && metaFields[k] {
			sub.insideResourceMeta = true
			if isRoot {
				sub = sub.withForbiddenDefaults(fmt.Sprintf("in top-level %s", k))
			}
		}
		p := s.Properties[k]
		errs = append(errs, validateOpenAPISchema(&p, fldPath.Child("properties").Key(k), sub, false)...)
	}
	errs = append(errs, validateOpenAPISchema(s.Not, fldPath.Child("not"), v, false)...)
	errs = append(errs, validateList(s.AllOf, fldPath.Child("allOf"), v)...)
	errs = append(errs, validateList(s.OneOf, fldPath.Child("oneOf"), v)...)
	errs = append(errs, validateList(s.AnyOf, fldPath.Child("anyOf"), v)...)
	for _, k := range sortedKeys(s.Definitions) {
		d := s.Definitions[k]
		errs = append(errs, validateOpenAPISchema(&d, fldPath.Child("definitions").Key(k), v, false)...)
	}
	if s.Items != nil {
		errs = append(errs, validateOpenAPISchema(s.Items.Schema, fldPath.Child("items"), v, false)...)
		for i := range s.Items.JSONSchemas {
			errs = append(errs, validateOpenAPISchema(&s.Items.JSONSchemas[i], fldPath.Child("items").Index(i), v, false)...)
		}
	}
	for k, d := range s.Dependencies {
		errs = append(errs, validateOpenAPISchema(d.Schema, fldPath.Child("dependencies").Key(k), v, false)...)
	}
	errs = append(errs, extensionTypeRules(s, fldPath)...)
	errs = append(errs, listMapRules(s, fldPath)...)
	errs = append(errs, mapListKeysMapSet(s, fldPath)...)
	errs = append(errs, celRuleShapes(s, fldPath)...)
	return errs
}

func validateList(list []apiextensionsv1.JSONSchemaProps, fldPath *field.Path, v ssv) field.ErrorList {
	var errs field.ErrorList
	for i := range list {
		errs = append(errs, validateOpenAPISchema(&list[i], fldPath.Index(i), v, false)...)
	}
	return errs
}

// nodeRules are the OpenAPI features a CRD schema node may not use.
func nodeRules(s *apiextensionsv1.JSONSchemaProps, fldPath *field.Path, v ssv) field.ErrorList {
	var errs field.ErrorList
	if s.Type != "" && !contains(openapiV3Types, s.Type) {
		errs = append(errs, field.NotSupported(fldPath.Child("type"), s.Type, openapiV3Types))
	}
	if s.Default != nil && !v.allowDefaults {
		detail := "must not be set"
		if v.disallowDefaultsReason != "" {
			detail += " " + v.disallowDefaultsReason
		}
		errs = append(errs, field.Forbidden(fldPath.Child("default"), detail))
	}
	forbid := func(cond bool, name, detail string) {
		if cond {
			errs = append(errs, field.Forbidden(fldPath.Child(name), detail))
		}
	}
	forbid(s.ID != "", "id", "id is not supported")
	forbid(s.AdditionalItems != nil, "additionalItems", "additionalItems is not supported")
	forbid(len(s.PatternProperties) != 0, "patternProperties", "patternProperties is not supported")
	forbid(len(s.Definitions) != 0, "definitions", "definitions is not supported")
	forbid(s.Dependencies != nil, "dependencies", "dependencies is not supported")
	forbid(s.Ref != nil, "$ref", "$ref is not supported")
	forbid(s.Type == "null", "type", "type cannot be set to null, use nullable as an alternative")
	forbid(s.Items != nil && len(s.Items.JSONSchemas) != 0, "items", "items must be a schema object and not an array")
	forbid(v.insideResourceMeta && s.XEmbeddedResource, "x-kubernetes-embedded-resource", "must not be used inside of resource meta")
	return errs
}

func extensionTypeRules(s *apiextensionsv1.JSONSchemaProps, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.XPreserveUnknownFields != nil && !*s.XPreserveUnknownFields {
		errs = append(errs, field.Invalid(fldPath.Child("x-kubernetes-preserve-unknown-fields"), false, "must be true or undefined"))
	}
	if s.XMapType != nil && s.Type != "object" {
		errs = append(errs, requiredOrInvalidType(fldPath, s.Type, "must be object if x-kubernetes-map-type is specified"))
	}
	if s.XMapType != nil && *s.XMapType != "atomic" && *s.XMapType != "granular" {
		errs = append(errs, field.NotSupported(fldPath.Child("x-kubernetes-map-type"), *s.XMapType, []string{"atomic", "granular"}))
	}
	if s.XListType != nil && s.Type != "array" {
		errs = append(errs, requiredOrInvalidType(fldPath, s.Type, "must be array if x-kubernetes-list-type is specified"))
	} else if s.XListType != nil && *s.XListType == "set" && itemsSchema(s) != nil {
		is := itemsSchema(s)
		switch is.Type {
		case "array":
			if is.XListType != nil && *is.XListType != "atomic" {
				errs = append(errs, kubefield.Invalid(fldPath.Child("items").Child("x-kubernetes-list-type"), is.XListType, "must be atomic as item of a list with x-kubernetes-list-type=set"))
			}
		case "object":
			if is.XMapType == nil || *is.XMapType != "atomic" {
				errs = append(errs, kubefield.Invalid(fldPath.Child("items").Child("x-kubernetes-map-type"), is.XListType, "must be atomic as item of a list with x-kubernetes-list-type=set"))
			}
		}
	}
	if s.XListType != nil && *s.XListType != "atomic" && *s.XListType != "set" && *s.XListType != "map" {
		errs = append(errs, field.NotSupported(fldPath.Child("x-kubernetes-list-type"), *s.XListType, []string{"atomic", "set", "map"}))
	}
	if len(s.XListMapKeys) > 0 {
		if s.XListType == nil {
			errs = append(errs, field.Required(fldPath.Child("x-kubernetes-list-type"), "must be map if x-kubernetes-list-map-keys is non-empty"))
		} else if *s.XListType != "map" {
			errs = append(errs, field.Invalid(fldPath.Child("x-kubernetes-list-type"), *s.XListType, "must be map if x-kubernetes-list-map-keys is non-empty"))
		}
	}
	return errs
}

func requiredOrInvalidType(fldPath *field.Path, typ, detail string) *field.Error {
	if typ == "" {
		return field.Required(fldPath.Child("type"), detail)
	}
	return field.Invalid(fldPath.Child("type"), typ, detail)
}

func listMapRules(s *apiextensionsv1.JSONSchemaProps, fldPath *field.Path) field.ErrorList {
	if s.XListType == nil || *s.XListType != "map" {
		return nil
	}
	var errs field.ErrorList
	if len(s.XListMapKeys) == 0 {
		errs = append(errs, field.Required(fldPath.Child("x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map"))
	}
	if s.Items == nil {
		errs = append(errs, field.Required(fldPath.Child("items"), "must have a schema if x-kubernetes-list-type is map"))
	}
	if s.Items != nil && s.Items.Schema == nil {
		errs = append(errs, kubefield.Invalid(fldPath.Child("items"), s.Items, "must only have a single schema if x-kubernetes-list-type is map"))
	}
	is := itemsSchema(s)
	if is != nil && is.Type != "object" {
		errs = append(errs, field.Invalid(fldPath.Child("items").Child("type"), is.Type, "must be object if parent array's x-kubernetes-list-type is map"))
	}
	if is != nil && is.Type == "object" {
		keys := map[string]bool{}
		for _, k := range s.XListMapKeys {
			if p, ok := is.Properties[k]; ok {
				if p.Type == "array" || p.Type == "object" {
					errs = append(errs, field.Invalid(fldPath.Child("items").Child("properties").Key(k).Child("type"), is.Type, "must be a scalar type if parent array's x-kubernetes-list-type is map"))
				}
			} else {
				errs = append(errs, kubefield.Invalid(fldPath.Child("x-kubernetes-list-map-keys"), s.XListMapKeys, "entries must all be names of item properties"))
			}
			if keys[k] {
				errs = append(errs, kubefield.Invalid(fldPath.Child("x-kubernetes-list-map-keys"), s.XListMapKeys, "must not contain duplicate entries"))
			}
			keys[k] = true
		}
	}
	return errs
}

func mapListKeysMapSet(s *apiextensionsv1.JSONSchemaProps, fldPath *field.Path) field.ErrorList {
	is := itemsSchema(s)
	if is == nil || s.XListType == nil || (*s.XListType != "set" && *s.XListType != "map") {
		return nil
	}
	var errs field.ErrorList
	if is.Nullable {
		errs = append(errs, field.Forbidden(fldPath.Child("items").Child("nullable"), "cannot be nullable when x-kubernetes-list-type is "+*s.XListType))
	}
	if *s.XListType != "map" {
		return errs
	}
	required := map[string]bool{}
	for _, r := range is.Required {
		required[r] = true
	}
	for _, k := range s.XListMapKeys {
		p, ok := is.Properties[k]
		if !ok {
			continue
		}
		if !required[k] && p.Default == nil {
			errs = append(errs, field.Required(fldPath.Child("items").Child("properties").Key(k).Child("default"), "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"))
		}
		if p.Nullable {
			errs = append(errs, field.Forbidden(fldPath.Child("items").Child("properties").Key(k).Child("nullable"), "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"))
		}
	}
	return errs
}

// celRuleShapes checks the x-kubernetes-validations rules' fields other
// than the expressions, which package celrules compiles.
func celRuleShapes(s *apiextensionsv1.JSONSchemaProps, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, rule := range s.XValidations {
		p := fldPath.Child("x-kubernetes-validations").Index(i)
		trimmedRule := strings.TrimSpace(rule.Rule)
		trimmedMsg := strings.TrimSpace(rule.Message)
		switch {
		case trimmedRule == "":
			errs = append(errs, field.Required(p.Child("rule"), "rule is not specified"))
		case rule.Message != "" && trimmedMsg == "":
			errs = append(errs, field.Invalid(p.Child("message"), rule.Message, "message must be non-empty if specified"))
		case newlineMatcher.MatchString(trimmedMsg):
			errs = append(errs, field.Invalid(p.Child("message"), rule.Message, "message must not contain line breaks"))
		case newlineMatcher.MatchString(trimmedRule) && trimmedMsg == "":
			errs = append(errs, field.Required(p.Child("message"), "message must be specified if rule contains line breaks"))
		}
		if rule.MessageExpression != "" && strings.TrimSpace(rule.MessageExpression) == "" {
			errs = append(errs, field.Required(p.Child("messageExpression"), "messageExpression must be non-empty if specified"))
		}
		if rule.Reason != nil && !contains(supportedValidationReason, string(*rule.Reason)) {
			errs = append(errs, field.NotSupported(p.Child("reason"), *rule.Reason, supportedValidationReason))
		}
		if rule.FieldPath != "" && strings.TrimSpace(rule.FieldPath) == "" {
			errs = append(errs, field.Invalid(p.Child("fieldPath"), rule.FieldPath, "fieldPath must be non-empty if specified"))
		}
		if newlineMatcher.MatchString(rule.FieldPath) {
			errs = append(errs, field.Invalid(p.Child("fieldPath"), rule.FieldPath, "fieldPath must not contain line breaks"))
		}
	}
	return errs
}
