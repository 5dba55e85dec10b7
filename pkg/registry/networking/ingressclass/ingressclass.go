// Package ingressclass is the networking.k8s.io/v1 IngressClass resource
// (ingressclasses, cluster-scoped) as kube-apiserver 1.31 serves it: the
// controller is a domain-prefixed path of at most 250 characters and
// never changes; parameters name an object by kind and name, in a
// namespace exactly when their scope (default Cluster) is Namespace. It
// prints as NAME, CONTROLLER, PARAMETERS, AGE.
package ingressclass

import (
	"context"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

const maxControllerLength = 250

// Type is the ingressclasses resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: networkingv1.SchemeGroupVersion.WithResource("ingressclasses"),
			Kind:                 "IngressClass",
			ListKind:             "IngressClassList",
			Singular:             "ingressclass",
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &networkingv1.IngressClass{} },
		NewList:  func() runtime.Object { return &networkingv1.IngressClassList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*networkingv1.IngressClass)) },
	}
}

// Default sets what kube's defaulting sets: the parameters' scope.
func Default(ic *networkingv1.IngressClass) {
	if p := ic.Spec.Parameters; p != nil && p.Scope == nil {
		scope := networkingv1.IngressClassParametersReferenceScopeCluster
		p.Scope = &scope
	}
}

// Strategy is the IngressClass rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// Validate checks the controller and the parameters.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*networkingv1.IngressClass))
}

// ValidateUpdate refuses a new controller, then validates the new class.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	ic, o := obj.(*networkingv1.IngressClass), old.(*networkingv1.IngressClass)
	var errs field.ErrorList
	if ic.Spec.Controller != o.Spec.Controller {
		errs = append(errs, field.Invalid(field.NewPath("spec", "controller"), ic.Spec.Controller, "field is immutable"))
	}
	return append(errs, Validate(ic)...)
}

// Validate returns the errors of ic, as kube's ValidateIngressClass.
func Validate(ic *networkingv1.IngressClass) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if len(ic.Spec.Controller) > maxControllerLength {
		// kube 1.31's wording (apimachinery 0.34 words it differently).
		errs = append(errs, &field.Error{Type: field.ErrorTypeTooLong, Field: spec.Child("controller").String(),
			BadValue: ic.Spec.Controller, Detail: fmt.Sprintf("must have at most %d bytes", maxControllerLength)})
	}
	errs = append(errs, validation.IsDomainPrefixedPath(spec.Child("controller"), ic.Spec.Controller)...)
	if p := ic.Spec.Parameters; p != nil {
		errs = append(errs, validateParameters(p, spec.Child("parameters"))...)
	}
	return errs
}

func validateParameters(p *networkingv1.IngressClassParametersReference, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p.APIGroup != nil {
		for _, msg := range validation.IsDNS1123Subdomain(*p.APIGroup) {
			errs = append(errs, field.Invalid(fld.Child("apiGroup"), *p.APIGroup, msg))
		}
	}
	if p.Kind == "" {
		errs = append(errs, field.Required(fld.Child("kind"), "kind is required"))
	} else {
		for _, msg := range path.IsValidPathSegmentName(p.Kind) {
			errs = append(errs, field.Invalid(fld.Child("kind"), p.Kind, msg))
		}
	}
	if p.Name == "" {
		errs = append(errs, field.Required(fld.Child("name"), "name is required"))
	} else {
		for _, msg := range path.IsValidPathSegmentName(p.Name) {
			errs = append(errs, field.Invalid(fld.Child("name"), p.Name, msg))
		}
	}
	if p.Scope == nil {
		return append(errs, field.Required(fld.Child("scope"), ""))
	}
	switch *p.Scope {
	case networkingv1.IngressClassParametersReferenceScopeCluster:
		if p.Namespace != nil {
			errs = append(errs, field.Forbidden(fld.Child("namespace"), "`parameters.scope` is set to 'Cluster'"))
		}
	case networkingv1.IngressClassParametersReferenceScopeNamespace:
		if p.Namespace == nil {
			errs = append(errs, field.Required(fld.Child("namespace"), "`parameters.scope` is set to 'Namespace'"))
		} else {
			for _, msg := range validation.IsDNS1123Label(*p.Namespace) {
				errs = append(errs, field.Invalid(fld.Child("namespace"), *p.Namespace, msg))
			}
		}
	default:
		errs = append(errs, field.NotSupported(fld.Child("scope"), *p.Scope, []string{
			networkingv1.IngressClassParametersReferenceScopeCluster, networkingv1.IngressClassParametersReferenceScopeNamespace}))
	}
	return errs
}

// Table prints IngressClasses as kube-apiserver does: NAME, CONTROLLER,
// PARAMETERS (kind[.group]/name, or <none>), AGE.
func Table() tables.Convertor {
	doc := networkingv1.IngressClassSpec{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Controller", doc["controller"]),
			tables.Column("Parameters", doc["parameters"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			ic, ok := obj.(*networkingv1.IngressClass)
			if !ok {
				return nil, fmt.Errorf("not an IngressClass: %T", obj)
			}
			params := "<none>"
			if p := ic.Spec.Parameters; p != nil {
				params = p.Kind
				if p.APIGroup != nil {
					params += "." + *p.APIGroup
				}
				params += "/" + p.Name
			}
			return []interface{}{ic.Name, ic.Spec.Controller, params, tables.Age(ic.CreationTimestamp)}, nil
		},
	}
}
