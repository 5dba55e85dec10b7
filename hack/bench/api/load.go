package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// phaseResult is one measured phase: n operations and how long each took.
type phaseResult struct {
	elapsed time.Duration   // wall time of the whole phase
	lat     []time.Duration // one per operation
	// cpu is the CPU time, user and system, of the process that serves the
	// operations (the apiserver with its embedded etcd, or this process for
	// the ceiling) during the phase.
	cpu time.Duration
}

func (r phaseResult) rate() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

func (r phaseResult) cpuPerOp() time.Duration { return r.cpu / time.Duration(len(r.lat)) }

// opFunc is one operation: worker is the calling goroutine (0 ≤ worker <
// workers), i the operation's index (0 ≤ i < n).
type opFunc func(ctx context.Context, worker, i int) error

// drive calls op n times from workers goroutines, each taking the next
// index as soon as its previous call returns (a closed loop, like h2load's
// -m streams), and times every call. cpu reads the serving process's CPU
// time. The first error stops the phase.
func drive(ctx context.Context, workers, n int, cpu func() (time.Duration, error), op opFunc) (phaseResult, error) {
	var next atomic.Int64
	lat := make([][]time.Duration, workers)
	cpuBefore, err := cpu()
	if err != nil {
		return phaseResult{}, err
	}
	g, ctx := errgroup.WithContext(ctx)
	start := time.Now()
	for w := range workers {
		lat[w] = make([]time.Duration, 0, n/workers+1)
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return nil
				}
				t := time.Now()
				if err := op(ctx, w, i); err != nil {
					return err
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	err = g.Wait()
	res := phaseResult{elapsed: time.Since(start), lat: slices.Concat(lat...)}
	if err != nil {
		return res, err
	}
	cpuAfter, err := cpu()
	res.cpu = cpuAfter - cpuBefore
	return res, err
}

// percentile is the nearest-rank q-quantile of ds (0 < q ≤ 1), which must
// be sorted and not empty.
func percentile(ds []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(ds)))) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// latencySummary is p50, p99 and max of a set of latencies.
type latencySummary struct{ p50, p99, max time.Duration }

func summarize(ds []time.Duration) latencySummary {
	if len(ds) == 0 {
		return latencySummary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return latencySummary{p50: percentile(s, 0.50), p99: percentile(s, 0.99), max: s[len(s)-1]}
}

// objectValue is the data value of object i, size bytes long. Its first 8
// bytes are the hex of gen, so that every update changes the object (the
// store does not write an unchanged object).
func objectValue(size, gen int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, size)
	for j := range b {
		b[j] = alphabet[j%len(alphabet)]
	}
	copy(b, fmt.Sprintf("%08x", gen))
	return string(b)
}
