package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/apiserver/apiserver/pkg/embeddedetcd"
	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"

	"go.etcd.io/etcd/api/v3/version"
)

var (
	benchtime = flag.Duration("benchtime", time.Second, "how long each round of a benchmark runs")
	rounds    = flag.Int("rounds", 5, "rounds of each benchmark, alternating store and bare; the median is reported")
)

func main() {
	testing.Init()
	flag.Parse()
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "storage benchmark:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "storage-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := embeddedetcd.Start(ctx, embeddedetcd.Config{
		DataDir: filepath.Join(dir, "etcd"), CertDir: filepath.Join(dir, "pki"), UnsafeNoFsync: true,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	ca, pair := srv.ClientTLS()
	client, err := etcd3.NewClient(storage.Config{
		Servers: []string{srv.Endpoint()}, CAFile: ca, CertFile: pair.CertFile, KeyFile: pair.KeyFile,
	})
	if err != nil {
		return err
	}
	defer client.Close()
	e, err := newEnv(ctx, client, "/bench")
	if err != nil {
		return err
	}

	fmt.Printf("%s, %d CPUs, GOMAXPROCS %d; embedded etcd %s without fsync in the same process; one sequential client;\n"+
		"sample object %d bytes; medians of %d alternating rounds of %s each\n\n",
		runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), version.Version, len(e.value), *rounds, *benchtime)
	fmt.Println("| operation | store ops/s | p50 µs | p99 µs | allocs/op | bare clientv3 | ops/s | p50 µs | p99 µs | allocs/op | store/bare ops/s |")
	fmt.Println("|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|")
	for _, bm := range benchmarks {
		var s, r []testing.BenchmarkResult
		for range *rounds {
			s = append(s, testing.Benchmark(func(b *testing.B) { bm.store(e, b) }))
			r = append(r, testing.Benchmark(func(b *testing.B) { bm.bare(e, b) }))
		}
		ms, mr := median(s), median(r)
		fmt.Printf("| %s | %s | %s | %s | %.2f |\n", bm.name, row(ms), bm.bareName, row(mr), opsPerSec(ms)/opsPerSec(mr))
	}
	return nil
}

// median returns the result with the median ns/op.
func median(rs []testing.BenchmarkResult) testing.BenchmarkResult {
	slices.SortFunc(rs, func(a, b testing.BenchmarkResult) int { return cmp.Compare(a.NsPerOp(), b.NsPerOp()) })
	return rs[len(rs)/2]
}

func opsPerSec(r testing.BenchmarkResult) float64 { return 1e9 / float64(r.NsPerOp()) }

func row(r testing.BenchmarkResult) string {
	return fmt.Sprintf("%.0f | %.0f | %.0f | %d", opsPerSec(r), r.Extra["p50-µs"], r.Extra["p99-µs"], r.AllocsPerOp())
}
