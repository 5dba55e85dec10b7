// Package audit says what the server records of each request, in
// kube-apiserver's formats: the audit.k8s.io/v1 Policy that picks a level
// and the stages per request, the audit.k8s.io/v1 Event, the event of a
// request in its context (where the filters add what they learn), and the
// log backend that writes events as JSON lines with rotation. The filter
// that produces events is pkg/endpoints/filters.
package audit
