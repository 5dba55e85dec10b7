package main

import (
	"testing"

	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// BenchmarkStorage runs the same benchmarks as the command, for
// `go test -bench . -benchmem ./hack/bench/storage`.
func BenchmarkStorage(b *testing.B) {
	cfg := etcdtest.StartEmbedded(b)
	e, err := newEnv(b.Context(), etcdtest.NewClient(b, cfg), cfg.Prefix)
	if err != nil {
		b.Fatal(err)
	}
	ran := map[string]bool{}
	for _, bm := range benchmarks {
		if !ran[bm.name] { // Create and GuaranteedUpdate have two bare rows
			ran[bm.name] = true
			b.Run(bm.name+"/store", func(b *testing.B) { bm.store(e, b) })
		}
		b.Run(bm.name+"/bare-"+bm.bareName, func(b *testing.B) { bm.bare(e, b) })
	}
}
