// Package webhookconfiguration declares admissionregistration.k8s.io/v1
// MutatingWebhookConfigurations and ValidatingWebhookConfigurations
// (cluster-scoped) as kube-apiserver 1.31 serves them: its defaults
// (failurePolicy Fail, matchPolicy Equivalent, empty selectors, rule scope
// "*", timeoutSeconds 10, service port 443, reinvocationPolicy Never), its
// validation and messages (matchConditions compiled with CEL), generation
// moving with the webhooks, and NAME, WEBHOOKS, AGE tables. Calling the
// webhooks is pkg/admission/webhook's job.
package webhookconfiguration
