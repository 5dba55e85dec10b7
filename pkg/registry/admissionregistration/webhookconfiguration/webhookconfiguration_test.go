package webhookconfiguration

import (
	"context"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func ptr[T any](v T) *T { return &v }

func validHook() admissionregistrationv1.ValidatingWebhook {
	return admissionregistrationv1.ValidatingWebhook{
		Name:         "check.example.com",
		ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: ptr("https://hooks.example.com/check")},
		Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{"CREATE"},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
		SideEffects:             ptr(admissionregistrationv1.SideEffectClassNone),
		AdmissionReviewVersions: []string{"v1"},
	}
}

// Each broken field gets kube-apiserver 1.31's message.
func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(h *admissionregistrationv1.ValidatingWebhook)
		want   []string
	}{
		{"valid", func(*admissionregistrationv1.ValidatingWebhook) {}, nil},
		{"short name", func(h *admissionregistrationv1.ValidatingWebhook) { h.Name = "check" },
			[]string{`webhooks[0].name: Invalid value: "check": should be a domain with at least three segments separated by dots`}},
		{"no client", func(h *admissionregistrationv1.ValidatingWebhook) { h.ClientConfig.URL = nil },
			[]string{"webhooks[0].clientConfig: Required value: exactly one of url or service is required"}},
		{"http", func(h *admissionregistrationv1.ValidatingWebhook) { h.ClientConfig.URL = ptr("http://h/x") },
			[]string{`webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]`}},
		{"query", func(h *admissionregistrationv1.ValidatingWebhook) { h.ClientConfig.URL = ptr("https://h/x?a=b") },
			[]string{`webhooks[0].clientConfig.url: Invalid value: "a=b": query parameters are not permitted in the URL`}},
		{"service path", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.ClientConfig.URL = nil
			h.ClientConfig.Service = &admissionregistrationv1.ServiceReference{Name: "s", Path: ptr("x//y"), Port: ptr(int32(0))}
		}, []string{
			"webhooks[0].clientConfig.service.namespace: Required value: service namespace is required",
			"webhooks[0].clientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive",
			`webhooks[0].clientConfig.service.path: Invalid value: "x//y": must start with a '/'`,
			`webhooks[0].clientConfig.service.path: Invalid value: "x//y": segment[1] may not be empty`,
		}},
		{"side effects", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.SideEffects = ptr(admissionregistrationv1.SideEffectClassSome)
		},
			[]string{`webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"`}},
		{"no side effects", func(h *admissionregistrationv1.ValidatingWebhook) { h.SideEffects = nil },
			[]string{"webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun"}},
		{"timeout", func(h *admissionregistrationv1.ValidatingWebhook) { h.TimeoutSeconds = ptr(int32(31)) },
			[]string{"webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds"}},
		{"review versions", func(h *admissionregistrationv1.ValidatingWebhook) { h.AdmissionReviewVersions = nil },
			[]string{"webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1"}},
		{"unknown review version", func(h *admissionregistrationv1.ValidatingWebhook) { h.AdmissionReviewVersions = []string{"v2"} },
			[]string{`webhooks[0].admissionReviewVersions: Invalid value: ["v2"]: must include at least one of v1, v1beta1`}},
		{"operations", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.Rules[0].Operations = []admissionregistrationv1.OperationType{"PATCH"}
		},
			[]string{`webhooks[0].rules[0].operations[0]: Unsupported value: "PATCH": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"`}},
		{"wildcards", func(h *admissionregistrationv1.ValidatingWebhook) { h.Rules[0].Resources = []string{"*/*", "pods"} },
			[]string{`webhooks[0].rules[0].resources: Invalid value: ["*/*","pods"]: if '*/*' is present, must not specify other resources`}},
		{"scope", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.Rules[0].Scope = ptr(admissionregistrationv1.ScopeType("All"))
		},
			[]string{`webhooks[0].rules[0].scope: Unsupported value: "All": supported values: "*", "Cluster", "Namespaced"`}},
		{"selector", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.ObjectSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "-bad-"}}
		}, []string{`webhooks[0].objectSelector.matchLabels: Invalid value: "-bad-"`}},
		{"match condition", func(h *admissionregistrationv1.ValidatingWebhook) {
			h.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "c", Expression: "object.metadata.name"}, {Name: "c", Expression: "1 +"}}
		}, []string{
			`webhooks[0].matchConditions[0].expression: Invalid value: "object.metadata.name": must evaluate to bool`,
			`webhooks[0].matchConditions[1].expression: Invalid value: "1 +": compilation failed: ERROR: <input>:1:4: Syntax error`,
			`webhooks[0].matchConditions[1].name: Duplicate value: "c"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := validHook()
			tc.change(&h)
			c := &admissionregistrationv1.ValidatingWebhookConfiguration{Webhooks: []admissionregistrationv1.ValidatingWebhook{h}}
			DefaultValidating(c)
			errs := validatingStrategy{}.Validate(context.Background(), c)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %d", errs, len(tc.want))
			}
			for i, want := range tc.want {
				if !strings.Contains(errs[i].Error(), want) {
					t.Errorf("error %d = %q, want %q", i, errs[i].Error(), want)
				}
			}
		})
	}
}

// An update keeps what an existing configuration already had, as kube
// ratchets: duplicate names stay allowed; new ones are refused.
func TestValidateUpdateRatchets(t *testing.T) {
	old := &admissionregistrationv1.MutatingWebhookConfiguration{Webhooks: []admissionregistrationv1.MutatingWebhook{
		{Name: "a.example.com", SideEffects: ptr(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"},
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: ptr("https://h")}},
	}}
	old.Webhooks = append(old.Webhooks, old.Webhooks[0])
	DefaultMutating(old)
	updated := old.DeepCopy()
	updated.Webhooks[0].TimeoutSeconds = ptr(int32(5))
	if errs := (mutatingStrategy{}).ValidateUpdate(context.Background(), updated, old); len(errs) != 0 {
		t.Errorf("update of a configuration with duplicate names: %v", errs)
	}
	if errs := (mutatingStrategy{}).Validate(context.Background(), updated); len(errs) != 1 {
		t.Errorf("create with duplicate names: %v", errs)
	}
	if !(mutatingStrategy{}).SpecChanged(updated, old) {
		t.Error("a webhook change does not move the generation")
	}
}

func TestDefaults(t *testing.T) {
	c := &admissionregistrationv1.MutatingWebhookConfiguration{Webhooks: []admissionregistrationv1.MutatingWebhook{{
		ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Name: "s", Namespace: "n"}},
		Rules:        []admissionregistrationv1.RuleWithOperations{{}},
	}}}
	DefaultMutating(c)
	h := c.Webhooks[0]
	if *h.FailurePolicy != admissionregistrationv1.Fail || *h.MatchPolicy != admissionregistrationv1.Equivalent ||
		*h.TimeoutSeconds != 10 || *h.ClientConfig.Service.Port != 443 || *h.ReinvocationPolicy != admissionregistrationv1.NeverReinvocationPolicy ||
		h.NamespaceSelector == nil || h.ObjectSelector == nil || *h.Rules[0].Scope != admissionregistrationv1.AllScopes {
		t.Errorf("defaults: %+v", h)
	}
	table, err := MutatingType().Table.ConvertToTable(context.Background(), c, nil)
	if err != nil || table.Rows[0].Cells[1] != int64(1) {
		t.Errorf("table %v, %v", table, err)
	}
}
