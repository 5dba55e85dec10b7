package schema

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/kubefield"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	openapierrors "k8s.io/kube-openapi/pkg/validation/errors"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
)

// Schema is the compiled openAPIV3Schema of one CRD version. It is
// immutable and safe for concurrent use.
type Schema struct {
	structural *Structural
	openAPI    *spec.Schema
	validator  *validate.SchemaValidator
	// status validates .status alone, for the status subresource; nil
	// when the schema has no status property.
	status *validate.SchemaValidator
}

// New compiles props, which should have passed the CRD validation of
// package validation. A nil props gives a schema that accepts anything
// and prunes everything but apiVersion, kind and metadata.
func New(props *apiextensionsv1.JSONSchemaProps) (*Schema, error) {
	st, err := NewStructural(props)
	if err != nil {
		return nil, err
	}
	oa, err := ToOpenAPI(props, true)
	if err != nil {
		return nil, err
	}
	s := &Schema{
		structural: st,
		openAPI:    oa,
		validator:  validate.NewSchemaValidator(oa, nil, "", strfmt.Default),
	}
	if st, ok := oa.Properties["status"]; ok {
		s.status = validate.NewSchemaValidator(&st, nil, "", strfmt.Default)
	}
	return s, nil
}

// Structural returns the structural part of the schema; nil for a nil schema.
func (s *Schema) Structural() *Structural { return s.structural }

// OpenAPI returns the schema as kube-openapi validates it.
func (s *Schema) OpenAPI() *spec.Schema { return s.openAPI }

// Validate checks a custom resource against the schema as kube-apiserver's
// create strategy does after the object metadata: the OpenAPI schema, the
// apiVersion, kind and metadata of embedded resources, and the uniqueness
// of x-kubernetes-list-type set and map items. The root metadata is left to
// the caller (ValidateObjectMetaAccessor).
func (s *Schema) Validate(obj map[string]any) field.ErrorList {
	errs := resultToFieldErrors(nil, s.validator.Validate(obj))
	errs = append(errs, ValidateEmbeddedResources(nil, obj, s.structural)...)
	errs = append(errs, ValidateListSetsAndMaps(nil, s.structural, obj)...)
	return errs
}

// ValidateUpdate is Validate on update. As in kube-apiserver 1.31 (the
// beta CRDValidationRatcheting feature), a schema error on a value that
// the update left unchanged is not reported, so objects stored under an
// older schema can still be updated elsewhere.
func (s *Schema) ValidateUpdate(obj, old map[string]any) field.ErrorList {
	errs := resultToFieldErrors(nil, s.validator.Validate(obj))
	errs = ratchet(errs, obj, old)
	errs = append(errs, ValidateEmbeddedResources(nil, obj, s.structural)...)
	errs = append(errs, ValidateListSetsAndMaps(nil, s.structural, obj)...)
	return errs
}

// ValidateStatusUpdate checks an update through the status subresource:
// only .status, against the schema of the status property, with paths
// under status.
func (s *Schema) ValidateStatusUpdate(obj, old map[string]any) field.ErrorList {
	status, ok := obj["status"]
	if !ok || s.status == nil {
		return nil
	}
	errs := resultToFieldErrors(field.NewPath("status"), s.status.Validate(status))
	errs = ratchet(errs, obj, old)
	return errs
}

// resultToFieldErrors turns kube-openapi errors into field errors with the
// types and values kube-apiserver gives them.
func resultToFieldErrors(fldPath *field.Path, result *validate.Result) field.ErrorList {
	if result == nil || result.IsValid() {
		return nil
	}
	var allErrs field.ErrorList
	for _, err := range result.Errors {
		verr, ok := err.(*openapierrors.Validation)
		if !ok {
			allErrs = append(allErrs, field.Invalid(fldPath, "", err.Error()))
			continue
		}
		errPath := fldPath
		if len(verr.Name) > 0 && verr.Name != "." {
			errPath = errPath.Child(strings.TrimPrefix(verr.Name, "."))
		}
		allErrs = append(allErrs, validationToFieldError(errPath, verr))
	}
	return allErrs
}

func validationToFieldError(errPath *field.Path, err *openapierrors.Validation) *field.Error {
	value := any("")
	if err.Value != nil {
		value = err.Value
	}
	switch err.Code() {
	case openapierrors.RequiredFailCode:
		return field.Required(errPath, "")
	case openapierrors.EnumFailCode:
		values := []string{}
		for _, allowed := range err.Values {
			if s, ok := allowed.(string); ok {
				values = append(values, s)
			} else {
				b, _ := json.Marshal(allowed)
				values = append(values, string(b))
			}
		}
		return field.NotSupported(errPath, kubefield.Value(err.Value), values)
	case openapierrors.TooLongFailCode:
		return kubefield.TooLong(errPath, value, int(int64Or(err.Valid, -1)))
	case openapierrors.MaxItemsFailCode, openapierrors.TooManyPropertiesCode:
		return kubefield.TooMany(errPath, int(int64Or(err.Value, -1)), int(int64Or(err.Valid, -1)))
	case openapierrors.InvalidTypeCode:
		return field.TypeInvalid(errPath, kubefield.Value(value), err.Error())
	default:
		return kubefield.Invalid(errPath, value, err.Error())
	}
}

func int64Or(v any, def int64) int64 {
	if i, ok := v.(int64); ok {
		return i
	}
	return def
}

// String describes the schema for debugging.
func (s *Schema) String() string {
	b, _ := json.Marshal(s.openAPI)
	return fmt.Sprintf("schema %s", b)
}
