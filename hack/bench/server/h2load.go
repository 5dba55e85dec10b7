package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
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

var (
	finishedRE = regexp.MustCompile(`finished in \S+, ([0-9.]+) req/s`)
	requestsRE = regexp.MustCompile(`requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded`)
)

// runH2load sends n GET /healthz requests to p and fails unless every one
// succeeded. label names the per-request log in the temporary directory.
func (b *bench) runH2load(ctx context.Context, p *process, n int, label string) (h2loadResult, error) {
	logFile := filepath.Join(b.tmp, fmt.Sprintf("h2load-%s-%s.tsv", p.name, label))
	cmd := exec.CommandContext(ctx, b.h2load,
		"-c", strconv.Itoa(b.opts.clients), "-m", strconv.Itoa(b.opts.streams), "-n", strconv.Itoa(n),
		"--log-file", logFile, "https://"+p.addr+"/healthz")
	cpuBefore, err := p.cpuTime()
	if err != nil {
		return h2loadResult{}, err
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return h2loadResult{}, fmt.Errorf("h2load against %s: %w\n%s", p.name, err, out)
	}
	cpuAfter, err := p.cpuTime()
	if err != nil {
		return h2loadResult{}, err
	}
	res := h2loadResult{cpuPerRequest: (cpuAfter - cpuBefore) / time.Duration(n)}
	m := finishedRE.FindSubmatch(out)
	r := requestsRE.FindSubmatch(out)
	if m == nil || r == nil {
		return res, fmt.Errorf("h2load against %s: unexpected output:\n%s", p.name, out)
	}
	if string(r[1]) != string(r[2]) {
		return res, fmt.Errorf("h2load against %s: only %s of %s requests succeeded:\n%s", p.name, r[2], r[1], out)
	}
	if res.rate, err = strconv.ParseFloat(string(m[1]), 64); err != nil {
		return res, fmt.Errorf("h2load against %s: parsing req/s: %w", p.name, err)
	}
	lat, err := readLatencies(logFile)
	if err != nil {
		return res, fmt.Errorf("h2load against %s: %w", p.name, err)
	}
	res.mean, res.p99 = mean(lat), percentile(lat, 0.99)
	return res, nil
}

// readLatencies reads the durations of h2load's --log-file, whose lines are
// "start (µs since the epoch) TAB status TAB duration (µs)". A status other
// than 200 is an error: the benchmark compares answers that succeeded.
func readLatencies(name string) ([]time.Duration, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lat []time.Duration
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s: unexpected line %q", name, sc.Text())
		}
		if fields[1] != "200" {
			return nil, fmt.Errorf("%s: a request answered %s", name, fields[1])
		}
		us, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		lat = append(lat, time.Duration(us)*time.Microsecond)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(lat) == 0 {
		return nil, fmt.Errorf("%s: no requests logged", name)
	}
	return lat, nil
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
