package webhookconfiguration

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/cel"
	"github.com/apiserver/apiserver/pkg/client/webhookclient"
)

// Options are what an update relaxes: a rule an existing configuration
// already broke is not enforced on its update, as kube ratchets them.
type Options struct {
	RequireNoSideEffects             bool
	RequireRecognizedReviewVersion   bool
	RequireUniqueNames               bool
	AllowInvalidLabelValueInSelector bool
	// IgnoreMatchConditions skips compiling conditions that did not change.
	IgnoreMatchConditions bool
}

func strictOptions() Options {
	return Options{RequireNoSideEffects: true, RequireRecognizedReviewVersion: true, RequireUniqueNames: true}
}

// updateOptions ratchets each rule on whether old already met it.
func updateOptions(old, hooks []Hook) Options {
	o := Options{RequireNoSideEffects: true, RequireRecognizedReviewVersion: true, RequireUniqueNames: true}
	names := map[string]bool{}
	for _, h := range old {
		if h.SideEffects == nil || !slices.Contains(noSideEffects, string(*h.SideEffects)) {
			o.RequireNoSideEffects = false
		}
		if len(h.AdmissionReviewVersions) > 0 && !slices.ContainsFunc(h.AdmissionReviewVersions, accepted) {
			o.RequireRecognizedReviewVersion = false
		}
		if names[h.Name] {
			o.RequireUniqueNames = false
		}
		names[h.Name] = true
		for _, s := range []*metav1.LabelSelector{h.NamespaceSelector, h.ObjectSelector} {
			if s != nil && len(metav1validation.ValidateLabelSelector(s, metav1validation.LabelSelectorValidationOptions{}, nil)) > 0 {
				o.AllowInvalidLabelValueInSelector = true
			}
		}
	}
	if len(old) == len(hooks) {
		o.IgnoreMatchConditions = true
		for i := range old {
			if !reflect.DeepEqual(old[i].MatchConditions, hooks[i].MatchConditions) {
				o.IgnoreMatchConditions = false
			}
		}
	}
	return o
}

func accepted(v string) bool { return slices.Contains(webhookclient.ReviewVersions, v) }

var (
	noSideEffects        = []string{"None", "NoneOnDryRun"}
	allSideEffects       = []string{"None", "NoneOnDryRun", "Some", "Unknown"}
	failurePolicies      = []string{"Fail", "Ignore"}
	matchPolicies        = []string{"Equivalent", "Exact"}
	operations           = []string{"*", "CONNECT", "CREATE", "DELETE", "UPDATE"}
	reinvocationPolicies = []string{"IfNeeded", "Never"}
	scopes               = []string{"*", "Cluster", "Namespaced"}
)

// ValidateMutating returns the errors of c's webhooks.
func ValidateMutating(c *admissionregistrationv1.MutatingWebhookConfiguration, o Options) field.ErrorList {
	return validateHooks(mutatingHooks(c.Webhooks), o)
}

// ValidateValidating returns the errors of c's webhooks.
func ValidateValidating(c *admissionregistrationv1.ValidatingWebhookConfiguration, o Options) field.ErrorList {
	return validateHooks(validatingHooks(c.Webhooks), o)
}

func validateHooks(hooks []Hook, o Options) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, h := range hooks {
		p := field.NewPath("webhooks").Index(i)
		errs = append(errs, validateHook(h, o, p)...)
		errs = append(errs, webhookclient.ValidateReviewVersions(h.AdmissionReviewVersions, o.RequireRecognizedReviewVersion, p.Child("admissionReviewVersions"))...)
		if o.RequireUniqueNames && h.Name != "" {
			if seen[h.Name] {
				errs = append(errs, field.Duplicate(p.Child("name"), h.Name))
			}
			seen[h.Name] = true
		}
	}
	return errs
}

func validateHook(h Hook, o Options, p *field.Path) field.ErrorList {
	errs := validation.IsFullyQualifiedName(p.Child("name"), h.Name)
	for i, r := range h.Rules {
		errs = append(errs, ValidateRule(r, p.Child("rules").Index(i))...)
	}
	if h.FailurePolicy != nil && !slices.Contains(failurePolicies, string(*h.FailurePolicy)) {
		errs = append(errs, field.NotSupported(p.Child("failurePolicy"), *h.FailurePolicy, failurePolicies))
	}
	if h.MatchPolicy != nil && !slices.Contains(matchPolicies, string(*h.MatchPolicy)) {
		errs = append(errs, field.NotSupported(p.Child("matchPolicy"), *h.MatchPolicy, matchPolicies))
	}
	allowed := allSideEffects
	if o.RequireNoSideEffects {
		allowed = noSideEffects
	}
	if h.SideEffects == nil {
		errs = append(errs, field.Required(p.Child("sideEffects"), "must specify one of "+strings.Join(allowed, ", ")))
	} else if !slices.Contains(allowed, string(*h.SideEffects)) {
		errs = append(errs, field.NotSupported(p.Child("sideEffects"), *h.SideEffects, allowed))
	}
	if t := h.TimeoutSeconds; t != nil && (*t > 30 || *t < 1) {
		errs = append(errs, field.Invalid(p.Child("timeoutSeconds"), *t, "the timeout value must be between 1 and 30 seconds"))
	}
	selOpts := metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: o.AllowInvalidLabelValueInSelector}
	if h.NamespaceSelector != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(h.NamespaceSelector, selOpts, p.Child("namespaceSelector"))...)
	}
	if h.ObjectSelector != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(h.ObjectSelector, selOpts, p.Child("objectSelector"))...)
	}
	if h.ReinvocationPolicy != nil && !slices.Contains(reinvocationPolicies, string(*h.ReinvocationPolicy)) {
		errs = append(errs, field.NotSupported(p.Child("reinvocationPolicy"), *h.ReinvocationPolicy, reinvocationPolicies))
	}
	cc := h.ClientConfig
	switch {
	case (cc.URL == nil) == (cc.Service == nil):
		errs = append(errs, field.Required(p.Child("clientConfig"), "exactly one of url or service is required"))
	case cc.URL != nil:
		errs = append(errs, webhookclient.ValidateURL(p.Child("clientConfig", "url"), *cc.URL)...)
	default:
		port := int32(443)
		if cc.Service.Port != nil {
			port = *cc.Service.Port
		}
		errs = append(errs, webhookclient.ValidateService(p.Child("clientConfig", "service"), cc.Service.Namespace, cc.Service.Name, cc.Service.Path, port)...)
	}
	if !o.IgnoreMatchConditions {
		errs = append(errs, ValidateMatchConditions(h.MatchConditions, p.Child("matchConditions"), CompileCondition)...)
	}
	return errs
}

// ValidateRule checks a rule's operations, groups, versions, resources
// and scope, as kube does.
func ValidateRule(r admissionregistrationv1.RuleWithOperations, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(r.Operations) == 0 {
		errs = append(errs, field.Required(p.Child("operations"), ""))
	}
	if len(r.Operations) > 1 && slices.Contains(r.Operations, admissionregistrationv1.OperationAll) {
		errs = append(errs, field.Invalid(p.Child("operations"), r.Operations, "if '*' is present, must not specify other operations"))
	}
	for i, op := range r.Operations {
		if !slices.Contains(operations, string(op)) {
			errs = append(errs, field.NotSupported(p.Child("operations").Index(i), op, operations))
		}
	}
	if len(r.APIGroups) == 0 {
		errs = append(errs, field.Required(p.Child("apiGroups"), ""))
	}
	if len(r.APIGroups) > 1 && slices.Contains(r.APIGroups, "*") {
		errs = append(errs, field.Invalid(p.Child("apiGroups"), r.APIGroups, "if '*' is present, must not specify other API groups"))
	}
	if len(r.APIVersions) == 0 {
		errs = append(errs, field.Required(p.Child("apiVersions"), ""))
	}
	if len(r.APIVersions) > 1 && slices.Contains(r.APIVersions, "*") {
		errs = append(errs, field.Invalid(p.Child("apiVersions"), r.APIVersions, "if '*' is present, must not specify other API versions"))
	}
	for i, v := range r.APIVersions {
		if v == "" {
			errs = append(errs, field.Required(p.Child("apiVersions").Index(i), ""))
		}
	}
	errs = append(errs, validateResources(r.Resources, p.Child("resources"))...)
	if r.Scope != nil && !slices.Contains(scopes, string(*r.Scope)) {
		errs = append(errs, field.NotSupported(p.Child("scope"), *r.Scope, scopes))
	}
	return errs
}

// validateResources refuses resource lists whose wildcards overlap, as
// kube does: "*/*" alone, "*" not beside plain resources, "x/*" not
// beside "x/y", "*/y" not beside "x/y".
func validateResources(resources []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(resources) == 0 {
		errs = append(errs, field.Required(p, ""))
	}
	anySub, anyRes := map[string]bool{}, map[string]bool{}
	var doubleWildcard, singleWildcard, plain bool
	for i, rs := range resources {
		if rs == "" {
			errs = append(errs, field.Required(p.Index(i), ""))
			continue
		}
		doubleWildcard = doubleWildcard || rs == "*/*"
		singleWildcard = singleWildcard || rs == "*"
		res, sub, ok := strings.Cut(rs, "/")
		if !ok {
			plain = rs != "*"
			continue
		}
		if anySub[res] {
			errs = append(errs, field.Invalid(p.Index(i), rs, fmt.Sprintf("if '%s/*' is present, must not specify %s", res, rs)))
		}
		if anyRes[sub] {
			errs = append(errs, field.Invalid(p.Index(i), rs, fmt.Sprintf("if '*/%s' is present, must not specify %s", sub, rs)))
		}
		if sub == "*" {
			anySub[res] = true
		}
		if res == "*" {
			anyRes[sub] = true
		}
	}
	if len(resources) > 1 && doubleWildcard {
		errs = append(errs, field.Invalid(p, resources, "if '*/*' is present, must not specify other resources"))
	}
	if singleWildcard && plain {
		errs = append(errs, field.Invalid(p, resources, "if '*' is present, must not specify other resources without subresources"))
	}
	return errs
}

// ValidateMatchConditions checks names (qualified, unique), at most 64
// conditions, and compiles each expression with compile.
func ValidateMatchConditions(conds []admissionregistrationv1.MatchCondition, p *field.Path, compile func(string) error) field.ErrorList {
	var errs field.ErrorList
	if len(conds) > 64 {
		errs = append(errs, field.TooMany(p, len(conds), 64))
	}
	names := map[string]bool{}
	for i, c := range conds {
		cp := p.Index(i)
		if strings.TrimSpace(c.Expression) == "" {
			errs = append(errs, field.Required(cp.Child("expression"), ""))
		} else if err := compile(c.Expression); err != nil {
			errs = append(errs, field.Invalid(cp.Child("expression"), c.Expression, err.Error()))
		}
		if c.Name == "" {
			errs = append(errs, field.Required(cp.Child("name"), ""))
		} else {
			for _, msg := range validation.IsQualifiedName(c.Name) {
				errs = append(errs, field.Invalid(cp.Child("name"), c.Name, msg))
			}
			if names[c.Name] {
				errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
			}
			names[c.Name] = true
		}
	}
	return errs
}

// CompileCondition compiles a match condition, which must be boolean.
func CompileCondition(expr string) error {
	env, err := cel.AdmissionEnv()
	if err != nil {
		return err
	}
	_, err = env.Compile(strings.TrimSpace(expr), cel.BoolType)
	return err
}
