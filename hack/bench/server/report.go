package main

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
)

// Targets of issue 2.
const (
	readyTarget = time.Second
	rssTarget   = 60 << 20
	rateTarget  = 0.8
)

func printStartup(out io.Writer, res startupResult, runs int) {
	fmt.Fprintf(out, "\nStartup: exec to /readyz 200, embedded etcd, %d runs (target ≤ %s)\n", runs, harness.Ms(readyTarget))
	tw := harness.NewTable(out, "data dir", "min", "median", "max", "target")
	for _, row := range []struct {
		name string
		ds   []time.Duration
	}{{"empty", res.empty}, {"restart", res.restart}} {
		lo, med, hi := slices.Min(row.ds), median(row.ds), slices.Max(row.ds)
		v := harness.Verdict(hi <= readyTarget)
		if med <= readyTarget && hi > readyTarget {
			v = "median only"
		}
		tw.Row(row.name, harness.Ms(lo), harness.Ms(med), harness.Ms(hi), v)
	}
	tw.Flush()
}

func printRSS(out io.Writer, m harness.Memory, wait time.Duration) {
	fmt.Fprintf(out, "\nIdle RSS: VmRSS %s after ready (target ≤ %s)\n", wait, mib(rssTarget))
	tw := harness.NewTable(out, "VmRSS", "VmHWM", "target")
	tw.Row(mib(m.RSS), mib(m.Peak), harness.Verdict(m.RSS <= rssTarget))
	tw.Flush()
}

func printLoad(out io.Writer, res loadResult, o options) {
	fmt.Fprintf(out, "\nGET /healthz over HTTP/2: h2load -c %d -m %d -n %d, %d runs each, alternating (target ≥ %.2f of the ceiling)\n",
		o.clients, o.streams, o.requests, o.loadRuns, rateTarget)
	tw := harness.NewTable(out, "run", "server", "req/s", "mean", "p99", "CPU/req")
	for i := range res.apiserver {
		for _, s := range []struct {
			name string
			r    h2loadResult
		}{{"apiserver", res.apiserver[i]}, {"ceiling", res.ceiling[i]}} {
			tw.Row(fmt.Sprint(i+1), s.name, fmt.Sprintf("%.0f", s.r.rate), harness.Ms(s.r.mean), harness.Ms(s.r.p99), us(s.r.cpuPerRequest))
		}
	}
	tw.Flush()

	api, ceil := summarize(res.apiserver), summarize(res.ceiling)
	fmt.Fprintln(out)
	tw = harness.NewTable(out, "server", "median req/s", "best req/s", "median CPU/req", "RSS idle", "RSS after load")
	tw.Row("apiserver", fmt.Sprintf("%.0f", api.medianRate), fmt.Sprintf("%.0f", api.bestRate), us(api.medianCPU), mib(res.apiserverIdle.RSS), mib(res.apiserverAfter.RSS))
	tw.Row("ceiling", fmt.Sprintf("%.0f", ceil.medianRate), fmt.Sprintf("%.0f", ceil.bestRate), us(ceil.medianCPU), mib(res.ceilingIdle.RSS), mib(res.ceilingAfter.RSS))
	tw.Flush()
	ratio := api.medianRate / ceil.medianRate
	fmt.Fprintf(out, "Rate apiserver/ceiling: %.2f of medians, %.2f of bests (target ≥ %.2f): %s\n",
		ratio, api.bestRate/ceil.bestRate, rateTarget, harness.Verdict(ratio >= rateTarget))
	fmt.Fprintf(out, "CPU per request ceiling/apiserver: %.2f of medians\n", float64(ceil.medianCPU)/float64(api.medianCPU))
}

// loadSummary sums up the runs against one server.
type loadSummary struct {
	medianRate, bestRate float64
	medianCPU            time.Duration
}

func summarize(rs []h2loadResult) loadSummary {
	rates := make([]float64, len(rs))
	cpu := make([]time.Duration, len(rs))
	for i, r := range rs {
		rates[i], cpu[i] = r.rate, r.cpuPerRequest
	}
	return loadSummary{medianRate: median(rates), bestRate: slices.Max(rates), medianCPU: median(cpu)}
}

// median of a non-empty slice; the mean of the middle two for an even
// length.
func median[T time.Duration | float64](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func us(d time.Duration) string {
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

func mib(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
