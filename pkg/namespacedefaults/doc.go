// Package namespacedefaults keeps in every active namespace what
// kube-controller-manager puts there: the "default" ServiceAccount and the
// "kube-root-ca.crt" ConfigMap holding the CA bundle with which clients in
// the cluster verify the API server. A namespace is queued when it appears
// or when one of those objects changes or goes; each is then checked with
// fresh reads and written with conflict checks, so several replicas may
// do the same work.
package namespacedefaults
