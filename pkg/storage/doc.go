// Package storage defines how the API server keeps objects: the backend
// configuration, the store interface the registries use, and the typed errors
// every backend returns. Only the etcd implementation, in package etcd3,
// talks to etcd.
package storage
