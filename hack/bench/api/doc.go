// Command api measures the apiserver's ConfigMap API against the speed
// targets of issue 4, side by side with the same operations made straight
// against the storage layer, which are the ceiling, and its custom
// resources against those of issue 5:
//
//   - create: POST of -objects ConfigMaps whose one data value is -value-size
//     bytes, vs etcd3.Store.Create of the same typed object;
//   - get: GET of a random one of them, vs a quorum Store.Get;
//   - update: PUT of the object with the resourceVersion the last write
//     returned and a new value, vs Store.GuaranteedUpdate with the same
//     change;
//   - list: GET of the whole collection (all -objects, no limit) by
//     -list-clients clients, vs Store.GetList;
//   - watch: -watchers watches of an empty namespace from the
//     resourceVersion of its list, then -watch-creates creates at
//     -watch-rate per second; for every (watcher, event) the delay from the
//     create's answer to the watcher reading the event (kube-apiserver's
//     figure), and from the create's request start; vs Store.Watch;
//   - crd (issue 5): -crds CustomResourceDefinitions of namespaced Widgets
//     (a small schema, the status subresource), each in its own group and
//     timed from its create request to the first list of its Widgets that
//     answers 200 (polled every 5 ms); then -objects creates and -gets GETs
//     of Widgets of the first one and of ConfigMaps, with the concurrency
//     and value size of the ConfigMap phases, in their own namespace, after
//     an untimed warm-up of each. The two sides alternate in -crd-rounds
//     rounds (ABBA), so that a change in the machine's load falls on both;
//     the report gives the ratios of their rates.
//
// -phases selects the phases (all by default); they always run in the
// order create, get, crd, update, list, watch.
//
// The API side runs an apiserver subprocess (built from ./cmd/apiserver
// unless -binary names one) on a temporary data dir, with its embedded etcd,
// and loads it with a Go HTTP/2 load generator: -conns TLS connections of
// -streams concurrent streams each, authenticated by an admin client
// certificate the benchmark issues (--client-ca-file). The get phase is
// also run by h2load (a bearer token from --token-auth-file) as a
// cross-check of the generator; an empty -h2load skips it. The ceiling side runs
// in this process: an embedded etcd configured by the apiserver's own etcd
// options (fsync on), the etcd3 Store the apiserver builds for configmaps,
// and as many concurrent goroutines as the generator has streams.
//
// Run it from inside the module:
//
//	go run ./hack/bench/api
//	go run ./hack/bench/api -cpuprofile /tmp/api.pprof   # profile the apiserver
//	go run ./hack/bench/api -phases create,get,crd -ceiling=false -h2load ''   # issue 5 only
//	go run ./hack/bench/api -resource secrets -phases create,get -ceiling=false -h2load '' -encryption-config enc.yaml   # issue 10: Secrets encrypted at rest
package main
