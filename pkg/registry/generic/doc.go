// Package generic is the one registry every resource type shares: it turns
// a rest.Type and a storage.Interface into create, get, list, update,
// delete, deletecollection and watch with kube-apiserver's object semantics
// (metadata validation and defaults, generateName, optimistic concurrency,
// finalizers and deletionTimestamp, dry run, preconditions).
package generic
