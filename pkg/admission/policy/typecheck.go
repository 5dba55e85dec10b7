package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/apiserver/apiserver/pkg/admission/policy/celenv"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
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
	var envs []*celenv.Env
	var checked []schema.GroupVersionKind
	for _, gvk := range kinds {
		object := schemaOf(catalog, gvk)
		if object == nil {
			continue
		}
		env, err := celenv.New(celenv.Types{Object: object, Params: params, HasParams: hasParams})
		if err != nil {
			continue
		}
		env.DeclareAll(p.Spec.Variables)
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
