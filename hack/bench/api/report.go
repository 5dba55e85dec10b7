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

// The kube-apiserver 1.31 figures of issue 4, on the same machine and etcd
// with 32-64 concurrent clients, and the goal: 1.5 times each.
const (
	kubeCreates   = 1300.0 // per second
	kubeGets      = 2800.0
	kubeUpdates   = 1550.0
	kubeLists     = 25.0 // lists of 3,000 objects per second
	kubeWatchP99  = 28 * time.Millisecond
	targetFactor  = 1.5
	referenceList = 3000 // objects in kube's list figure

	// The goals of issue 5: a definition serves its first request within
	// crdServedTarget of its create request, and custom resources are
	// created and read at crdRatioTarget of ConfigMaps' rates or better.
	crdServedTarget = time.Second
	crdRatioTarget  = 0.9
)

// report holds the results of every phase: [0] the apiserver, [1] the
// storage layer (zero without -ceiling).
type report struct {
	o                         options
	create, get, update, list [2]phaseResult
	h2loadGet                 phaseResult
	hasH2load                 bool
	watch                     [2]watchResult
	crd                       crdResult
}

// printMachine prints what the figures depend on.
func printMachine(out io.Writer, apiserver string) {
	goVersion := "unknown"
	if info, err := buildinfo.ReadFile(apiserver); err == nil {
		goVersion = info.GoVersion
	}
	fmt.Fprintf(out, "Machine: %d cores, %s, %s/%s\n", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(out, "Apiserver: %s, built with %s; benchmark built with %s\n", apiserver, goVersion, runtime.Version())
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

func (r *report) print(out io.Writer) {
	if slices.ContainsFunc([]string{"create", "watch"}, func(p string) bool { return r.o.phases[p] }) {
		r.printRates(out)
	}
	if r.o.phases["watch"] {
		r.printWatch(out)
	}
	if r.o.phases["crd"] {
		r.printCRD(out)
	}
}

// printRates prints the table of every phase against its target.
func (r *report) printRates(out io.Writer) {
	o := r.o
	fmt.Fprintf(out, "\nConfigMaps with one %d-byte data value; %d connections × %d streams (ceiling: %d goroutines); lists of %d objects by %d clients\n",
		o.valueSize, o.conns, o.streams, o.workers(), o.objects, o.listClients)
	tw := newTable(out, "op", "n", "API req/s", "p50", "p99", "CPU/req", "ceiling ops/s", "p50", "p99", "CPU/op", "API/ceiling", "kube 1.31", "target", "verdict")
	rows := []struct {
		name string
		res  [2]phaseResult
		kube float64
	}{
		{"create", r.create, kubeCreates},
		{"get", r.get, kubeGets},
		{"get (h2load)", [2]phaseResult{r.h2loadGet, r.get[1]}, kubeGets},
		{"update (PUT)", r.update, kubeUpdates},
		{fmt.Sprintf("list %d", o.objects), r.list, kubeLists},
	}
	for _, row := range rows {
		if (row.name == "get (h2load)" && !r.hasH2load) || len(row.res[0].lat) == 0 {
			continue
		}
		api, ceil := row.res[0], row.res[1]
		target := targetFactor * row.kube
		if strings.HasPrefix(row.name, "list") && o.objects != referenceList {
			target = 0 // kube's figure is for 3,000 objects
		}
		cells := []string{row.name, fmt.Sprint(len(api.lat)), rate(api.rate())}
		cells = append(cells, latCells(api)...)
		if len(ceil.lat) > 0 {
			cells = append(cells, rate(ceil.rate()))
			cells = append(cells, latCells(ceil)...)
			cells = append(cells, fmt.Sprintf("%.2f", api.rate()/ceil.rate()))
		} else {
			cells = append(cells, "-", "-", "-", "-", "-")
		}
		if target == 0 {
			cells = append(cells, "-", "-", "-")
		} else {
			cells = append(cells, rate(row.kube), rate(target), verdict(api.rate() >= target))
		}
		tw.row(cells...)
	}
	if r.o.phases["watch"] {
		r.watchRow(tw)
	}
	tw.flush()
	fmt.Fprintln(out, "API/ceiling is the ratio of rates; for the watch, ceiling p99 / API p99. CPU is the serving process's (with its embedded etcd), user + system, per operation.")
}

// watchRow is the watch phase's row of the rates table.
func (r *report) watchRow(tw table) {
	w, wc := summarize(r.watch[0].fromAnswer), summarize(r.watch[1].fromAnswer)
	ceilCells := []string{"-", "-", "-", "-", "-"}
	if r.watch[1].events > 0 {
		ceilCells = []string{"-", ms(wc.p50), ms(wc.p99), "-", fmt.Sprintf("%.2f", float64(wc.p99)/float64(w.p99))}
	}
	watchTarget := kubeWatchP99 * 10 / (targetFactor * 10) // 1.5 times faster
	cells := append([]string{"watch p99", fmt.Sprint(r.watch[0].events), "-", ms(w.p50), ms(w.p99), "-"}, ceilCells...)
	tw.row(append(cells, ms(kubeWatchP99), "≤ "+ms(watchTarget), verdict(w.p99 <= watchTarget))...)
}

// printCRD prints the crd phase against the goals of issue 5.
func (r *report) printCRD(out io.Writer) {
	o, c := r.o, r.crd
	s := summarize(c.established)
	fmt.Fprintf(out, "\nCustomResourceDefinition created to its first served list (%d definitions, one after the other, polled every %s): min %s, median %s, max %s; goal ≤ %s: %s\n",
		len(c.established), ms(crdPoll), ms(minDuration(c.established)), ms(s.p50), ms(s.max), crdServedTarget, verdict(s.max <= crdServedTarget))
	fmt.Fprintf(out, "\nWidgets (namespaced, status subresource, small schema) and ConfigMaps, each with one %d-byte value, in %d alternating rounds; %d connections × %d streams\n",
		o.valueSize, o.crdRounds, o.conns, o.streams)
	tw := newTable(out, "op", "n", "CR req/s", "p50", "p99", "CPU/req", "ConfigMap req/s", "p50", "p99", "CPU/req", "CR/ConfigMap", "target", "verdict", "CPU ConfigMap/CR")
	for _, row := range []struct {
		name string
		res  [2]phaseResult
	}{{"create", c.create}, {"get", c.get}} {
		cr, cm := row.res[0], row.res[1]
		ratio := cr.rate() / cm.rate()
		cells := append([]string{row.name, fmt.Sprint(len(cr.lat)), rate(cr.rate())}, latCells(cr)...)
		cells = append(append(cells, rate(cm.rate())), latCells(cm)...)
		cells = append(cells, fmt.Sprintf("%.3f", ratio), fmt.Sprintf("≥ %.2f", crdRatioTarget), verdict(ratio >= crdRatioTarget))
		tw.row(append(cells, fmt.Sprintf("%.2f", float64(cm.cpuPerOp())/float64(cr.cpuPerOp())))...)
	}
	tw.flush()
	fmt.Fprintln(out, "CR/ConfigMap is the ratio of rates, the goal; CPU ConfigMap/CR the inverse ratio of the apiserver's CPU per request, which a busy machine sways less.")
}

func minDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Min(ds)
}

// printWatch prints the details of the watch phase.
func (r *report) printWatch(out io.Writer) {
	o := r.o
	fmt.Fprintf(out, "\nWatch delivery: %d watchers, %d creates at %g/s; per (watcher, event)\n", o.watchers, o.watchCreates, o.watchRate)
	tw := newTable(out, "side", "events", "p50", "p99", "max", "from start p50", "p99", "max", "early", "create p50", "create p99", "CPU/event")
	for i, side := range []string{"apiserver", "ceiling"} {
		res := r.watch[i]
		if res.events == 0 {
			continue
		}
		a, s, c := summarize(res.fromAnswer), summarize(res.fromStart), summarize(res.create)
		tw.row(side, fmt.Sprint(res.events), ms(a.p50), ms(a.p99), ms(a.max), ms(s.p50), ms(s.p99), ms(s.max),
			fmt.Sprint(res.early), ms(c.p50), ms(c.p99), us(res.cpu/time.Duration(res.events)))
	}
	tw.flush()
	fmt.Fprintln(out, "The first three columns run from the create's answer to the watcher reading the event (kube's figure; an event read before the answer counts 0 and as early); \"from start\" from the create's request start.")
}

func latCells(r phaseResult) []string {
	s := summarize(r.lat)
	return []string{ms(s.p50), ms(s.p99), us(r.cpuPerOp())}
}

func rate(x float64) string {
	if x < 100 {
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.0f", x)
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
	if d >= time.Millisecond {
		return ms(d)
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
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
