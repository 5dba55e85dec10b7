// Package storage defines how the API server keeps objects: the backend
// configuration, the store interface the registries use, and the typed errors
// every backend returns. Only the etcd implementation, in package etcd3,
// talks to etcd.
//
// A store keeps one resource. Its keys are structured (Key{Namespace, Name})
// and become etcd keys in one place, KeySpace:
// <prefix>/<group>/<resource>/<namespace>/<name>, with the core group
// written as the resource alone (/registry/configmaps/default/foo) and no
// namespace segment for cluster-scoped resources. A name or namespace that
// could leave its key range ("", ".", "..", "/") is refused before any call.
//
// An object's resourceVersion is the etcd revision of its last write, and a
// list's the revision it was read at; it is never stored. Errors are
// *Error values with a Code and the key:
//
//	err := store.Get(ctx, storage.Key{Namespace: "default", Name: "foo"}, storage.GetOptions{}, out)
//	switch {
//	case storage.IsNotFound(err): // 404
//	case storage.IsUnavailable(err): // etcd timed out or has no leader; retry
//	}
//
// ToStatusError turns any of them into the Kubernetes Status the API
// returns.
package storage
