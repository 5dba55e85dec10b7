package crd

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/apiserver/apiserver/pkg/apiextensions/celrules"
	"github.com/apiserver/apiserver/pkg/apiextensions/schema"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// version is what serving one version of a definition needs.
type version struct {
	crd     *apiextensionsv1.CustomResourceDefinition
	version *apiextensionsv1.CustomResourceDefinitionVersion
	schema  *schema.Schema
	// rules are the schema's x-kubernetes-validations, compiled.
	rules *celrules.Validator
	// openapi is the version's schema as the OpenAPI documents show it.
	openapi *spec.Schema
}

func (v version) hasStatus() bool {
	return v.version.Subresources != nil && v.version.Subresources.Status != nil
}

func (v version) scale() *apiextensionsv1.CustomResourceSubresourceScale {
	if v.version.Subresources == nil {
		return nil
	}
	return v.version.Subresources.Scale
}

// customVerbs are the verbs of a custom resource in the order
// kube-apiserver's discovery lists them, which is not its order for
// built-in resources.
var customVerbs = []string{"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"}

// resourceType is the rest.Type of one version of a definition.
func (v version) resourceType() rest.Type {
	names := v.crd.Status.AcceptedNames
	if names.Plural == "" {
		names = v.crd.Spec.Names
	}
	gv := apiextensionsv1.SchemeGroupVersion
	gv.Group, gv.Version = v.crd.Spec.Group, v.version.Name
	var selectable []string
	for _, f := range v.version.SelectableFields {
		selectable = append(selectable, f.JSONPath[1:])
	}
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: gv.WithResource(names.Plural),
			Kind:                 names.Kind,
			ListKind:             names.ListKind,
			Singular:             names.Singular,
			ShortNames:           names.ShortNames,
			Categories:           names.Categories,
			Namespaced:           v.crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
			Verbs:                customVerbs,
		},
		New:              func() runtime.Object { return &unstructured.Unstructured{} },
		NewList:          func() runtime.Object { return &unstructured.UnstructuredList{} },
		Strategy:         customStrategy{v},
		SelectableFields: selectable,
		Attrs:            attrs(selectable),
	}
}

// customStrategy validates, defaults and prunes custom resources from the
// version's schema. With the status subresource, the main resource keeps
// the stored status; generation goes up on changes outside metadata and
// status.
type customStrategy struct{ v version }

func content(obj runtime.Object) map[string]any { return obj.(*unstructured.Unstructured).Object }

func (s customStrategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	u := obj.(*unstructured.Unstructured)
	if s.v.hasStatus() {
		delete(u.Object, "status")
	}
	u.SetGeneration(1)
	if s.v.schema != nil {
		// Fields a mutating webhook added are pruned, as kube-apiserver
		// prunes the webhook's answer.
		s.v.schema.Prune(u.Object)
		s.v.schema.Default(u.Object)
	}
}

func (s customStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	u := obj.(*unstructured.Unstructured)
	if s.v.hasStatus() {
		if st, ok := content(old)["status"]; ok {
			u.Object["status"] = runtime.DeepCopyJSONValue(st)
		} else {
			delete(u.Object, "status")
		}
	}
	if s.v.schema != nil {
		s.v.schema.Prune(u.Object)
		s.v.schema.Default(u.Object)
	}
}

func (s customStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	var errs field.ErrorList
	if s.v.schema != nil {
		errs = s.v.schema.Validate(content(obj))
	}
	errs = append(errs, s.v.rules.Validate(ctx, content(obj), nil)...)
	if sc := s.v.scale(); sc != nil {
		errs = append(errs, schema.ValidateScaleSpec(content(obj), sc)...)
		errs = append(errs, schema.ValidateScaleStatus(content(obj), sc)...)
	}
	return errs
}

func (s customStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	var errs field.ErrorList
	if s.v.schema != nil {
		errs = s.v.schema.ValidateUpdate(content(obj), content(old))
	}
	errs = append(errs, s.v.rules.Validate(ctx, content(obj), content(old))...)
	if sc := s.v.scale(); sc != nil {
		errs = append(errs, schema.ValidateScaleSpec(content(obj), sc)...)
	}
	return errs
}

func (customStrategy) Canonicalize(runtime.Object)    {}
func (customStrategy) AllowCreateOnUpdate() bool      { return false }
func (customStrategy) AllowUnconditionalUpdate() bool { return false }

// statusStrategy is /status: only the status changes, and it is validated
// against the schema.
type statusStrategy struct{ customStrategy }

func (s statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	u := obj.(*unstructured.Unstructured)
	st, hasStatus := u.Object["status"]
	fresh := old.DeepCopyObject().(*unstructured.Unstructured)
	// Labels, annotations and finalizers may change through /status too.
	fresh.SetLabels(u.GetLabels())
	fresh.SetAnnotations(u.GetAnnotations())
	fresh.SetFinalizers(u.GetFinalizers())
	fresh.SetResourceVersion(u.GetResourceVersion())
	// managedFields were just updated to record this status write.
	fresh.SetManagedFields(u.GetManagedFields())
	delete(fresh.Object, "status")
	if hasStatus {
		fresh.Object["status"] = st
	}
	u.Object = fresh.Object
	if s.v.schema != nil {
		s.v.schema.Prune(u.Object)
	}
}

func (s statusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	var errs field.ErrorList
	if s.v.schema != nil {
		errs = s.v.schema.ValidateStatusUpdate(content(obj), content(old))
	}
	// Only the status changed: the rules elsewhere see unchanged values.
	errs = append(errs, s.v.rules.Validate(ctx, content(obj), content(old))...)
	if sc := s.v.scale(); sc != nil {
		errs = append(errs, schema.ValidateScaleStatus(content(obj), sc)...)
	}
	return errs
}

// SpecChanged: a status update never bumps generation.
func (statusStrategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// prune removes fields the schema does not know from a request body and
// returns their paths, for fieldValidation.
func (v version) prune(obj runtime.Object) ([]string, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok || v.schema == nil {
		return nil, nil
	}
	unknown, err := v.schema.PruneRequest(u.Object)
	if err != nil {
		return nil, fmt.Errorf("%s in version %q cannot be handled as a %s: %w", v.crd.Spec.Names.Kind, v.version.Name, v.crd.Spec.Names.Kind, err)
	}
	return unknown, nil
}
