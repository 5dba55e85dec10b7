package validation

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

// level is where a schema node sits: the root, array items or an object field.
type level int

const (
	rootLevel level = iota
	itemLevel
	fieldLevel
)

// intOrStringAnyOf is the anyOf that x-kubernetes-int-or-string may
// spell out with types in it.
var intOrStringAnyOf = []apiextensionsv1.JSONSchemaProps{{Type: "integer"}, {Type: "string"}}

// ValidateStructural checks that a schema is structural, with
// kube-apiserver's rules and messages, sorted by message as kube-apiserver
// sorts them: types everywhere but under x-kubernetes-int-or-string and
// x-kubernetes-preserve-unknown-fields, no types, defaults, descriptions or
// extensions inside allOf/anyOf/oneOf/not, everything those mention
// specified outside them too, and the metadata rules of resources.
func ValidateStructural(fldPath *field.Path, s *apiextensionsv1.JSONSchemaProps) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, structuralInvariants(s, rootLevel, fldPath)...)
	errs = append(errs, valueValidationCompleteness(s, s, fldPath, fldPath)...)
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}

func structuralInvariants(s *apiextensionsv1.JSONSchemaProps, lvl level, fldPath *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	items := itemsSchema(s)
	if s.Type == "array" && items == nil {
		errs = append(errs, field.Required(fldPath.Child("items"), "must be specified"))
	}
	errs = append(errs, structuralInvariants(items, itemLevel, fldPath.Child("items"))...)
	for k := range s.Properties {
		v := s.Properties[k]
		errs = append(errs, structuralInvariants(&v, fieldLevel, fldPath.Child("properties").Key(k))...)
	}
	if s.AdditionalProperties != nil {
		if lvl == rootLevel {
			errs = append(errs, field.Forbidden(fldPath.Child("additionalProperties"), "must not be used at the root"))
		}
		errs = append(errs, structuralInvariants(s.AdditionalProperties.Schema, fieldLevel, fldPath.Child("additionalProperties"))...)
	}
	errs = append(errs, extensionRules(s, fldPath)...)
	skipAnyOf := isIntOrStringAnyOf(s.AnyOf)
	skipFirstAllOfAnyOf := len(s.AllOf) >= 1 && isIntOrStringAnyOf(s.AllOf[0].AnyOf)
	errs = append(errs, valueValidation(s, skipAnyOf, skipFirstAllOfAnyOf, fldPath)...)
	errs = append(errs, typeRules(s, lvl, fldPath)...)
	return errs
}

func itemsSchema(s *apiextensionsv1.JSONSchemaProps) *apiextensionsv1.JSONSchemaProps {
	if s.Items == nil {
		return nil
	}
	return s.Items.Schema
}

func isIntOrStringAnyOf(anyOf []apiextensionsv1.JSONSchemaProps) bool {
	return len(anyOf) == 2 && reflect.DeepEqual(anyOf, intOrStringAnyOf)
}

func preserves(s *apiextensionsv1.JSONSchemaProps) bool {
	return s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields
}

func extensionRules(s *apiextensionsv1.JSONSchemaProps, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.XIntOrString && preserves(s) {
		errs = append(errs, field.Invalid(fldPath.Child("x-kubernetes-preserve-unknown-fields"), true, "must be false if x-kubernetes-int-or-string is true"))
	}
	if s.XIntOrString && s.XEmbeddedResource {
		errs = append(errs, field.Invalid(fldPath.Child("x-kubernetes-embedded-resource"), true, "must be false if x-kubernetes-int-or-string is true"))
	}
	return errs
}

func typeRules(s *apiextensionsv1.JSONSchemaProps, lvl level, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	checkMetadata := lvl == rootLevel || s.XEmbeddedResource
	switch {
	case s.XEmbeddedResource && s.Type != "object":
		if s.Type == "" {
			errs = append(errs, field.Required(fldPath.Child("type"), "must be object if x-kubernetes-embedded-resource is true"))
		} else {
			errs = append(errs, field.Invalid(fldPath.Child("type"), s.Type, "must be object if x-kubernetes-embedded-resource is true"))
		}
	case s.Type == "" && !s.XIntOrString && !preserves(s):
		detail := map[level]string{
			rootLevel:  "must not be empty at the root",
			itemLevel:  "must not be empty for specified array items",
			fieldLevel: "must not be empty for specified object fields",
		}[lvl]
		errs = append(errs, field.Required(fldPath.Child("type"), detail))
	}
	if s.XEmbeddedResource && s.AdditionalProperties != nil {
		errs = append(errs, field.Forbidden(fldPath.Child("additionalProperties"), "must not be used if x-kubernetes-embedded-resource is set"))
	}
	if lvl == rootLevel && s.Type != "" && s.Type != "object" {
		errs = append(errs, field.Invalid(fldPath.Child("type"), s.Type, "must be object at the root"))
	}
	for _, k := range []string{"kind", "apiVersion"} {
		if p, found := s.Properties[k]; found && checkMetadata && p.Type != "string" {
			errs = append(errs, field.Invalid(fldPath.Child("properties").Key(k).Child("type"), p.Type, "must be string"))
		}
	}
	if metadata, found := s.Properties["metadata"]; found {
		errs = append(errs, metadataRules(&metadata, checkMetadata, lvl, fldPath.Child("properties").Key("metadata"))...)
	}
	if s.XEmbeddedResource && !preserves(s) && len(s.Properties) == 0 {
		errs = append(errs, field.Required(fldPath.Child("properties"), "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"))
	}
	return errs
}

// metadataRules: metadata is an object, and at the root it may only
// restrict name and generateName.
func metadataRules(s *apiextensionsv1.JSONSchemaProps, checkMetadata bool, lvl level, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if checkMetadata && s.Type != "object" {
		errs = append(errs, field.Invalid(fldPath.Child("type"), s.Type, "must be object"))
	}
	if lvl != rootLevel {
		return errs
	}
	rest := *s
	_, name := rest.Properties["name"]
	_, generateName := rest.Properties["generateName"]
	if (name && generateName && len(rest.Properties) == 2) || ((name || generateName) && len(rest.Properties) == 1) {
		rest.Properties = nil
	}
	// What a structural schema does not hold is not restricted.
	rest.Type, rest.Default, rest.Example, rest.ExternalDocs = "", nil, nil, nil
	if !reflect.DeepEqual(rest, apiextensionsv1.JSONSchemaProps{}) {
		errs = append(errs, field.Forbidden(fldPath, "must not specify anything other than name and generateName, but metadata is implicitly specified"))
	}
	return errs
}

// valueValidation checks the allOf, anyOf, oneOf and not of a node, and
// its pattern.
func valueValidation(s *apiextensionsv1.JSONSchemaProps, skipAnyOf, skipFirstAllOfAnyOf bool, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !skipAnyOf {
		for i := range s.AnyOf {
			errs = append(errs, nestedValueValidation(&s.AnyOf[i], false, fldPath.Child("anyOf").Index(i))...)
		}
	}
	for i := range s.AllOf {
		errs = append(errs, nestedValueValidation(&s.AllOf[i], skipFirstAllOfAnyOf && i == 0, fldPath.Child("allOf").Index(i))...)
	}
	for i := range s.OneOf {
		errs = append(errs, nestedValueValidation(&s.OneOf[i], false, fldPath.Child("oneOf").Index(i))...)
	}
	if s.Not != nil {
		errs = append(errs, nestedValueValidation(s.Not, false, fldPath.Child("not"))...)
	}
	if s.Pattern != "" {
		if _, err := regexp.Compile(s.Pattern); err != nil {
			errs = append(errs, field.Invalid(fldPath.Child("pattern"), s.Pattern, fmt.Sprintf("must be a valid regular expression, but isn't: %v", err)))
		}
	}
	return errs
}

// nestedValueValidation checks a schema inside allOf, anyOf, oneOf or
// not: it may only validate values, not specify them.
func nestedValueValidation(v *apiextensionsv1.JSONSchemaProps, skipAnyOf bool, fldPath *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	errs := valueValidation(v, skipAnyOf, false, fldPath)
	errs = append(errs, nestedValueValidation(itemsSchema(v), false, fldPath.Child("items"))...)
	for k := range v.Properties {
		p := v.Properties[k]
		errs = append(errs, nestedValueValidation(&p, false, fldPath.Child("properties").Key(k))...)
	}
	errs = append(errs, forbiddenInNested(v, fldPath)...)
	if _, found := v.Properties["metadata"]; found {
		errs = append(errs, field.Forbidden(fldPath.Child("properties").Key("metadata"), "must not be specified in a nested context"))
	}
	return errs
}

func forbiddenInNested(v *apiextensionsv1.JSONSchemaProps, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	forbid := func(cond bool, name, detail string) {
		if cond {
			errs = append(errs, field.Forbidden(fldPath.Child(name), detail))
		}
	}
	forbid(v.Type != "", "type", "must be empty to be structural")
	forbid(v.AdditionalProperties != nil && (v.AdditionalProperties.Schema != nil || v.AdditionalProperties.Allows),
		"additionalProperties", "must be undefined to be structural")
	forbid(v.Default != nil, "default", "must be undefined to be structural")
	forbid(v.Title != "", "title", "must be empty to be structural")
	forbid(v.Description != "", "description", "must be empty to be structural")
	forbid(v.Nullable, "nullable", "must be false to be structural")
	forbid(preserves(v), "x-kubernetes-preserve-unknown-fields", "must be false to be structural")
	forbid(v.XEmbeddedResource, "x-kubernetes-embedded-resource", "must be false to be structural")
	forbid(v.XIntOrString, "x-kubernetes-int-or-string", "must be false to be structural")
	forbid(len(v.XListMapKeys) > 0, "x-kubernetes-list-map-keys", "must be empty to be structural")
	forbid(v.XListType != nil, "x-kubernetes-list-type", "must be undefined to be structural")
	forbid(v.XMapType != nil, "x-kubernetes-map-type", "must be undefined to be structural")
	forbid(len(v.XValidations) > 0, "x-kubernetes-validations", "must be empty to be structural")
	return errs
}

// valueValidationCompleteness checks that every property that allOf,
// anyOf, oneOf or not mention is specified in the structural schema at the
// same place.
func valueValidationCompleteness(v, s *apiextensionsv1.JSONSchemaProps, sPath, vPath *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	if s == nil {
		return field.ErrorList{field.Required(sPath, fmt.Sprintf("because it is defined in %s", vPath.String()))}
	}
	var errs field.ErrorList
	if v.Not != nil {
		errs = append(errs, nestedCompleteness(v.Not, s, sPath, vPath.Child("not"))...)
	}
	for i := range v.AllOf {
		errs = append(errs, nestedCompleteness(&v.AllOf[i], s, sPath, vPath.Child("allOf").Index(i))...)
	}
	for i := range v.AnyOf {
		errs = append(errs, nestedCompleteness(&v.AnyOf[i], s, sPath, vPath.Child("anyOf").Index(i))...)
	}
	for i := range v.OneOf {
		errs = append(errs, nestedCompleteness(&v.OneOf[i], s, sPath, vPath.Child("oneOf").Index(i))...)
	}
	return errs
}

func nestedCompleteness(v, s *apiextensionsv1.JSONSchemaProps, sPath, vPath *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	if s == nil {
		return field.ErrorList{field.Required(sPath, fmt.Sprintf("because it is defined in %s", vPath.String()))}
	}
	errs := valueValidationCompleteness(v, s, sPath, vPath)
	if vi := itemsSchema(v); vi != nil {
		errs = append(errs, nestedCompleteness(vi, itemsSchema(s), sPath.Child("items"), vPath.Child("items"))...)
	}
	for k := range v.Properties {
		vf := v.Properties[k]
		sf, ok := s.Properties[k]
		if !ok {
			errs = append(errs, field.Required(sPath.Child("properties").Key(k), fmt.Sprintf("because it is defined in %s", vPath.Child("properties").Key(k))))
			continue
		}
		errs = append(errs, nestedCompleteness(&vf, &sf, sPath.Child("properties").Key(k), vPath.Child("properties").Key(k))...)
	}
	return errs
}
