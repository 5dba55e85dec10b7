package webhookconfiguration

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Hook is what a mutating and a validating webhook have in common, with
// the reinvocation policy only mutating ones have: validation and the
// admission plugin read both kinds through it.
type Hook struct {
	// Configuration names the configuration the webhook belongs to.
	Configuration           string
	Name                    string
	ClientConfig            admissionregistrationv1.WebhookClientConfig
	Rules                   []admissionregistrationv1.RuleWithOperations
	FailurePolicy           *admissionregistrationv1.FailurePolicyType
	MatchPolicy             *admissionregistrationv1.MatchPolicyType
	NamespaceSelector       *metav1.LabelSelector
	ObjectSelector          *metav1.LabelSelector
	SideEffects             *admissionregistrationv1.SideEffectClass
	TimeoutSeconds          *int32
	AdmissionReviewVersions []string
	MatchConditions         []admissionregistrationv1.MatchCondition
	ReinvocationPolicy      *admissionregistrationv1.ReinvocationPolicyType
	// Mutating is set for a mutating webhook.
	Mutating bool
}

// MutatingHooks returns the webhooks of c, in order.
func MutatingHooks(c *admissionregistrationv1.MutatingWebhookConfiguration) []Hook {
	hooks := mutatingHooks(c.Webhooks)
	for i := range hooks {
		hooks[i].Configuration = c.Name
	}
	return hooks
}

// ValidatingHooks returns the webhooks of c, in order.
func ValidatingHooks(c *admissionregistrationv1.ValidatingWebhookConfiguration) []Hook {
	hooks := validatingHooks(c.Webhooks)
	for i := range hooks {
		hooks[i].Configuration = c.Name
	}
	return hooks
}

func mutatingHooks(in []admissionregistrationv1.MutatingWebhook) []Hook {
	out := make([]Hook, len(in))
	for i, h := range in {
		out[i] = Hook{
			Name: h.Name, ClientConfig: h.ClientConfig, Rules: h.Rules, FailurePolicy: h.FailurePolicy,
			MatchPolicy: h.MatchPolicy, NamespaceSelector: h.NamespaceSelector, ObjectSelector: h.ObjectSelector,
			SideEffects: h.SideEffects, TimeoutSeconds: h.TimeoutSeconds, AdmissionReviewVersions: h.AdmissionReviewVersions,
			MatchConditions: h.MatchConditions, ReinvocationPolicy: h.ReinvocationPolicy, Mutating: true,
		}
	}
	return out
}

func validatingHooks(in []admissionregistrationv1.ValidatingWebhook) []Hook {
	out := make([]Hook, len(in))
	for i, h := range in {
		out[i] = Hook{
			Name: h.Name, ClientConfig: h.ClientConfig, Rules: h.Rules, FailurePolicy: h.FailurePolicy,
			MatchPolicy: h.MatchPolicy, NamespaceSelector: h.NamespaceSelector, ObjectSelector: h.ObjectSelector,
			SideEffects: h.SideEffects, TimeoutSeconds: h.TimeoutSeconds, AdmissionReviewVersions: h.AdmissionReviewVersions,
			MatchConditions: h.MatchConditions,
		}
	}
	return out
}
