package schema

import (
	"fmt"
	"math"
	"strings"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateScaleSpec checks the value at specReplicasPath of a custom
// resource whose CRD version has the scale subresource, as kube-apiserver
// does on create and update: an integer from 0 to MaxInt32. The field of
// the errors is the JSON path itself (.spec.replicas), as in kube-apiserver.
func ValidateScaleSpec(obj map[string]any, scale *apiextensionsv1.CustomResourceSubresourceScale) field.ErrorList {
	if scale == nil {
		return nil
	}
	return validateReplicas(obj, scale.SpecReplicasPath)
}

// ValidateScaleStatus checks the values at statusReplicasPath (an integer
// from 0 to MaxInt32) and labelSelectorPath (a string) of a custom
// resource whose CRD version has the scale subresource.
func ValidateScaleStatus(obj map[string]any, scale *apiextensionsv1.CustomResourceSubresourceScale) field.ErrorList {
	if scale == nil {
		return nil
	}
	errs := validateReplicas(obj, scale.StatusReplicasPath)
	if scale.LabelSelectorPath != nil {
		p := strings.TrimPrefix(*scale.LabelSelectorPath, ".")
		sel, _, err := unstructured.NestedString(obj, strings.Split(p, ".")...)
		if err != nil {
			errs = append(errs, field.Invalid(field.NewPath(*scale.LabelSelectorPath), sel, err.Error()))
		}
	}
	return errs
}

func validateReplicas(obj map[string]any, jsonPath string) field.ErrorList {
	p := strings.TrimPrefix(jsonPath, ".")
	replicas, _, err := unstructured.NestedInt64(obj, strings.Split(p, ".")...)
	switch {
	case err != nil:
		return field.ErrorList{field.Invalid(field.NewPath(jsonPath), replicas, err.Error())}
	case replicas < 0:
		return field.ErrorList{field.Invalid(field.NewPath(jsonPath), replicas, "should be a non-negative integer")}
	case replicas > math.MaxInt32:
		return field.ErrorList{field.Invalid(field.NewPath(jsonPath), replicas, fmt.Sprintf("should be less than or equal to %v", math.MaxInt32))}
	}
	return nil
}
