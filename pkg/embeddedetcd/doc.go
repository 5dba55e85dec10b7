// Package embeddedetcd runs a single-member etcd inside the apiserver
// process, for users who start the server with no --etcd-servers.
//
// The member listens only on the loopback interface, speaks TLS and demands a
// client certificate signed by its own CA, so other local users cannot read
// the data. It has no peer listener: a single member never talks to peers.
// The server reaches it through the same clientv3 path as an external
// cluster, using the endpoint and TLS files that Server reports.
package embeddedetcd
