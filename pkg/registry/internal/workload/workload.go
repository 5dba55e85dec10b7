// Package workload holds what the workload resources (apps/v1, batch/v1)
// share: the check of a selector against its Pod template, non-negative
// counts, and the CONTAINERS and IMAGES cells.
package workload

import (
	"fmt"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
)

// Selector checks a workload's selector, and that it selects the labels
// of its Pod template, reported under fld (spec).
func Selector(sel *metav1.LabelSelector, templateLabels map[string]string, fld *field.Path) field.ErrorList {
	if sel == nil {
		return field.ErrorList{field.Required(fld.Child("selector"), ""),
			field.Invalid(fld.Child("template", "metadata", "labels"), core.Printed(fmt.Sprintf("%#v", templateLabels)), "`selector` does not match template `labels`")}
	}
	errs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, fld.Child("selector"))
	if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
		return append(errs, field.Invalid(fld.Child("selector"), core.Printed(PrintSelector(sel)), "empty selector is invalid for deployment"))
	}
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err == nil && !selector.Matches(labels.Set(templateLabels)) {
		errs = append(errs, field.Invalid(fld.Child("template", "metadata", "labels"), core.Printed(fmt.Sprintf("%#v", templateLabels)), "`selector` does not match template `labels`"))
	}
	return errs
}

// PrintSelector prints a selector as kube prints its v1.LabelSelector.
func PrintSelector(sel *metav1.LabelSelector) string {
	if sel == nil {
		return "(*v1.LabelSelector)(nil)"
	}
	return fmt.Sprintf("%#v", *sel)
}

// Containers joins the names and images of containers, as kube's printer.
func Containers(cs []corev1.Container) (names, images string) {
	var n, i []string
	for _, c := range cs {
		n = append(n, c.Name)
		i = append(i, c.Image)
	}
	return strings.Join(n, ","), strings.Join(i, ",")
}

// NonNegative refuses a negative count at fld.
func NonNegative(v int32, fld *field.Path) field.ErrorList {
	if v < 0 {
		return field.ErrorList{field.Invalid(fld, v, "must be greater than or equal to 0")}
	}
	return nil
}

// ImmutableSelector refuses a selector that differs from the stored one,
// with kube's message, at spec.selector.
func ImmutableSelector(sel, old *metav1.LabelSelector) field.ErrorList {
	if reflect.DeepEqual(sel, old) {
		return nil
	}
	return field.ErrorList{field.Invalid(field.NewPath("spec", "selector"), core.Printed(PrintSelector(sel)), "field is immutable")}
}
