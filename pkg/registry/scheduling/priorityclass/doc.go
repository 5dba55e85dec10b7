// Package priorityclass is the scheduling.k8s.io/v1 PriorityClass resource
// (priorityclasses, short name pc, cluster-scoped) as kube-apiserver 1.31
// serves it: preemptionPolicy defaults to PreemptLowerPriority; names with
// the "system-" prefix are reserved for the two system classes, which the
// server creates at start; a user's class is worth at most 1,000,000,000;
// value and preemptionPolicy never change. It prints as NAME, VALUE,
// GLOBAL-DEFAULT, AGE. That only one class is the global default, and that
// the system classes are not deleted, is the Priority admission plugin's
// job (pkg/admission/priority).
package priorityclass
