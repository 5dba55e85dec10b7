package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	finishedRE = regexp.MustCompile(`finished in \S+, ([0-9.]+) req/s`)
	requestsRE = regexp.MustCompile(`requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded`)
)

// H2load is one run of h2load (Debian's nghttp2-client):
//
//	h2load -c Conns -m Streams -n Requests --log-file LogFile Args...
type H2load struct {
	Bin                      string   // the h2load executable
	Conns, Streams, Requests int      // -c, -m, -n
	LogFile                  string   // --log-file, read for the latencies
	Args                     []string // the rest: headers, -i, URIs
	// CPU, if not nil, reads the CPU time of the server under load; it is
	// called just before and just after h2load runs.
	CPU func() (time.Duration, error)
}

// H2loadResult is what one h2load run measured.
type H2loadResult struct {
	Rate      float64         // requests per second over the whole run, as h2load reports it
	Latencies []time.Duration // of every request, from the log
	CPU       time.Duration   // the server's CPU time during the run; 0 without H2load.CPU
}

// Run runs h2load and fails unless every request succeeded with 200.
func (h H2load) Run(ctx context.Context) (H2loadResult, error) {
	args := append([]string{"-c", strconv.Itoa(h.Conns), "-m", strconv.Itoa(h.Streams), "-n", strconv.Itoa(h.Requests),
		"--log-file", h.LogFile}, h.Args...)
	cmd := exec.CommandContext(ctx, h.Bin, args...)
	cpu := h.CPU
	if cpu == nil {
		cpu = func() (time.Duration, error) { return 0, nil }
	}
	cpuBefore, err := cpu()
	if err != nil {
		return H2loadResult{}, err
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return H2loadResult{}, fmt.Errorf("%w\n%s", err, out)
	}
	cpuAfter, err := cpu()
	if err != nil {
		return H2loadResult{}, err
	}
	res := H2loadResult{CPU: cpuAfter - cpuBefore}
	if res.Rate, err = parseH2loadOutput(out); err != nil {
		return res, err
	}
	res.Latencies, err = ReadH2loadLog(h.LogFile)
	return res, err
}

// parseH2loadOutput returns the rate h2load printed, and fails unless
// every request succeeded.
func parseH2loadOutput(out []byte) (float64, error) {
	m, r := finishedRE.FindSubmatch(out), requestsRE.FindSubmatch(out)
	if m == nil || r == nil {
		return 0, fmt.Errorf("unexpected output:\n%s", out)
	}
	if string(r[1]) != string(r[2]) {
		return 0, fmt.Errorf("only %s of %s requests succeeded:\n%s", r[2], r[1], out)
	}
	rate, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return 0, fmt.Errorf("parsing req/s: %w", err)
	}
	return rate, nil
}

// ReadH2loadLog reads the durations of h2load's --log-file, whose lines are
// "start (µs since the epoch) TAB status TAB duration (µs)". A status other
// than 200 is an error: the benchmarks compare answers that succeeded.
func ReadH2loadLog(name string) ([]time.Duration, error) {
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
