package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"time"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
)

// h2loadResult is one h2load run.
type h2loadResult struct {
	rate      float64       // requests per second over the whole run, as h2load reports it
	mean, p99 time.Duration // per-request latency, from h2load's log
	// cpuPerRequest is the server's CPU time (all its threads, user and
	// system) during the run, per request. Unlike the rate it does not
	// depend on what else the machine is running.
	cpuPerRequest time.Duration
}

// runH2load sends n GET /healthz requests to p and fails unless every one
// succeeded. label names the per-request log in the temporary directory.
func (b *bench) runH2load(ctx context.Context, p *harness.Process, n int, label string) (h2loadResult, error) {
	run, err := harness.H2load{
		Bin:   b.h2load,
		Conns: b.opts.clients, Streams: b.opts.streams, Requests: n,
		LogFile: filepath.Join(b.tmp, fmt.Sprintf("h2load-%s-%s.tsv", p.Name(), label)),
		Args:    []string{"-H", "Authorization: Bearer " + benchToken, "https://" + p.Addr() + "/healthz"},
		CPU:     p.CPUTime,
	}.Run(ctx)
	if err != nil {
		return h2loadResult{}, fmt.Errorf("h2load against %s: %w", p.Name(), err)
	}
	return h2loadResult{
		rate:          run.Rate,
		mean:          mean(run.Latencies),
		p99:           percentile(run.Latencies, 0.99),
		cpuPerRequest: run.CPU / time.Duration(n),
	}, nil
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

// percentile is the nearest-rank q-quantile of ds (0 < q ≤ 1), which must
// not be empty.
func percentile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}
