package server

import (
	"net/http"
	"net/http/pprof"
)

// installProfiling serves Go's runtime profiles under /debug/pprof/, as
// kube-apiserver does with --profiling. Like every path but the probes, it
// requires authentication.
func installProfiling(mux *PathMux) {
	mux.HandlePrefix("/debug/pprof/", http.HandlerFunc(pprof.Index))
	mux.Handle("/debug/pprof/cmdline", http.HandlerFunc(pprof.Cmdline))
	mux.Handle("/debug/pprof/profile", http.HandlerFunc(pprof.Profile))
	mux.Handle("/debug/pprof/symbol", http.HandlerFunc(pprof.Symbol))
	mux.Handle("/debug/pprof/trace", http.HandlerFunc(pprof.Trace))
}
