package policy

import (
	"context"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/admission/webhook"
	"github.com/apiserver/apiserver/pkg/audit"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	vap "github.com/apiserver/apiserver/pkg/registry/admissionregistration/policy"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

func ptr[T any](v T) *T { return &v }

var deployments = appsv1.SchemeGroupVersion.WithResource("deployments")

func newPolicy(name string, validations ...admissionregistrationv1.Validation) *admissionregistrationv1.ValidatingAdmissionPolicy {
	p := &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
		MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
			RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{"*"},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}}}}}},
		Validations: validations,
	}}
	vap.DefaultPolicy(p)
	return p
}

func newBinding(name, policy string, actions ...admissionregistrationv1.ValidationAction) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy, ValidationActions: actions}}
	vap.DefaultBinding(b)
	return b
}

// sourceOf is a synced Source of policies and bindings.
func sourceOf(t testing.TB, policies []*admissionregistrationv1.ValidatingAdmissionPolicy, bindings ...*admissionregistrationv1.ValidatingAdmissionPolicyBinding) *Source {
	t.Helper()
	s := NewSource()
	ps := map[string]*compiled{}
	for _, p := range policies {
		ps[p.Name] = compile(p)
	}
	var bs []*binding
	for _, b := range bindings {
		m, err := newMatcher(b.Spec.MatchResources)
		bs = append(bs, &binding{src: b, match: m, err: err})
	}
	s.policies.Store(&ps)
	s.bindings.Store(&bs)
	close(s.synced)
	return s
}

func deployment(name string, replicas int32, labels map[string]string) *admission.Attributes {
	return &admission.Attributes{Operation: admission.Create, Resource: deployments, Kind: appsv1.SchemeGroupVersion.WithKind("Deployment"),
		Namespace: "default", Name: name, Object: &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Spec: appsv1.DeploymentSpec{Replicas: &replicas}}}
}

func TestActions(t *testing.T) {
	p := newPolicy("small", admissionregistrationv1.Validation{Expression: "object.spec.replicas < 3", Message: "too many replicas"})
	p.Spec.AuditAnnotations = []admissionregistrationv1.AuditAnnotation{{Key: "replicas", ValueExpression: "string(object.spec.replicas)"}}
	for _, tc := range []struct {
		actions                 []admissionregistrationv1.ValidationAction
		denied, warned, audited bool
	}{
		{[]admissionregistrationv1.ValidationAction{"Deny"}, true, false, false},
		{[]admissionregistrationv1.ValidationAction{"Warn"}, false, true, false},
		{[]admissionregistrationv1.ValidationAction{"Warn", "Audit"}, false, true, true},
	} {
		plugin := Plugin{Source: sourceOf(t, []*admissionregistrationv1.ValidatingAdmissionPolicy{p}, newBinding("b", "small", tc.actions...))}
		warnings, rec := &request.Warnings{}, audit.NewRecord(audit.Event{})
		ctx := audit.WithRecord(request.WithWarnings(context.Background(), warnings), rec)
		err := plugin.Validate(ctx, deployment("d", 5, nil))
		if tc.denied != (err != nil) {
			t.Errorf("%v: error %v", tc.actions, err)
		}
		if err != nil && (!apierrors.IsInvalid(err) || err.Error() != `deployments.apps "d" is forbidden: ValidatingAdmissionPolicy 'small' with binding 'b' denied request: too many replicas`) {
			t.Errorf("denial %v", err)
		}
		got := warnings.Take()
		if tc.warned != (len(got) == 1 && got[0] == "Validation failed for ValidatingAdmissionPolicy 'small' with binding 'b': too many replicas") {
			t.Errorf("%v: warnings %q", tc.actions, got)
		}
		ann := rec.Snapshot(audit.StageResponseComplete, metav1.NowMicro()).Annotations
		if tc.audited != strings.Contains(ann[auditKey], `"message":"too many replicas"`) || ann["small/replicas"] != "5" {
			t.Errorf("%v: audit annotations %v", tc.actions, ann)
		}
		if err := plugin.Validate(ctx, deployment("d", 1, nil)); err != nil {
			t.Errorf("a valid object: %v", err)
		}
	}
}

func TestMatchingAndFailures(t *testing.T) {
	erroring := newPolicy("erroring", admissionregistrationv1.Validation{Expression: "object.spec.missing.field == 1"})
	ignored := newPolicy("ignored", admissionregistrationv1.Validation{Expression: "object.spec.missing.field == 1"})
	ignored.Spec.FailurePolicy = ptr(admissionregistrationv1.Ignore)
	conditional := newPolicy("conditional", admissionregistrationv1.Validation{Expression: "variables.big == false", MessageExpression: "'big: ' + object.metadata.name"})
	conditional.Spec.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "labeled", Expression: "has(object.metadata.labels) && 'checked' in object.metadata.labels"}}
	conditional.Spec.Variables = []admissionregistrationv1.Variable{{Name: "big", Expression: "object.spec.replicas > 10"}, {Name: "unused", Expression: "1 / 0"}}
	named := newPolicy("named", admissionregistrationv1.Validation{Expression: "false"})
	named.Spec.MatchConstraints.ResourceRules[0].ResourceNames = []string{"only-this"}
	named.Spec.MatchConstraints.ExcludeResourceRules = []admissionregistrationv1.NamedRuleWithOperations{{ResourceNames: []string{"excluded"},
		RuleWithOperations: named.Spec.MatchConstraints.ResourceRules[0].RuleWithOperations}}
	ctx := context.Background()
	for _, tc := range []struct {
		policy *admissionregistrationv1.ValidatingAdmissionPolicy
		a      *admission.Attributes
		want   string
	}{
		{erroring, deployment("d", 1, nil), "expression 'object.spec.missing.field == 1' resulted in error: no such key: missing"},
		{ignored, deployment("d", 1, nil), ""},
		{conditional, deployment("d", 20, nil), ""},
		{conditional, deployment("d", 20, map[string]string{"checked": ""}), "big: d"},
		{conditional, deployment("d", 1, map[string]string{"checked": ""}), ""},
		{named, deployment("d", 1, nil), ""},
		{named, deployment("only-this", 1, nil), "failed expression: false"},
	} {
		plugin := Plugin{Source: sourceOf(t, []*admissionregistrationv1.ValidatingAdmissionPolicy{tc.policy}, newBinding("b", tc.policy.Name, "Deny"))}
		err := plugin.Validate(ctx, tc.a)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s on %s: %v, want %q", tc.policy.Name, tc.a.Name, err, tc.want)
		}
	}
}

// A binding whose matchResources has only a namespaceSelector narrows
// its policy to the selected namespaces, as kube's conformance test
// binds (the policy's resource rules still apply).
func TestBindingNamespaceSelector(t *testing.T) {
	p := newPolicy("p", admissionregistrationv1.Validation{Expression: "object.spec.replicas > 1"})
	b := newBinding("b", "p", "Deny")
	b.Spec.MatchResources = &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"selected": "true"}}}
	vap.DefaultBinding(b)
	namespaces := func(labels map[string]string) webhook.NamespaceGetter {
		return func(_ context.Context, name string) (*corev1.Namespace, error) {
			return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, nil
		}
	}
	for _, tc := range []struct {
		labels map[string]string
		denied bool
	}{
		{map[string]string{"selected": "true"}, true},
		{map[string]string{"selected": "false"}, false},
		{nil, false},
	} {
		plugin := Plugin{Source: sourceOf(t, []*admissionregistrationv1.ValidatingAdmissionPolicy{p}, b), Namespaces: namespaces(tc.labels)}
		if err := plugin.Validate(context.Background(), deployment("d", 1, nil)); (err != nil) != tc.denied {
			t.Errorf("namespace labels %v: %v, want denied %v", tc.labels, err, tc.denied)
		}
	}
}

// configMaps serves the params of the tests.
type configMaps struct{ items []corev1.ConfigMap }

func (configMaps) New() runtime.Object     { return &corev1.ConfigMap{} }
func (configMaps) NewList() runtime.Object { return &corev1.ConfigMapList{} }
func (c configMaps) Get(_ context.Context, ns, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	for i := range c.items {
		if c.items[i].Namespace == ns && c.items[i].Name == name {
			return &c.items[i], nil
		}
	}
	return nil, apierrors.NewNotFound(corev1.Resource("configmaps"), name)
}
func (c configMaps) List(_ context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, error) {
	out := &corev1.ConfigMapList{}
	for _, cm := range c.items {
		if cm.Namespace == ns && (opts.LabelSelector == "" || cm.Labels["limits"] == "yes") {
			out.Items = append(out.Items, cm)
		}
	}
	return out, nil
}

func TestParams(t *testing.T) {
	catalog := rest.NewCatalog()
	catalog.Set(rest.GroupVersion{GroupVersion: corev1.SchemeGroupVersion, Resources: []rest.Resource{{
		Info: rest.ResourceInfo{GroupVersionResource: corev1.SchemeGroupVersion.WithResource("configmaps"), Kind: "ConfigMap", Namespaced: true},
		Storage: configMaps{items: []corev1.ConfigMap{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "three", Labels: map[string]string{"limits": "yes"}}, Data: map[string]string{"max": "3"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "ten", Labels: map[string]string{"limits": "yes"}}, Data: map[string]string{"max": "10"}},
		}},
	}}}, true)
	p := newPolicy("limited", admissionregistrationv1.Validation{Expression: "object.spec.replicas <= int(params.data.max)", MessageExpression: "'over ' + params.data.max"})
	p.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
	allow := admissionregistrationv1.AllowAction
	ctx := context.Background()
	for _, tc := range []struct {
		ref      admissionregistrationv1.ParamRef
		replicas int32
		want     string
	}{
		{admissionregistrationv1.ParamRef{Name: "ten"}, 5, ""},
		{admissionregistrationv1.ParamRef{Name: "three"}, 5, "over 3"},
		{admissionregistrationv1.ParamRef{Name: "missing"}, 5, "no params found for policy binding with `Deny` parameterNotFoundAction"},
		{admissionregistrationv1.ParamRef{Name: "missing", ParameterNotFoundAction: &allow}, 5, ""},
		{admissionregistrationv1.ParamRef{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"limits": "yes"}}}, 5, "over 3"},
		{admissionregistrationv1.ParamRef{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"limits": "yes"}}}, 2, ""},
	} {
		b := newBinding("b", "limited", "Deny")
		b.Spec.ParamRef = &tc.ref
		vap.DefaultBinding(b)
		plugin := Plugin{Source: sourceOf(t, []*admissionregistrationv1.ValidatingAdmissionPolicy{p}, b), Catalog: catalog}
		err := plugin.Validate(ctx, deployment("d", tc.replicas, nil))
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v with %d replicas: %v, want %q", tc.ref, tc.replicas, err, tc.want)
		}
	}
}
