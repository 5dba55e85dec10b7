// Command server measures the apiserver against the speed targets of
// issue 2 and prints them as a table:
//
//   - startup: the time from exec to the first 200 from /readyz, on an
//     empty data dir with the embedded etcd and again on the data dir the
//     previous run left (a restart), over -runs runs each;
//   - idle RSS: VmRSS from /proc/PID/status -rss-wait after ready;
//   - /healthz over HTTP/2: h2load with -clients connections of -streams
//     streams each, against the apiserver and against the bare net/http and
//     x/net/http2 server in ./ceiling (same certificate, same TLS and HTTP/2
//     settings, a trivial handler with the same headers), alternating
//     -load-runs runs each; the ratio of their rates is the figure.
//
// It builds the apiserver (unless -binary names one) and the ceiling server
// with go build into a temporary directory, so run it from inside the
// module:
//
//	go run ./hack/bench/server -runs 10 -requests 200000
//
// Every process runs on 127.0.0.1 with a data dir in the temporary
// directory, with the environment of the benchmark less GOMAXPROCS, so both
// servers use the runtime default. Processes get SIGTERM when the benchmark
// ends or is interrupted, and SIGKILL if it dies. The load phase needs
// h2load, from Debian's nghttp2-client package.
package main
