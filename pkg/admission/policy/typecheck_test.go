package policy

import (
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// newOnly is a storage that only makes objects: the type checker reads a
// built-in kind's Go type.
type newOnly struct{ obj runtime.Object }

func (n newOnly) New() runtime.Object { return n.obj.DeepCopyObject() }

func typeCheckCatalog(t *testing.T) *rest.Catalog {
	t.Helper()
	c := rest.NewCatalog()
	c.Set(rest.GroupVersion{GroupVersion: appsv1.SchemeGroupVersion, Resources: []rest.Resource{
		{Info: rest.ResourceInfo{GroupVersionResource: appsv1.SchemeGroupVersion.WithResource("deployments"), Kind: "Deployment", Namespaced: true}, Storage: newOnly{&appsv1.Deployment{}}},
		{Info: rest.ResourceInfo{GroupVersionResource: appsv1.SchemeGroupVersion.WithResource("replicasets"), Kind: "ReplicaSet", Namespaced: true}, Storage: newOnly{&appsv1.ReplicaSet{}}},
	}}, true)
	c.Set(rest.GroupVersion{GroupVersion: corev1.SchemeGroupVersion, Resources: []rest.Resource{
		{Info: rest.ResourceInfo{GroupVersionResource: corev1.SchemeGroupVersion.WithResource("configmaps"), Kind: "ConfigMap", Namespaced: true}, Storage: newOnly{&corev1.ConfigMap{}}},
	}}, true)
	crontab := schema.GroupVersion{Group: "stable.example.com", Version: "v1"}
	c.Set(rest.GroupVersion{GroupVersion: crontab, Resources: []rest.Resource{{
		Info:    rest.ResourceInfo{GroupVersionResource: crontab.WithResource("crontabs"), Kind: "CronTab", Namespaced: true},
		Storage: newOnly{&corev1.ConfigMap{}},
		OpenAPISchema: &spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"object"}, Properties: map[string]spec.Schema{
			"spec": {SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"object"}, Properties: map[string]spec.Schema{
				"cronSpec": *spec.StringProperty(), "image": *spec.StringProperty(), "replicas": *spec.Int64Property(),
			}}},
		}}},
	}}}, false)
	return c
}

func TestTypeCheck(t *testing.T) {
	catalog := typeCheckCatalog(t)
	rule := func(group, resource string) admissionregistrationv1.NamedRuleWithOperations {
		return admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{"*"},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{group}, APIVersions: []string{"v1"}, Resources: []string{resource}}}}
	}
	for _, tc := range []struct {
		name        string
		rules       []admissionregistrationv1.NamedRuleWithOperations
		paramKind   *admissionregistrationv1.ParamKind
		variables   []admissionregistrationv1.Variable
		validations []admissionregistrationv1.Validation
		want        map[string][]string // fieldRef: substrings
	}{
		{name: "well typed", rules: []admissionregistrationv1.NamedRuleWithOperations{rule("apps", "deployments")},
			validations: []admissionregistrationv1.Validation{{
				Expression:        "object.spec.replicas > 1 && object.metadata.labels['app'] == 'x' && object.spec.template.spec.containers.all(c, c.image != '')",
				MessageExpression: "'replicas: ' + string(object.spec.replicas) + request.userInfo.username + namespaceObject.metadata.name",
			}}},
		{name: "kube's conformance confusion", rules: []admissionregistrationv1.NamedRuleWithOperations{rule("apps", "deployments")},
			validations: []admissionregistrationv1.Validation{{Expression: "object.spec.replicas > '1'", MessageExpression: "'wants replicas > 1, got ' + object.spec.replicas"}},
			want: map[string][]string{
				"spec.validations[0].expression":        {"apps/v1, Kind=Deployment: compilation failed: ERROR: <input>:1:22: found no matching overload for '_>_' applied to '(int, string)'"},
				"spec.validations[0].messageExpression": {"found no matching overload for '_+_' applied to '(string, int)'"},
			}},
		{name: "every kind named, one warning", rules: []admissionregistrationv1.NamedRuleWithOperations{rule("apps", "deployments"), rule("apps", "replicasets")},
			validations: []admissionregistrationv1.Validation{{Expression: "object.spec.nosuch == 1"}},
			want:        map[string][]string{"spec.validations[0].expression": {"apps/v1, Kind=Deployment: compilation failed: ERROR: <input>:1:12: undefined field 'nosuch'", "\n\napps/v1, Kind=ReplicaSet: "}}},
		{name: "wildcards are not checked", rules: []admissionregistrationv1.NamedRuleWithOperations{rule("*", "deployments"), rule("apps", "*")},
			validations: []admissionregistrationv1.Validation{{Expression: "object.spec.nosuch == 1"}}},
		{name: "a custom resource's schema", rules: []admissionregistrationv1.NamedRuleWithOperations{rule("stable.example.com", "crontabs")},
			validations: []admissionregistrationv1.Validation{{Expression: "object.spec.replicas > 1"}, {Expression: "object.spec.maxRetries < 10"}},
			want:        map[string][]string{"spec.validations[1].expression": {"stable.example.com/v1, Kind=CronTab: compilation failed: ERROR: <input>:1:12: undefined field 'maxRetries'"}}},
		{name: "params and variables typed", rules: []admissionregistrationv1.NamedRuleWithOperations{rule("apps", "deployments")},
			paramKind: &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
			variables: []admissionregistrationv1.Variable{{Name: "replicas", Expression: "object.spec.replicas"}, {Name: "twice", Expression: "variables.replicas * 2"}},
			validations: []admissionregistrationv1.Validation{
				{Expression: "variables.twice <= int(params.data['max'])"},
				{Expression: "variables.twice == params.data['max']"},
				{Expression: "variables.nosuch"},
			},
			want: map[string][]string{
				"spec.validations[1].expression": {"found no matching overload for '_==_' applied to '(int, string)'"},
				"spec.validations[2].expression": {"undefined field 'nosuch'"},
			}},
		{name: "no params without a paramKind", rules: []admissionregistrationv1.NamedRuleWithOperations{rule("apps", "deployments")},
			validations: []admissionregistrationv1.Validation{{Expression: "params.x == 1"}},
			want:        map[string][]string{"spec.validations[0].expression": {"undeclared reference to 'params'"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPolicy("p", tc.validations...)
			p.Spec.MatchConstraints.ResourceRules = tc.rules
			p.Spec.ParamKind = tc.paramKind
			p.Spec.Variables = tc.variables
			got := typeCheck(catalog, p)
			if len(got) != len(tc.want) {
				t.Fatalf("warnings %+v, want %d", got, len(tc.want))
			}
			for _, w := range got {
				subs, ok := tc.want[w.FieldRef]
				if !ok {
					t.Errorf("unexpected warning %+v", w)
				}
				for _, sub := range subs {
					if !strings.Contains(w.Warning, sub) {
						t.Errorf("%s: %q lacks %q", w.FieldRef, w.Warning, sub)
					}
				}
			}
		})
	}
}
