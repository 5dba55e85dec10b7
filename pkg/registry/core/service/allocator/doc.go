// Package allocator hands out the values that must be unique among all
// Services of a cluster, cluster IPs from a CIDR and node ports from a
// port range, to every replica of the server at once. Each value taken is
// one etcd key, created only if absent, whose value names the Service that
// holds it; a replica that dies between taking a value and writing its
// Service leaves a key that Repair frees.
package allocator
