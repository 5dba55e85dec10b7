// Package policy is the ValidatingAdmissionPolicy admission plugin:
// admissionregistration.k8s.io/v1 policies and their bindings, kept in
// memory from a watch and compiled once per change, matched by the
// policy's matchConstraints and the binding's matchResources (rules with
// resource names and exclusions, namespace and object selectors,
// matchPolicy), CEL matchConditions, and evaluated with object,
// oldObject, request, params (by paramRef name or selector, with
// parameterNotFoundAction), namespaceObject and the policy's variables.
// A failed validation denies the request, warns the client or is
// recorded in the audit event, as the binding's validationActions say;
// auditAnnotations are recorded; failurePolicy decides what an
// expression that cannot be evaluated does. A status controller records
// each policy's observedGeneration.
package policy
