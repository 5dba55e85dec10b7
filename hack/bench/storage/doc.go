// Command storage measures the etcd3 store against bare clientv3 calls of
// the same bytes on an embedded etcd: Create vs Put, Get vs Get,
// GuaranteedUpdate vs Get+Put, and a list of 10,000 objects vs one Range.
// It prints, side by side, ops/s, p50 and p99 latency and allocations per
// operation, and the store's share of the bare ceiling.
//
//	go run ./hack/bench/storage               # the table in docs/benchmarks.md
//	go test -bench . -benchmem ./hack/bench/storage
//
// etcd runs in the same process (without fsync, as in tests), so
// allocations per operation include the etcd server's; the difference
// between the two columns is the store's own cost.
package main
