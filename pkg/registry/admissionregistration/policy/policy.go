package policy

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/admission/policy/celenv"
	"github.com/apiserver/apiserver/pkg/cel"
	"github.com/apiserver/apiserver/pkg/registry/admissionregistration/webhookconfiguration"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

var gv = admissionregistrationv1.SchemeGroupVersion

// Type is the validatingadmissionpolicies resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: gv.WithResource("validatingadmissionpolicies"),
			Kind:                 "ValidatingAdmissionPolicy",
			ListKind:             "ValidatingAdmissionPolicyList",
			Singular:             "validatingadmissionpolicy",
			Categories:           []string{"api-extensions"},
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicy{} },
		NewList:  func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyList{} },
		Strategy: policyStrategy{},
		Table: tables.Convertor{
			Columns: []metav1.TableColumnDefinition{
				tables.NameColumn(),
				{Name: "Validations", Type: "integer", Description: "Validations indicates the number of validation rules defined in this configuration"},
				{Name: "ParamKind", Type: "string", Description: "ParamKind specifies the kind of resources used to parameterize this policy"},
				tables.AgeColumn(),
			},
			Cells: func(obj runtime.Object) ([]interface{}, error) {
				p, ok := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy)
				if !ok {
					return nil, fmt.Errorf("not a ValidatingAdmissionPolicy: %T", obj)
				}
				paramKind := "<unset>"
				if k := p.Spec.ParamKind; k != nil {
					paramKind = k.APIVersion + "/" + k.Kind
				}
				return []interface{}{p.Name, int64(len(p.Spec.Validations)), paramKind, tables.Age(p.CreationTimestamp)}, nil
			},
		},
		Defaults: func(obj runtime.Object) { DefaultPolicy(obj.(*admissionregistrationv1.ValidatingAdmissionPolicy)) },
	}
}

// StatusType is validatingadmissionpolicies/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// BindingType is the validatingadmissionpolicybindings resource.
func BindingType() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: gv.WithResource("validatingadmissionpolicybindings"),
			Kind:                 "ValidatingAdmissionPolicyBinding",
			ListKind:             "ValidatingAdmissionPolicyBindingList",
			Singular:             "validatingadmissionpolicybinding",
			Categories:           []string{"api-extensions"},
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{} },
		NewList:  func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBindingList{} },
		Strategy: bindingStrategy{},
		Table: tables.Convertor{
			Columns: []metav1.TableColumnDefinition{
				tables.NameColumn(),
				{Name: "PolicyName", Type: "string", Description: "PolicyName references a ValidatingAdmissionPolicy name which the ValidatingAdmissionPolicyBinding binds to."},
				{Name: "ParamRef", Type: "string", Description: "ParamRef specifies the parameter resource used to configure the admission control policy."},
				tables.AgeColumn(),
			},
			Cells: func(obj runtime.Object) ([]interface{}, error) {
				b, ok := obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
				if !ok {
					return nil, fmt.Errorf("not a ValidatingAdmissionPolicyBinding: %T", obj)
				}
				ref := "<unset>"
				if r := b.Spec.ParamRef; r != nil {
					ref = r.Name
					if r.Namespace != "" {
						ref = r.Namespace + "/" + r.Name
					}
					if r.Selector != nil {
						ref = "*/" + metav1.FormatLabelSelector(r.Selector)
					}
				}
				return []interface{}{b.Name, b.Spec.PolicyName, ref, tables.Age(b.CreationTimestamp)}, nil
			},
		},
		Defaults: func(obj runtime.Object) {
			DefaultBinding(obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding))
		},
	}
}

// DefaultPolicy sets kube's v1 defaults.
func DefaultPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
	if p.Spec.FailurePolicy == nil {
		f := admissionregistrationv1.Fail
		p.Spec.FailurePolicy = &f
	}
	defaultMatch(p.Spec.MatchConstraints)
}

// DefaultBinding sets kube's v1 defaults.
func DefaultBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	defaultMatch(b.Spec.MatchResources)
	if r := b.Spec.ParamRef; r != nil && r.ParameterNotFoundAction == nil {
		deny := admissionregistrationv1.DenyAction
		r.ParameterNotFoundAction = &deny
	}
}

func defaultMatch(m *admissionregistrationv1.MatchResources) {
	if m == nil {
		return
	}
	if m.MatchPolicy == nil {
		p := admissionregistrationv1.Equivalent
		m.MatchPolicy = &p
	}
	if m.NamespaceSelector == nil {
		m.NamespaceSelector = &metav1.LabelSelector{}
	}
	if m.ObjectSelector == nil {
		m.ObjectSelector = &metav1.LabelSelector{}
	}
	for _, rules := range [][]admissionregistrationv1.NamedRuleWithOperations{m.ResourceRules, m.ExcludeResourceRules} {
		for i := range rules {
			if rules[i].Scope == nil {
				s := admissionregistrationv1.AllScopes
				rules[i].Scope = &s
			}
		}
	}
}

// policyStrategy: spec and status; the generation moves with the spec.
type policyStrategy struct{ rest.SpecStatusStrategy }

func (policyStrategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return ValidatePolicy(obj.(*admissionregistrationv1.ValidatingAdmissionPolicy))
}

func (policyStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return ValidatePolicy(obj.(*admissionregistrationv1.ValidatingAdmissionPolicy))
}

type statusStrategy struct{ rest.StatusStrategy }

func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	var errs field.ErrorList
	p := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy)
	if tc := p.Status.TypeChecking; tc != nil {
		for i, w := range tc.ExpressionWarnings {
			wp := field.NewPath("status", "typeChecking", "expressionWarnings").Index(i)
			if w.Warning == "" {
				errs = append(errs, field.Required(wp.Child("warning"), ""))
			}
			if strings.TrimSpace(w.FieldRef) == "" {
				errs = append(errs, field.Required(wp.Child("fieldRef"), ""))
			}
		}
	}
	return append(errs, metav1validation.ValidateConditions(p.Status.Conditions, field.NewPath("status", "conditions"))...)
}

// bindingStrategy has no status; every change moves the generation.
type bindingStrategy struct{ rest.PlainStrategy }

func (bindingStrategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return ValidateBinding(obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding))
}

func (bindingStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return ValidateBinding(obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding))
}

func (bindingStrategy) SpecChanged(obj, old runtime.Object) bool {
	return !reflect.DeepEqual(obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding).Spec,
		old.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding).Spec)
}

var (
	failurePolicies = []string{"Fail", "Ignore"}
	matchPolicies   = []string{"Equivalent", "Exact"}
	reasons         = []string{string(metav1.StatusReasonForbidden), string(metav1.StatusReasonInvalid), string(metav1.StatusReasonRequestEntityTooLarge)}
	actions         = []string{"Audit", "Deny", "Warn"}
)

// compiler compiles a policy's expressions in its environment, wanting a
// result of type want (nil: any).
type compiler func(expr string, want *cel.Type) error

func (c compiler) into(errs field.ErrorList, p *field.Path, expr string, want *cel.Type) field.ErrorList {
	if err := c(expr, want); err != nil {
		return append(errs, field.Invalid(p, expr, err.Error()))
	}
	return errs
}

// policyCompiler declares the variables of spec, in order, each typed
// by its expression, as kube does: a validation may then be a boolean
// variable. It returns the compiler of the other expressions and each
// variable's compile error.
func policyCompiler(spec *admissionregistrationv1.ValidatingAdmissionPolicySpec) (compiler, []error) {
	env, err := celenv.New(celenv.Types{HasParams: spec.ParamKind != nil})
	if err != nil {
		return func(string, *cel.Type) error { return err }, make([]error, len(spec.Variables))
	}
	// An empty expression's error goes unreported: it is Required.
	varErrs := env.DeclareAll(spec.Variables)
	return func(expr string, want *cel.Type) error {
		_, err := env.Compile(expr, want)
		return err
	}, varErrs
}

// ValidatePolicy returns the errors of p, as kube's.
func ValidatePolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	var errs field.ErrorList
	sp := field.NewPath("spec")
	spec := &p.Spec
	if spec.FailurePolicy == nil {
		errs = append(errs, field.Required(sp.Child("failurePolicy"), ""))
	} else if !slices.Contains(failurePolicies, string(*spec.FailurePolicy)) {
		errs = append(errs, field.NotSupported(sp.Child("failurePolicy"), *spec.FailurePolicy, failurePolicies))
	}
	if k := spec.ParamKind; k != nil {
		errs = append(errs, validateParamKind(*k, sp.Child("paramKind"))...)
	}
	if spec.MatchConstraints == nil {
		errs = append(errs, field.Required(sp.Child("matchConstraints"), ""))
	} else {
		errs = append(errs, validateMatchResources(spec.MatchConstraints, sp.Child("matchConstraints"))...)
		if len(spec.MatchConstraints.ResourceRules) == 0 {
			errs = append(errs, field.Required(sp.Child("matchConstraints", "resourceRules"), ""))
		}
	}
	compile, varErrs := policyCompiler(spec)
	errs = append(errs, webhookconfiguration.ValidateMatchConditions(spec.MatchConditions, sp.Child("matchConditions"),
		func(expr string) error { return compile(strings.TrimSpace(expr), cel.BoolType) })...)
	for i, v := range spec.Variables {
		vp := sp.Child("variables").Index(i)
		if strings.TrimSpace(v.Name) == "" {
			errs = append(errs, field.Required(vp.Child("name"), "name is not specified"))
		} else if !isIdentifier(v.Name) {
			errs = append(errs, field.Invalid(vp.Child("name"), v.Name, "name is not a valid CEL identifier"))
		}
		if strings.TrimSpace(v.Expression) == "" {
			errs = append(errs, field.Required(vp.Child("expression"), "expression is not specified"))
		} else if varErrs[i] != nil {
			errs = append(errs, field.Invalid(vp.Child("expression"), v.Expression, varErrs[i].Error()))
		}
	}
	if len(spec.Validations) == 0 && len(spec.AuditAnnotations) == 0 {
		errs = append(errs, field.Required(sp.Child("validations"), "validations or auditAnnotations must contain at least one item"),
			field.Required(sp.Child("auditAnnotations"), "validations or auditAnnotations must contain at least one item"))
	}
	for i, v := range spec.Validations {
		vp := sp.Child("validations").Index(i)
		if strings.TrimSpace(v.Expression) == "" {
			errs = append(errs, field.Required(vp.Child("expression"), "expression is not specified"))
		} else {
			errs = compile.into(errs, vp.Child("expression"), v.Expression, cel.BoolType)
		}
		if v.MessageExpression != "" && strings.TrimSpace(v.MessageExpression) == "" {
			errs = append(errs, field.Invalid(vp.Child("messageExpression"), v.MessageExpression, "must be non-empty if specified"))
		} else if strings.TrimSpace(v.MessageExpression) != "" {
			errs = compile.into(errs, vp.Child("messageExpression"), v.MessageExpression, cel.StringType)
		}
		msg := strings.TrimSpace(v.Message)
		if v.Message != "" && msg == "" {
			errs = append(errs, field.Invalid(vp.Child("message"), v.Message, "message must be non-empty if specified"))
		} else if strings.ContainsAny(msg, "\n\r") {
			errs = append(errs, field.Invalid(vp.Child("message"), v.Message, "message must not contain line breaks"))
		}
		if v.Reason != nil && !slices.Contains(reasons, string(*v.Reason)) {
			errs = append(errs, field.NotSupported(vp.Child("reason"), *v.Reason, reasons))
		}
	}
	if len(spec.AuditAnnotations) > 20 {
		errs = append(errs, field.Invalid(sp.Child("auditAnnotations"), spec.AuditAnnotations, "must not have more than 20 auditAnnotations"))
	}
	keys := map[string]bool{}
	for i, a := range spec.AuditAnnotations {
		ap := sp.Child("auditAnnotations").Index(i)
		if p.Name == "" {
			errs = append(errs, field.Invalid(ap.Child("key"), a.Key, "requires metadata.name be non-empty"))
		} else {
			for _, msg := range validation.IsQualifiedName(p.Name + "/" + a.Key) {
				errs = append(errs, field.Invalid(ap.Child("key"), p.Name+"/"+a.Key, msg))
			}
		}
		switch expr := strings.TrimSpace(a.ValueExpression); {
		case expr == "":
			errs = append(errs, field.Required(ap.Child("valueExpression"), "valueExpression is not specified"))
		case len(expr) > 5*1024:
			errs = append(errs, field.Required(ap.Child("valueExpression"), "must not exceed 5120 bytes in length"))
		default:
			if err := compile(expr, nil); err != nil {
				errs = append(errs, field.Invalid(ap.Child("valueExpression"), a.ValueExpression, err.Error()))
			}
		}
		if keys[a.Key] {
			errs = append(errs, field.Duplicate(ap.Child("key"), a.Key))
		}
		keys[a.Key] = true
	}
	return errs
}

func isIdentifier(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

func validateParamKind(k admissionregistrationv1.ParamKind, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if k.APIVersion == "" {
		errs = append(errs, field.Required(p.Child("apiVersion"), ""))
	} else if gv, err := schema.ParseGroupVersion(k.APIVersion); err != nil {
		errs = append(errs, field.Invalid(p.Child("apiVersion"), k.APIVersion, err.Error()))
	} else {
		if gv.Group != "" {
			if msgs := validation.IsDNS1123Subdomain(gv.Group); len(msgs) > 0 {
				errs = append(errs, field.Invalid(p.Child("apiVersion"), gv.Group, strings.Join(msgs, ",")))
			}
		}
		if gv.Version == "" {
			errs = append(errs, field.Invalid(p.Child("apiVersion"), k.APIVersion, "version must be specified"))
		} else if msgs := validation.IsDNS1035Label(gv.Version); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("apiVersion"), gv.Version, strings.Join(msgs, ",")))
		}
	}
	if k.Kind == "" {
		errs = append(errs, field.Required(p.Child("kind"), ""))
	} else if msgs := validation.IsDNS1035Label(strings.ToLower(k.Kind)); len(msgs) > 0 {
		errs = append(errs, field.Invalid(p.Child("kind"), k.Kind, "may have mixed case, but should otherwise match: "+strings.Join(msgs, ",")))
	}
	return errs
}

func validateMatchResources(m *admissionregistrationv1.MatchResources, p *field.Path) field.ErrorList {
	if m == nil {
		return nil
	}
	var errs field.ErrorList
	if m.MatchPolicy == nil {
		errs = append(errs, field.Required(p.Child("matchPolicy"), ""))
	} else if !slices.Contains(matchPolicies, string(*m.MatchPolicy)) {
		errs = append(errs, field.NotSupported(p.Child("matchPolicy"), *m.MatchPolicy, matchPolicies))
	}
	for _, f := range []struct {
		name string
		sel  *metav1.LabelSelector
	}{{"namespaceSelector", m.NamespaceSelector}, {"objectSelector", m.ObjectSelector}} {
		name, sel := f.name, f.sel
		if sel == nil {
			errs = append(errs, field.Required(p.Child(name), ""))
		} else {
			errs = append(errs, metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, p.Child(name))...)
		}
	}
	for _, f := range []struct {
		child string
		rules []admissionregistrationv1.NamedRuleWithOperations
	}{{"resourceRules", m.ResourceRules}, {"excludeResourceRules", m.ExcludeResourceRules}} {
		child := f.child
		for i, r := range f.rules {
			rp := p.Child(child).Index(i)
			seen := map[string]bool{}
			for j, n := range r.ResourceNames {
				for _, msg := range path.ValidatePathSegmentName(n, false) {
					errs = append(errs, field.Invalid(rp.Child("resourceNames").Index(j), n, msg))
				}
				if seen[n] {
					errs = append(errs, field.Duplicate(rp.Child("resourceNames").Index(j), n))
				}
				seen[n] = true
			}
			errs = append(errs, webhookconfiguration.ValidateRule(r.RuleWithOperations, rp)...)
		}
	}
	return errs
}

// ValidateBinding returns the errors of b, as kube's.
func ValidateBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	var errs field.ErrorList
	sp := field.NewPath("spec")
	if b.Spec.PolicyName == "" {
		errs = append(errs, field.Required(sp.Child("policyName"), ""))
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(b.Spec.PolicyName) {
			errs = append(errs, field.Invalid(sp.Child("policyName"), b.Spec.PolicyName, msg))
		}
	}
	if r := b.Spec.ParamRef; r != nil {
		rp := sp.Child("paramRef")
		if r.Name != "" {
			for _, msg := range path.ValidatePathSegmentName(r.Name, false) {
				errs = append(errs, field.Invalid(rp.Child("name"), r.Name, msg))
			}
			if r.Selector != nil {
				errs = append(errs, field.Forbidden(rp.Child("name"), "name and selector are mutually exclusive"))
			}
		}
		if r.Selector != nil {
			errs = append(errs, metav1validation.ValidateLabelSelector(r.Selector, metav1validation.LabelSelectorValidationOptions{}, rp.Child("selector"))...)
			if r.Name != "" {
				errs = append(errs, field.Forbidden(rp.Child("selector"), "name and selector are mutually exclusive"))
			}
		}
		if r.Name == "" && r.Selector == nil {
			errs = append(errs, field.Required(rp, "one of name or selector must be specified"))
		}
		if r.ParameterNotFoundAction == nil || *r.ParameterNotFoundAction == "" {
			errs = append(errs, field.Required(rp.Child("parameterNotFoundAction"), ""))
		} else if a := *r.ParameterNotFoundAction; a != admissionregistrationv1.DenyAction && a != admissionregistrationv1.AllowAction {
			errs = append(errs, field.NotSupported(rp.Child("parameterNotFoundAction"), a, []string{"Deny", "Allow"}))
		}
	}
	// kube's path, misspelt as it is.
	errs = append(errs, validateMatchResources(b.Spec.MatchResources, sp.Child("matchResouces"))...)
	ap := sp.Child("validationActions")
	seen := map[admissionregistrationv1.ValidationAction]bool{}
	for i, a := range b.Spec.ValidationActions {
		if !slices.Contains(actions, string(a)) {
			errs = append(errs, field.NotSupported(ap.Index(i), a, actions))
		}
		if seen[a] {
			errs = append(errs, field.Duplicate(ap.Index(i), a))
		}
		seen[a] = true
	}
	if seen[admissionregistrationv1.Deny] && seen[admissionregistrationv1.Warn] {
		errs = append(errs, field.Invalid(ap, b.Spec.ValidationActions, "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	if len(seen) == 0 {
		errs = append(errs, field.Required(ap, "at least one validation action is required"))
	}
	return errs
}
