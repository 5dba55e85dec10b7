package crd

import (
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/apiextensions/status"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/apiextensions/validation"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// definitionType is the CustomResourceDefinition resource itself.
// BuiltinTypes returns the types this server declares itself, for tools
// that derive from them (hack/update-openapi.sh lists their Go packages).
func BuiltinTypes() []rest.Type { return []rest.Type{definitionType()} }

func definitionType() rest.Type {
	gv := apiextensionsv1.SchemeGroupVersion
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: gv.WithResource("customresourcedefinitions"),
			Kind:                 "CustomResourceDefinition",
			ListKind:             "CustomResourceDefinitionList",
			Singular:             "customresourcedefinition",
			ShortNames:           []string{"crd", "crds"},
			Categories:           []string{"api-extensions"},
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &apiextensionsv1.CustomResourceDefinition{} },
		NewList:  func() runtime.Object { return &apiextensionsv1.CustomResourceDefinitionList{} },
		Strategy: definitionStrategy{},
	}
}

// definitionStrategy validates definitions as kube-apiserver does.
type definitionStrategy struct{}

func (definitionStrategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	crd := obj.(*apiextensionsv1.CustomResourceDefinition)
	apiextensionsv1.SetDefaults(crd)
	status.PrepareForCreate(crd)
	// Objects of the definition are deleted before it; the finalizer holds
	// it until the controller has done so.
	if !slices.Contains(crd.Finalizers, apiextensionsv1.CustomResourceCleanupFinalizer) {
		crd.Finalizers = append(crd.Finalizers, apiextensionsv1.CustomResourceCleanupFinalizer)
	}
}

func (definitionStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	crd := obj.(*apiextensionsv1.CustomResourceDefinition)
	apiextensionsv1.SetDefaults(crd)
	status.PrepareForUpdate(crd, old.(*apiextensionsv1.CustomResourceDefinition))
}

func (definitionStrategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateCustomResourceDefinition(obj.(*apiextensionsv1.CustomResourceDefinition))
}

func (definitionStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateCustomResourceDefinitionUpdate(obj.(*apiextensionsv1.CustomResourceDefinition), old.(*apiextensionsv1.CustomResourceDefinition))
}

func (definitionStrategy) Canonicalize(runtime.Object)    {}
func (definitionStrategy) AllowCreateOnUpdate() bool      { return false }
func (definitionStrategy) AllowUnconditionalUpdate() bool { return false }

// SpecChanged bumps generation on spec changes only.
func (definitionStrategy) SpecChanged(obj, old runtime.Object) bool {
	a, b := obj.(*apiextensionsv1.CustomResourceDefinition), old.(*apiextensionsv1.CustomResourceDefinition)
	return !equality.Semantic.DeepEqual(a.Spec, b.Spec)
}

// definitionStatusStrategy is /status: only the status changes.
type definitionStatusStrategy struct{ definitionStrategy }

func (definitionStatusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	status.PrepareForStatusUpdate(obj.(*apiextensionsv1.CustomResourceDefinition), old.(*apiextensionsv1.CustomResourceDefinition))
}

func (definitionStatusStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateCustomResourceDefinitionStatusUpdate(obj.(*apiextensionsv1.CustomResourceDefinition), old.(*apiextensionsv1.CustomResourceDefinition))
}

func (definitionStatusStrategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }
