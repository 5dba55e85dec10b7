// Package webhook is the MutatingAdmissionWebhook and
// ValidatingAdmissionWebhook plugins: the admission webhooks of
// admissionregistration.k8s.io/v1 configurations, kept in memory from a
// watch (a request costs no etcd read for them), matched by rules,
// matchPolicy, namespace and object selectors and CEL matchConditions,
// and called with an admission.k8s.io/v1 AdmissionReview over the client
// transport (pkg/client/transport), at a URL or at a Service's endpoint.
// Mutating webhooks run one after the other, their JSON patches applied
// to the object, and run again once when a later one changed it and
// their reinvocationPolicy is IfNeeded; validating webhooks run in
// parallel. failurePolicy decides what a failed call does, sideEffects
// whether a dry run may call, and warnings reach the client.
package webhook
