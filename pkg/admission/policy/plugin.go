package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/admission/webhook"
	"github.com/apiserver/apiserver/pkg/audit"
	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/cel"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Name is the plugin's, as --disable-admission-plugins knows it.
const Name = "ValidatingAdmissionPolicy"

// auditKey is the audit annotation of failed validations with the
// Audit action, as kube names it.
const auditKey = "validation.policy.admission.k8s.io/validation_failure"

// Plugin is the ValidatingAdmissionPolicy plugin.
type Plugin struct {
	Source *Source
	// Namespaces reads a namespace, for selectors and namespaceObject.
	Namespaces webhook.NamespaceGetter
	// Catalog finds the resource of a paramKind.
	Catalog *rest.Catalog
	// Equivalents lists the other versions of a request's resource, for
	// matchPolicy Equivalent.
	Equivalents func(a *admission.Attributes) []webhook.Version
	// Authorizer answers the expressions' authorizer checks.
	Authorizer authz.Authorizer
}

var _ admission.ValidationInterface = Plugin{}

// request is what one admission request's evaluation shares.
type evaluation struct {
	ctx       context.Context
	a         *admission.Attributes
	p         Plugin
	vars      map[string]any
	done      map[string]bool
	namespace *corev1.Namespace
	nsRead    bool
}

// Validate runs every binding whose policy matches a.
func (p Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	if p.Source == nil || admission.IsConfiguration(a) {
		return nil
	}
	if err := p.Source.WaitForSync(ctx); err != nil {
		return apierrors.NewInternalError(fmt.Errorf("admission policies not yet read: %w", err))
	}
	bindings := *p.Source.bindings.Load()
	if len(bindings) == 0 {
		return nil
	}
	policies := *p.Source.policies.Load()
	e := &evaluation{ctx: ctx, a: a, p: p}
	for _, b := range bindings {
		c := policies[b.src.Spec.PolicyName]
		if c == nil {
			continue
		}
		ok, err := e.matches(c.match)
		if err == nil && ok && b.src.Spec.MatchResources != nil {
			if b.err != nil {
				err = b.err
			} else {
				ok, err = e.matches(b.match)
			}
		}
		if err != nil {
			return apierrors.NewInternalError(err)
		}
		if !ok {
			continue
		}
		if err := e.run(c, b.src); err != nil {
			return err
		}
	}
	return nil
}

// matches reports whether m selects the request.
func (e *evaluation) matches(m *matcher) (bool, error) {
	if m == nil {
		return true, nil
	}
	a := e.a
	covered := func(rules []admissionregistrationv1.NamedRuleWithOperations, gvr schema.GroupVersionResource) bool {
		return slices.ContainsFunc(rules, func(r admissionregistrationv1.NamedRuleWithOperations) bool {
			return webhook.RuleMatches(r.RuleWithOperations, a.Operation, gvr, a.Subresource, a.Namespace) &&
				(len(r.ResourceNames) == 0 || slices.Contains(r.ResourceNames, a.Name))
		})
	}
	// A binding's matchResources without resourceRules narrows the
	// policy's only by its other fields (a policy must have rules).
	matched := len(m.src.ResourceRules) == 0 || covered(m.src.ResourceRules, a.Resource)
	if !matched && m.src.MatchPolicy != nil && *m.src.MatchPolicy == admissionregistrationv1.Equivalent && e.p.Equivalents != nil {
		for _, v := range e.p.Equivalents(a) {
			if covered(m.src.ResourceRules, v.Resource) {
				matched = true
				break
			}
		}
	}
	if !matched || covered(m.src.ExcludeResourceRules, a.Resource) {
		return false, nil
	}
	if !m.objectSelector.Empty() && !selects(m.objectSelector, a.Object) && !selects(m.objectSelector, a.OldObject) {
		return false, nil
	}
	if m.namespaceSelector.Empty() {
		return true, nil
	}
	if a.Resource.Group == "" && a.Resource.Resource == "namespaces" && a.Subresource == "" {
		obj := a.Object
		if obj == nil {
			obj = a.OldObject
		}
		return selects(m.namespaceSelector, obj), nil
	}
	if a.Namespace == "" {
		return true, nil
	}
	ns, err := e.getNamespace()
	if err != nil {
		return false, err
	}
	return ns != nil && m.namespaceSelector.Matches(labels.Set(ns.Labels)), nil
}

func selects(s labels.Selector, obj runtime.Object) bool {
	if obj == nil {
		return false
	}
	m, err := meta.Accessor(obj)
	return err == nil && s.Matches(labels.Set(m.GetLabels()))
}

func (e *evaluation) getNamespace() (*corev1.Namespace, error) {
	if e.nsRead || e.a.Namespace == "" || e.p.Namespaces == nil {
		return e.namespace, nil
	}
	ns, err := e.p.Namespaces(e.ctx, e.a.Namespace)
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	e.namespace, e.nsRead = ns, true
	return ns, nil
}

// base returns the variables the expressions of c read (the others
// null), computed once per request.
func (e *evaluation) base(c *compiled) map[string]any {
	a := e.a
	if e.vars == nil {
		e.vars = map[string]any{"object": nil, "oldObject": nil, "request": nil, "namespaceObject": nil}
		// The authorizer variables have no null: a policy that does not
		// use them gets an authorizer that denies.
		e.vars["authorizer"] = cel.Authorizer(e.ctx, nil, a.User)
		e.vars["authorizer.requestResource"] = cel.RequestResource(e.ctx, nil, a.User, "", "", "", "", "", "")
		e.done = map[string]bool{}
	}
	for name := range c.uses {
		if e.done[name] {
			continue
		}
		e.done[name] = true
		switch name {
		case "object":
			e.vars[name] = cel.ObjectValue(a.Object)
		case "oldObject":
			e.vars[name] = cel.ObjectValue(a.OldObject)
		case "namespaceObject":
			if ns, err := e.getNamespace(); err == nil && ns != nil {
				e.vars[name] = cel.ObjectValue(ns)
			}
		case "request":
			e.vars[name] = cel.RequestValue(a)
		case "authorizer":
			e.vars[name] = cel.Authorizer(e.ctx, e.p.Authorizer, a.User)
		case "authorizer.requestResource":
			e.vars[name] = cel.RequestResource(e.ctx, e.p.Authorizer, a.User, a.Resource.Group, a.Resource.Version, a.Resource.Resource, a.Subresource, a.Namespace, a.Name)
		}
	}
	return e.vars
}

// violation is one failed validation.
type violation struct {
	message string
	reason  metav1.StatusReason
	index   int
}

// run evaluates one policy under one binding.
func (e *evaluation) run(c *compiled, b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) error {
	fail := c.policy.Spec.FailurePolicy == nil || *c.policy.Spec.FailurePolicy == admissionregistrationv1.Fail
	failed := func(err error) error {
		if !fail {
			klog.FromContext(e.ctx).Error(err, "Admission policy failed, failing open", "policy", c.policy.Name, "binding", b.Name)
			return nil
		}
		return e.deny(c, b, []violation{{message: err.Error(), reason: metav1.StatusReasonInvalid}})
	}
	if c.err != nil {
		return failed(c.err)
	}
	params, err := e.params(c, b)
	if err != nil {
		return failed(err)
	}
	if params == nil {
		return nil // parameterNotFoundAction Allow
	}
	for _, param := range params {
		vars := map[string]any{}
		for k, v := range e.base(c) {
			vars[k] = v
		}
		vars["params"] = param
		variables := map[string]any{}
		vars["variables"] = variables
		for _, v := range c.variables {
			out, err := v.prg.Eval(e.ctx, vars)
			if err != nil {
				// An error only counts where the variable is used.
				variables[v.name] = cel.ErrorValue(err)
				continue
			}
			variables[v.name] = out
		}
		matched := true
		for _, mc := range c.conditions {
			ok, err := mc.prg.EvalBool(e.ctx, vars)
			if err != nil {
				return failed(fmt.Errorf("failed to evaluate match condition %q: %w", mc.name, err))
			}
			if !ok {
				matched = false
				break
			}
		}
		if !matched {
			continue
		}
		var violations []violation
		for i, v := range c.validations {
			ok, err := v.prg.EvalBool(e.ctx, vars)
			if err != nil {
				if fail {
					violations = append(violations, violation{message: fmt.Sprintf("expression '%v' resulted in error: %v", v.src.Expression, err), reason: metav1.StatusReasonInvalid, index: i})
				}
				continue
			}
			if ok {
				continue
			}
			reason := metav1.StatusReasonInvalid
			if v.src.Reason != nil {
				reason = *v.src.Reason
			}
			violations = append(violations, violation{message: e.message(v, vars), reason: reason, index: i})
		}
		rec := audit.RecordFrom(e.ctx)
		for _, an := range c.annotations {
			out, err := an.prg.Eval(e.ctx, vars)
			if err != nil {
				continue
			}
			if s, ok := out.Value().(string); ok {
				rec.Annotate(c.policy.Name+"/"+an.name, s)
			}
		}
		if err := e.act(c, b, violations); err != nil {
			return err
		}
	}
	return nil
}

// message is a failed validation's message: its messageExpression, its
// message, or kube's default.
func (e *evaluation) message(v validation, vars map[string]any) string {
	if v.message != nil {
		if out, err := v.message.Eval(e.ctx, vars); err == nil {
			if s, ok := out.Value().(string); ok && strings.TrimSpace(s) != "" && !strings.ContainsAny(s, "\n\r") {
				return strings.TrimSpace(s)
			}
		}
	}
	if m := strings.TrimSpace(v.src.Message); m != "" {
		return m
	}
	return "failed expression: " + strings.TrimSpace(v.src.Expression)
}

// act applies the binding's validation actions to the violations.
func (e *evaluation) act(c *compiled, b *admissionregistrationv1.ValidatingAdmissionPolicyBinding, violations []violation) error {
	if len(violations) == 0 {
		return nil
	}
	var denyErr error
	for _, action := range b.Spec.ValidationActions {
		switch action {
		case admissionregistrationv1.Deny:
			denyErr = e.deny(c, b, violations)
		case admissionregistrationv1.Warn:
			for _, v := range violations {
				request.AddWarning(e.ctx, fmt.Sprintf("Validation failed for ValidatingAdmissionPolicy '%s' with binding '%s': %s", c.policy.Name, b.Name, v.message))
			}
		case admissionregistrationv1.Audit:
			var records []map[string]any
			for _, v := range violations {
				records = append(records, map[string]any{"message": v.message, "policy": c.policy.Name, "binding": b.Name,
					"expressionIndex": v.index, "validationActions": b.Spec.ValidationActions})
			}
			if data, err := json.Marshal(records); err == nil {
				audit.RecordFrom(e.ctx).Annotate(auditKey, string(data))
			}
		}
	}
	return denyErr
}

// deny is the error of the first violation, with the code of its
// reason, worded as kube's: the resource and name forbidden, the
// policy's message as the cause.
func (e *evaluation) deny(c *compiled, b *admissionregistrationv1.ValidatingAdmissionPolicyBinding, violations []violation) error {
	v := violations[0]
	code := int32(http.StatusUnprocessableEntity)
	switch v.reason {
	case metav1.StatusReasonForbidden:
		code = http.StatusForbidden
	case metav1.StatusReasonRequestEntityTooLarge:
		code = http.StatusRequestEntityTooLarge
	}
	msg := fmt.Sprintf("ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s", c.policy.Name, b.Name, v.message)
	gr := e.a.Resource.GroupResource()
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: code, Reason: v.reason,
		Message: fmt.Sprintf("%s %q is forbidden: %s", gr.String(), e.a.Name, msg),
		Details: &metav1.StatusDetails{Name: e.a.Name, Group: gr.Group, Kind: gr.Resource, Causes: []metav1.StatusCause{{Message: msg}}},
	}}
}

// params returns the parameter objects the binding names (one nil entry
// for a policy without paramKind); nil when none is found and the
// binding allows that.
func (e *evaluation) params(c *compiled, b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) ([]any, error) {
	kind := c.policy.Spec.ParamKind
	if kind == nil {
		return []any{nil}, nil
	}
	ref := b.Spec.ParamRef
	if ref == nil {
		return nil, fmt.Errorf("policy %s has paramKind but binding %s has no paramRef", c.policy.Name, b.Name)
	}
	gv, err := schema.ParseGroupVersion(kind.APIVersion)
	if err != nil {
		return nil, err
	}
	if e.p.Catalog == nil {
		return nil, fmt.Errorf("params cannot be read")
	}
	r, ok := e.p.Catalog.ResourceOf(gv.WithKind(kind.Kind))
	if !ok {
		return nil, fmt.Errorf("failed to find resource referenced by paramKind: '%v'", gv.WithKind(kind.Kind))
	}
	ns := ""
	if r.Info.Namespaced {
		ns = ref.Namespace
		if ns == "" {
			ns = e.a.Namespace
		}
		if ns == "" {
			return nil, fmt.Errorf("cannot use a namespaced paramRef in policy binding %s that matches cluster-scoped resources", b.Name)
		}
	}
	var found []any
	if ref.Name != "" {
		getter, ok := r.Storage.(rest.Getter)
		if !ok {
			return nil, fmt.Errorf("params of %s cannot be read", r.Info.Resource)
		}
		obj, err := getter.Get(e.ctx, ns, ref.Name, &metav1.GetOptions{ResourceVersion: "0"})
		switch {
		case err == nil:
			found = append(found, cel.ObjectValue(obj))
		case !apierrors.IsNotFound(err):
			return nil, err
		}
	} else {
		lister, ok := r.Storage.(rest.Lister)
		if !ok {
			return nil, fmt.Errorf("params of %s cannot be listed", r.Info.Resource)
		}
		sel, err := metav1.LabelSelectorAsSelector(ref.Selector)
		if err != nil {
			return nil, err
		}
		list, err := lister.List(e.ctx, ns, &metav1.ListOptions{LabelSelector: sel.String(), ResourceVersion: "0"})
		if err != nil {
			return nil, err
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			found = append(found, cel.ObjectValue(item))
		}
	}
	if len(found) == 0 {
		if ref.ParameterNotFoundAction != nil && *ref.ParameterNotFoundAction == admissionregistrationv1.AllowAction {
			return nil, nil
		}
		return nil, fmt.Errorf("failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction")
	}
	return found, nil
}
