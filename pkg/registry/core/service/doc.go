// Package service is the core/v1 Service resource (services, namespaced,
// short name svc, category all) as kube-apiserver 1.31 serves it: kube's
// defaults and validation, cluster IPs of one or two IP families handed
// out from --service-cluster-ip-range and node ports from
// --service-node-port-range (through package allocator, so that replicas
// never hand out one twice), services/status, and kube's printed columns.
package service
