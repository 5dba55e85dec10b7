package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	celgo "github.com/google/cel-go/cel"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/apiserver/apiserver/pkg/apiextensions/celrules"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/cel"
	"github.com/apiserver/apiserver/pkg/openapi"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// maxTypesToCheck bounds the kinds a policy's expressions are checked
// against, as kube bounds them.
const maxTypesToCheck = 10

// typeCheck checks a policy's validations against the schema of each kind
// its matchConstraints name exactly (no wildcard), as kube's policy status
// controller does, and returns a warning per expression that does not
// type-check for some kind. Expressions run dynamically typed; these
// warnings tell an author, for example, that object.spec.replicas is an
// int.
func typeCheck(catalog *rest.Catalog, p *admissionregistrationv1.ValidatingAdmissionPolicy) []admissionregistrationv1.ExpressionWarning {
	kinds := kindsToCheck(catalog, p)
	if len(kinds) == 0 {
		return nil
	}
	var params *apiextensionsv1.JSONSchemaProps
	hasParams := p.Spec.ParamKind != nil
	if hasParams {
		if gv, err := schema.ParseGroupVersion(p.Spec.ParamKind.APIVersion); err == nil {
			params = schemaOf(catalog, gv.WithKind(p.Spec.ParamKind.Kind))
		}
	}
	var envs []*cel.Env
	var checked []schema.GroupVersionKind
	for _, gvk := range kinds {
		object := schemaOf(catalog, gvk)
		if object == nil {
			continue
		}
		env, err := typedEnv(object, params, hasParams, p.Spec.Variables)
		if err != nil {
			continue
		}
		envs, checked = append(envs, env), append(checked, gvk)
	}
	var warnings []admissionregistrationv1.ExpressionWarning
	check := func(p *field.Path, expr string) {
		var msgs []string
		for i, env := range envs {
			if _, err := env.Check(expr); err != nil {
				msgs = append(msgs, fmt.Sprintf("%v: %s\n", checked[i], err))
			}
		}
		if len(msgs) > 0 {
			warnings = append(warnings, admissionregistrationv1.ExpressionWarning{FieldRef: p.String(), Warning: strings.Join(msgs, "\n")})
		}
	}
	for i, v := range p.Spec.Validations {
		vp := field.NewPath("spec", "validations").Index(i)
		check(vp.Child("expression"), v.Expression)
		if v.MessageExpression != "" {
			check(vp.Child("messageExpression"), v.MessageExpression)
		}
	}
	return warnings
}

// kindsToCheck are the kinds of the resources a policy's resource rules
// name by group, version and resource, sorted, at most maxTypesToCheck.
func kindsToCheck(catalog *rest.Catalog, p *admissionregistrationv1.ValidatingAdmissionPolicy) []schema.GroupVersionKind {
	if catalog == nil || p.Spec.MatchConstraints == nil {
		return nil
	}
	seen := map[schema.GroupVersionKind]bool{}
	var out []schema.GroupVersionKind
	for _, rule := range p.Spec.MatchConstraints.ResourceRules {
		if slices.ContainsFunc(rule.APIGroups, wild) || slices.ContainsFunc(rule.APIVersions, wild) {
			continue
		}
		resources := slices.DeleteFunc(slices.Clone(rule.Resources), func(r string) bool { return strings.ContainsAny(r, "*/") })
		groups, versions := slices.Sorted(slices.Values(rule.APIGroups)), slices.Sorted(slices.Values(rule.APIVersions))
		slices.Sort(resources)
		for _, g := range groups {
			for _, v := range versions {
				for _, r := range resources {
					for _, info := range catalog.Versions(schema.GroupResource{Group: g, Resource: r}) {
						if info.Version != v || seen[info.GroupVersionKind()] {
							continue
						}
						seen[info.GroupVersionKind()] = true
						out = append(out, info.GroupVersionKind())
						if len(out) == maxTypesToCheck {
							return sortKinds(out)
						}
					}
				}
			}
		}
	}
	return sortKinds(out)
}

func wild(s string) bool { return strings.Contains(s, "*") }

func sortKinds(kinds []schema.GroupVersionKind) []schema.GroupVersionKind {
	slices.SortFunc(kinds, func(a, b schema.GroupVersionKind) int {
		return strings.Compare(a.Group+"/"+a.Version+"/"+a.Kind, b.Group+"/"+b.Version+"/"+b.Kind)
	})
	return kinds
}

// schemaOf is the schema of kind gvk: a custom resource's from its CRD,
// a built-in's from its OpenAPI definition; nil when there is none.
func schemaOf(catalog *rest.Catalog, gvk schema.GroupVersionKind) *apiextensionsv1.JSONSchemaProps {
	r, ok := catalog.ResourceOf(gvk)
	if !ok || r.Info.Version != gvk.Version {
		return nil
	}
	s := r.OpenAPISchema
	if s == nil {
		name, ok := openapi.BuiltinDefinition(r.Storage.New())
		if !ok {
			return nil
		}
		if s, ok = openapi.Resolved(name); !ok {
			return nil
		}
	}
	return jsonSchema(s)
}

// jsonSchema is an OpenAPI schema in the form CRDs write it, which
// celrules types.
func jsonSchema(s *spec.Schema) *apiextensionsv1.JSONSchemaProps {
	raw, err := json.Marshal(s)
	if err != nil {
		return nil
	}
	var out apiextensionsv1.JSONSchemaProps
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil
	}
	markIntOrString(&out)
	return &out
}

// markIntOrString marks the built-in int-or-string fields, which the
// generated definitions give a format rather than kube's extension.
func markIntOrString(s *apiextensionsv1.JSONSchemaProps) {
	if s.Format == "int-or-string" {
		s.XIntOrString = true
	}
	for k, p := range s.Properties {
		markIntOrString(&p)
		s.Properties[k] = p
	}
	if s.Items != nil && s.Items.Schema != nil {
		markIntOrString(s.Items.Schema)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		markIntOrString(s.AdditionalProperties.Schema)
	}
}

// typedEnv declares a policy's variables with the types of one kind:
// object and oldObject, params (when the policy has a paramKind), the
// request, the namespace and the policy's own variables, each typed by
// its expression.
func typedEnv(object, params *apiextensionsv1.JSONSchemaProps, hasParams bool, variables []admissionregistrationv1.Variable) (*cel.Env, error) {
	t, err := celrules.NewTypes()
	if err != nil {
		return nil, err
	}
	objType := t.Resource("object", object)
	vars := map[string]*celgo.Type{
		"object": objType, "oldObject": objType,
		"request": requestType(t), "namespaceObject": namespaceType(t),
		"authorizer": nil, "authorizer.requestResource": nil,
	}
	if hasParams {
		vars["params"] = celgo.DynType
		if params != nil {
			vars["params"] = t.Resource("params", params)
		}
	}
	declared := map[string]*celgo.Type{}
	vars["variables"] = t.Object("variables", declared)
	env, err := cel.NewTypedEnv(vars, t.Provider())
	if err != nil {
		return nil, err
	}
	// Each variable may use those before it; the provider answers field
	// types when an expression is checked, so declaring one more field
	// needs no new environment.
	for _, v := range variables {
		out, err := env.Check(v.Expression)
		if err != nil {
			out = celgo.DynType
		}
		declared[v.Name] = out
		t.Object("variables", declared)
	}
	return env, nil
}

// requestType is the type of the request variable, kube's
// AdmissionRequest.
func requestType(t *celrules.Types) *celgo.Type {
	gvk := t.Object("GroupVersionKind", map[string]*celgo.Type{"group": celgo.StringType, "version": celgo.StringType, "kind": celgo.StringType})
	gvr := t.Object("GroupVersionResource", map[string]*celgo.Type{"group": celgo.StringType, "version": celgo.StringType, "resource": celgo.StringType})
	strs := celgo.ListType(celgo.StringType)
	user := t.Object("UserInfo", map[string]*celgo.Type{
		"username": celgo.StringType, "uid": celgo.StringType, "groups": strs, "extra": celgo.MapType(celgo.StringType, strs),
	})
	return t.Object("AdmissionRequest", map[string]*celgo.Type{
		"kind": gvk, "resource": gvr, "subResource": celgo.StringType, "requestKind": gvk, "requestResource": gvr,
		"requestSubResource": celgo.StringType, "name": celgo.StringType, "namespace": celgo.StringType,
		"operation": celgo.StringType, "userInfo": user, "dryRun": celgo.BoolType, "options": celgo.DynType,
	})
}

// namespaceType is the type of namespaceObject, the fields kube declares
// of a Namespace. Times are left dynamic: they are strings here.
func namespaceType(t *celrules.Types) *celgo.Type {
	strs := celgo.ListType(celgo.StringType)
	labels := celgo.MapType(celgo.StringType, celgo.StringType)
	condition := t.Object("NamespaceCondition", map[string]*celgo.Type{
		"status": celgo.StringType, "type": celgo.StringType, "lastTransitionTime": celgo.DynType,
		"message": celgo.StringType, "reason": celgo.StringType,
	})
	return t.Object("Namespace", map[string]*celgo.Type{
		"metadata": t.Object("NamespaceMetadata", map[string]*celgo.Type{
			"name": celgo.StringType, "generateName": celgo.StringType, "namespace": celgo.StringType,
			"labels": labels, "annotations": labels, "UID": celgo.StringType, "creationTimestamp": celgo.DynType,
			"deletionGracePeriodSeconds": celgo.IntType, "deletionTimestamp": celgo.DynType, "generation": celgo.IntType,
			"resourceVersion": celgo.StringType, "finalizers": strs,
		}),
		"spec":   t.Object("NamespaceSpec", map[string]*celgo.Type{"finalizers": strs}),
		"status": t.Object("NamespaceStatus", map[string]*celgo.Type{"conditions": celgo.ListType(condition), "phase": celgo.StringType}),
	})
}
