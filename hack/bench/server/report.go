package main

import (
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets of issue 2.
const (
	readyTarget = time.Second
	rssTarget   = 60 << 20
	rateTarget  = 0.8
)

// printMachine prints what the figures depend on: cores, CPU, the Go
// version the apiserver was built with, and the date.
func printMachine(out io.Writer, apiserver string) {
	goVersion := "unknown"
	if info, err := buildinfo.ReadFile(apiserver); err == nil {
		goVersion = info.GoVersion
	}
	fmt.Fprintf(out, "Machine: %d cores, %s, %s/%s\n", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(out, "Apiserver: %s, built with %s\n", apiserver, goVersion)
	fmt.Fprintf(out, "Date: %s\n", time.Now().UTC().Format(time.RFC3339))
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(data)) {
		if key, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}

func printStartup(out io.Writer, res startupResult, runs int) {
	fmt.Fprintf(out, "\nStartup: exec to /readyz 200, embedded etcd, %d runs (target ≤ %s)\n", runs, ms(readyTarget))
	tw := newTable(out, "data dir", "min", "median", "max", "target")
	for _, row := range []struct {
		name string
		ds   []time.Duration
	}{{"empty", res.empty}, {"restart", res.restart}} {
		lo, med, hi := slices.Min(row.ds), median(row.ds), slices.Max(row.ds)
		v := verdict(hi <= readyTarget)
		if med <= readyTarget && hi > readyTarget {
			v = "median only"
		}
		tw.row(row.name, ms(lo), ms(med), ms(hi), v)
	}
	tw.flush()
}

func printRSS(out io.Writer, m memory, wait time.Duration) {
	fmt.Fprintf(out, "\nIdle RSS: VmRSS %s after ready (target ≤ %s)\n", wait, mib(rssTarget))
	tw := newTable(out, "VmRSS", "VmHWM", "target")
	tw.row(mib(m.rss), mib(m.peak), verdict(m.rss <= rssTarget))
	tw.flush()
}

func printLoad(out io.Writer, res loadResult, o options) {
	fmt.Fprintf(out, "\nGET /healthz over HTTP/2: h2load -c %d -m %d -n %d, %d runs each, alternating (target ≥ %.2f of the ceiling)\n",
		o.clients, o.streams, o.requests, o.loadRuns, rateTarget)
	tw := newTable(out, "run", "server", "req/s", "mean", "p99", "CPU/req")
	for i := range res.apiserver {
		for _, s := range []struct {
			name string
			r    h2loadResult
		}{{"apiserver", res.apiserver[i]}, {"ceiling", res.ceiling[i]}} {
			tw.row(fmt.Sprint(i+1), s.name, fmt.Sprintf("%.0f", s.r.rate), ms(s.r.mean), ms(s.r.p99), us(s.r.cpuPerRequest))
		}
	}
	tw.flush()

	api, ceil := summarize(res.apiserver), summarize(res.ceiling)
	fmt.Fprintln(out)
	tw = newTable(out, "server", "median req/s", "best req/s", "median CPU/req", "RSS idle", "RSS after load")
	tw.row("apiserver", fmt.Sprintf("%.0f", api.medianRate), fmt.Sprintf("%.0f", api.bestRate), us(api.medianCPU), mib(res.apiserverIdle.rss), mib(res.apiserverAfter.rss))
	tw.row("ceiling", fmt.Sprintf("%.0f", ceil.medianRate), fmt.Sprintf("%.0f", ceil.bestRate), us(ceil.medianCPU), mib(res.ceilingIdle.rss), mib(res.ceilingAfter.rss))
	tw.flush()
	ratio := api.medianRate / ceil.medianRate
	fmt.Fprintf(out, "Rate apiserver/ceiling: %.2f of medians, %.2f of bests (target ≥ %.2f): %s\n",
		ratio, api.bestRate/ceil.bestRate, rateTarget, verdict(ratio >= rateTarget))
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

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func us(d time.Duration) string {
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

func mib(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(out io.Writer, header ...string) table {
	t := table{tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)}
	t.row(header...)
	return t
}

func (t table) row(cells ...string) { fmt.Fprintln(t.tw, strings.Join(cells, "\t")+"\t") }

func (t table) flush() { t.tw.Flush() }
