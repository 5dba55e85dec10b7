// Package controlplane assembles the core API (namespaces, configmaps,
// secrets, events) on a generic server: stores over etcd, REST handlers,
// discovery, OpenAPI, the default namespaces and the namespace lifecycle
// (refusing content in missing or terminating namespaces, and deleting a
// namespace's content before the namespace itself).
package controlplane
