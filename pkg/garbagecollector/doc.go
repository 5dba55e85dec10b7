// Package garbagecollector deletes objects whose owners are gone, as
// kube-controller-manager's garbage collector does for a cluster: it
// follows every resource of the catalog (custom resources included), keeps
// a graph of ownerReferences, and implements the three propagation
// policies of a delete: Background (dependents deleted after their owner),
// Foreground (the owner waits, with the foregroundDeletion finalizer, until
// the dependents that block it are gone) and Orphan (the owner waits, with
// the orphan finalizer, until its dependents no longer name it).
//
// The graph only says what to look at. Every decision to delete or rewrite
// an object is taken on fresh reads of the object and of its owners, with
// the object's UID as a precondition, so several replicas running the
// collector at once do the same work at worst twice, never wrongly.
package garbagecollector
