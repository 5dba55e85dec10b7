package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestValidatingAdmissionPolicy enforces a policy with ConfigMap params
// (by name and by selector, with parameterNotFoundAction), variables and
// messageExpression, and shows the Warn action reaching kubectl.
func TestValidatingAdmissionPolicy(t *testing.T) {
	p := startBinary(t, "", nil)
	cs := clientset(t, p)
	k := kubectl{t: t, bin: requireTool(t, "kubectl", "kubectl"), kubeconfig: filepath.Join(p.DataDir, "admin.kubeconfig"), home: t.TempDir()}
	ctx := context.Background()
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "limits", Labels: map[string]string{"limits": "yes"}},
		Data: map[string]string{"maxReplicas": "3"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	forbidden := metav1.StatusReasonForbidden
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "max-replicas"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			ParamKind: &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{"CREATE", "UPDATE"},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}},
				}}}},
			Variables: []admissionregistrationv1.Variable{{Name: "max", Expression: "int(params.data.maxReplicas)"}},
			Validations: []admissionregistrationv1.Validation{{
				Expression:        "object.spec.replicas <= variables.max",
				MessageExpression: "'replicas ' + string(object.spec.replicas) + ' exceeds ' + string(variables.max)",
				Reason:            &forbidden,
			}},
		},
	}
	created, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.Spec.FailurePolicy == nil || *created.Spec.FailurePolicy != admissionregistrationv1.Fail || *created.Spec.MatchConstraints.MatchPolicy != admissionregistrationv1.Equivalent {
		t.Errorf("defaults: %+v", created.Spec)
	}
	deny := admissionregistrationv1.DenyAction
	bind := func(name string, ref *admissionregistrationv1.ParamRef, actions ...admissionregistrationv1.ValidationAction) {
		t.Helper()
		if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "max-replicas", ParamRef: ref, ValidationActions: actions},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	bind("by-name", &admissionregistrationv1.ParamRef{Name: "limits", Namespace: "default", ParameterNotFoundAction: &deny}, admissionregistrationv1.Deny)
	deployment := func(name string, replicas int32) *appsv1.Deployment {
		labels := map[string]string{"app": name}
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.DeploymentSpec{Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}}}
	}
	var denied error
	waitUntil(t, 10*time.Second, "the policy to be enforced", func() bool {
		_, denied = cs.AppsV1().Deployments("default").Create(ctx, deployment("big", 5), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return denied != nil
	})
	if !apierrors.IsForbidden(denied) || !strings.Contains(denied.Error(), "ValidatingAdmissionPolicy 'max-replicas' with binding 'by-name' denied request: replicas 5 exceeds 3") {
		t.Errorf("denial: %v", denied)
	}
	if _, err := cs.AppsV1().Deployments("default").Create(ctx, deployment("small", 2), metav1.CreateOptions{}); err != nil {
		t.Errorf("a deployment within the limit: %v", err)
	}
	// In a namespace without the params, Deny refuses.
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Delete(ctx, "by-name", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	bind("by-selector", &admissionregistrationv1.ParamRef{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"limits": "yes"}}, ParameterNotFoundAction: &deny}, admissionregistrationv1.Warn)
	waitUntil(t, 10*time.Second, "the selector binding", func() bool {
		_, err := cs.AppsV1().Deployments("other").Create(ctx, deployment("x", 1), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err != nil && strings.Contains(err.Error(), "no params found for policy binding with `Deny` parameterNotFoundAction")
	})
	// The Warn action reaches kubectl; the deployment is created.
	out := k.stdin(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"warned","namespace":"default"},
		"spec":{"replicas":4,"selector":{"matchLabels":{"app":"w"}},"template":{"metadata":{"labels":{"app":"w"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}`,
		"create", "-f", "-")
	if !strings.Contains(out, "Warning: Validation failed for ValidatingAdmissionPolicy 'max-replicas' with binding 'by-selector': replicas 4 exceeds 3") {
		t.Errorf("kubectl output: %s", out)
	}
	waitUntil(t, 10*time.Second, "the policy's observedGeneration", func() bool {
		got, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, "max-replicas", metav1.GetOptions{})
		return err == nil && got.Status.ObservedGeneration == got.Generation && got.Status.TypeChecking != nil
	})
	// An expression that compiles dynamically typed but not against the
	// Deployment schema is stored, and warned of in the status.
	confused := policy.DeepCopy()
	confused.Name, confused.ResourceVersion = "confused", ""
	confused.Spec.Validations = []admissionregistrationv1.Validation{{
		Expression: "object.spec.replicas > '1'", MessageExpression: "'wants replicas > 1, got ' + object.spec.replicas",
	}}
	if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, confused, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var warnings []admissionregistrationv1.ExpressionWarning
	waitUntil(t, 10*time.Second, "the confused policy's type check", func() bool {
		got, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, "confused", metav1.GetOptions{})
		if err != nil || got.Status.TypeChecking == nil {
			return false
		}
		warnings = got.Status.TypeChecking.ExpressionWarnings
		return true
	})
	if len(warnings) != 2 || warnings[0].FieldRef != "spec.validations[0].expression" ||
		!strings.Contains(warnings[0].Warning, "apps/v1, Kind=Deployment: compilation failed: ERROR: <input>:1:22: found no matching overload for '_>_' applied to '(int, string)'") ||
		warnings[1].FieldRef != "spec.validations[0].messageExpression" || !strings.Contains(warnings[1].Warning, "found no matching overload for '_+_' applied to '(string, int)'") {
		t.Errorf("type-check warnings: %+v", warnings)
	}
	// Expressions that do not compile are refused when written.
	bad := policy.DeepCopy()
	bad.Name, bad.ResourceVersion = "broken", ""
	bad.Spec.Validations[0].Expression = "object.spec.replicas <="
	_, err = cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, bad, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.validations[0].expression: Invalid value: \"object.spec.replicas <=\": compilation failed") {
		t.Errorf("a broken expression: %v", err)
	}
}
