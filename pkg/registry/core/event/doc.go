// Package event is the core/v1 Event resource (events, short name ev) as
// kube-apiserver 1.31 serves it to core/v1 clients: kubectl describe finds
// an object's events with field selectors on involvedObject, and kubectl
// get events prints LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (and more
// when wide).
//
// Validation is kube's lenient one for core/v1: an old-style event (no
// eventTime) must name its own namespace as involvedObject.namespace (or
// none, in default); a new-style one needs reportingComponent,
// reportingInstance, action and reason within their limits. kube does not
// check event names beyond what a path segment allows, so the generic
// store should be given a path-segment name rule for events. PUT may
// create an event, as in kube.
package event
