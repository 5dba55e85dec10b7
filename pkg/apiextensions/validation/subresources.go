package validation

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/kubefield"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

var (
	printerColumnTypes   = []string{"boolean", "date", "integer", "number", "string"}
	printerColumnFormats = []string{"byte", "date", "date-time", "double", "float", "int32", "int64", "password"}
)

// maxSelectableFields is the most selectable fields a version may have.
const maxSelectableFields = 8

func subresourcesFor(spec *internalSpec, version string) *apiextensionsv1.CustomResourceSubresources {
	if spec.subresources != nil || !hasPerVersionSubresources(spec.versions) {
		return spec.subresources
	}
	for _, v := range spec.versions {
		if v.Name == version {
			return v.Subresources
		}
	}
	return nil
}

func hasPerVersionSubresources(versions []apiextensionsv1.CustomResourceDefinitionVersion) bool {
	for _, v := range versions {
		if v.Subresources != nil {
			return true
		}
	}
	return false
}

func statusEnabled(s *apiextensionsv1.CustomResourceSubresources) bool {
	return s != nil && s.Status != nil
}

func hasAnyStatusEnabled(spec *internalSpec) bool {
	if statusEnabled(spec.subresources) {
		return true
	}
	for _, v := range spec.versions {
		if statusEnabled(v.Subresources) {
			return true
		}
	}
	return false
}

func validateSubresources(s *apiextensionsv1.CustomResourceSubresources, fldPath *field.Path) field.ErrorList {
	if s == nil || s.Scale == nil {
		return nil
	}
	var errs field.ErrorList
	sc := s.Scale
	errs = append(errs, replicasPath(sc.SpecReplicasPath, ".spec.", "should be a json path under .spec", fldPath.Child("scale.specReplicasPath"))...)
	errs = append(errs, replicasPath(sc.StatusReplicasPath, ".status.", "should be a json path under .status", fldPath.Child("scale.statusReplicasPath"))...)
	if sc.LabelSelectorPath != nil && *sc.LabelSelectorPath != "" {
		p := fldPath.Child("scale.labelSelectorPath")
		if e := validateSimpleJSONPath(*sc.LabelSelectorPath, p); len(e) > 0 {
			errs = append(errs, e...)
		} else if !strings.HasPrefix(*sc.LabelSelectorPath, ".spec.") && !strings.HasPrefix(*sc.LabelSelectorPath, ".status.") {
			errs = append(errs, field.Invalid(p, *sc.LabelSelectorPath, "should be a json path under either .spec or .status"))
		}
	}
	return errs
}

func replicasPath(path, prefix, detail string, p *field.Path) field.ErrorList {
	if path == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if e := validateSimpleJSONPath(path, p); len(e) > 0 {
		return e
	}
	if !strings.HasPrefix(path, prefix) {
		return field.ErrorList{field.Invalid(p, path, detail)}
	}
	return nil
}

func validateSimpleJSONPath(s string, fldPath *field.Path) field.ErrorList {
	switch {
	case s == "":
		return field.ErrorList{field.Invalid(fldPath, s, "must not be empty")}
	case s[0] != '.':
		return field.ErrorList{field.Invalid(fldPath, s, "must be a simple json path starting with .")}
	}
	return nil
}

func validateColumn(col *apiextensionsv1.CustomResourceColumnDefinition, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if col.Name == "" {
		errs = append(errs, field.Required(fldPath.Child("name"), ""))
	}
	typesMsg := fmt.Sprintf("must be one of %s", strings.Join(printerColumnTypes, ","))
	if col.Type == "" {
		errs = append(errs, field.Required(fldPath.Child("type"), typesMsg))
	} else if !contains(printerColumnTypes, col.Type) {
		errs = append(errs, field.Invalid(fldPath.Child("type"), col.Type, typesMsg))
	}
	if col.Format != "" && !contains(printerColumnFormats, col.Format) {
		errs = append(errs, field.Invalid(fldPath.Child("format"), col.Format, fmt.Sprintf("must be one of %s", strings.Join(printerColumnFormats, ","))))
	}
	if col.JSONPath == "" {
		errs = append(errs, field.Required(fldPath.Child("JSONPath"), ""))
	} else {
		errs = append(errs, validateSimpleJSONPath(col.JSONPath, fldPath.Child("JSONPath"))...)
	}
	return errs
}

// validateSelectableFields checks selectable fields: simple paths to
// string, boolean or integer fields of the schema, outside metadata,
// without duplicates, at most eight.
func validateSelectableFields(fields []apiextensionsv1.SelectableField, s *apiextensionsv1.JSONSchemaProps, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	unique := map[string]bool{}
	for i, f := range fields {
		p := fldPath.Index(i).Child("jsonPath")
		if f.JSONPath == "" {
			errs = append(errs, field.Required(p, ""))
			continue
		}
		segments, found, err := fieldPathSchema(f.JSONPath, s)
		if err != nil {
			errs = append(errs, field.Invalid(p, f.JSONPath, fmt.Sprintf("is an invalid path: %v", err)))
			continue
		}
		if segments[0] == "metadata" {
			errs = append(errs, field.Invalid(p, f.JSONPath, "must not point to fields in metadata"))
		}
		if found == nil || !contains([]string{"string", "boolean", "integer"}, found.Type) {
			errs = append(errs, field.Invalid(p, f.JSONPath, "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed."))
		}
		key := strings.Join(segments, ".")
		if unique[key] {
			errs = append(errs, field.Duplicate(p, f.JSONPath))
		}
		unique[key] = true
	}
	if len(unique) > maxSelectableFields {
		errs = append(errs, kubefield.TooMany(fldPath, len(unique), maxSelectableFields))
	}
	return errs
}

// fieldPathSchema resolves a simple path (.spec.a.b) in a schema.
func fieldPathSchema(path string, s *apiextensionsv1.JSONSchemaProps) ([]string, *apiextensionsv1.JSONSchemaProps, error) {
	if !strings.HasPrefix(path, ".") || len(path) < 2 {
		return nil, nil, fmt.Errorf("expected [ or . at index 0 of %q", path)
	}
	segments := strings.Split(path[1:], ".")
	cur := s
	for _, seg := range segments {
		if seg == "" || cur == nil {
			return nil, nil, fmt.Errorf("invalid field path %q", path)
		}
		if p, ok := cur.Properties[seg]; ok {
			cur = &p
			continue
		}
		if cur.AdditionalProperties != nil && cur.AdditionalProperties.Schema != nil {
			cur = cur.AdditionalProperties.Schema
			continue
		}
		return nil, nil, fmt.Errorf("does not refer to a valid field")
	}
	return segments, cur, nil
}

// versionsValue renders versions as kube-apiserver prints its internal
// versions in an error: Go syntax, pointers as nil or an address.
func versionsValue(versions []apiextensionsv1.CustomResourceDefinitionVersion) any {
	parts := make([]string, len(versions))
	for i, v := range versions {
		parts[i] = fmt.Sprintf("apiextensions.CustomResourceDefinitionVersion{Name:%q, Served:%t, Storage:%t, Deprecated:%t, DeprecationWarning:%s, Schema:%s, Subresources:%s, AdditionalPrinterColumns:%s, SelectableFields:%s}",
			v.Name, v.Served, v.Storage, v.Deprecated,
			pointer("*string", v.DeprecationWarning == nil),
			pointer("*apiextensions.CustomResourceValidation", v.Schema == nil),
			pointer("*apiextensions.CustomResourceSubresources", v.Subresources == nil),
			columnsValue(v.AdditionalPrinterColumns), selectableValue(v.SelectableFields))
	}
	return kubefield.GoSyntax("[]apiextensions.CustomResourceDefinitionVersion{" + strings.Join(parts, ", ") + "}")
}

// pointer prints a pointer as %#v does; the address of a non-nil pointer
// differs from run to run in kube-apiserver, so a fixed one stands in.
func pointer(typ string, isNil bool) string {
	if isNil {
		return "(" + typ + ")(nil)"
	}
	return "(" + typ + ")(0xc000000000)"
}

func columnsValue(cols []apiextensionsv1.CustomResourceColumnDefinition) string {
	if cols == nil {
		return "[]apiextensions.CustomResourceColumnDefinition(nil)"
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("apiextensions.CustomResourceColumnDefinition{Name:%q, Type:%q, Format:%q, Description:%q, Priority:%d, JSONPath:%q}", c.Name, c.Type, c.Format, c.Description, c.Priority, c.JSONPath)
	}
	return "[]apiextensions.CustomResourceColumnDefinition{" + strings.Join(parts, ", ") + "}"
}

func selectableValue(fields []apiextensionsv1.SelectableField) string {
	if fields == nil {
		return "[]apiextensions.SelectableField(nil)"
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = fmt.Sprintf("apiextensions.SelectableField{JSONPath:%q}", f.JSONPath)
	}
	return "[]apiextensions.SelectableField{" + strings.Join(parts, ", ") + "}"
}
