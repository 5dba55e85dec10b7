// Package policy declares admissionregistration.k8s.io/v1
// ValidatingAdmissionPolicies (with /status) and
// ValidatingAdmissionPolicyBindings, cluster-scoped, as kube-apiserver
// 1.31 serves them: its defaults (failurePolicy Fail, matchPolicy
// Equivalent, empty selectors, rule scope "*", parameterNotFoundAction
// Deny), its validation and messages, expressions compiled with CEL when
// written, and NAME, VALIDATIONS, PARAMKIND, AGE / NAME, POLICYNAME,
// PARAMREF, AGE tables. Enforcing them is pkg/admission/policy's job.
package policy
