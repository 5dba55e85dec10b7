package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The get phase again, by h2load, as a cross-check of the Go generator:
// h2load cannot present a client certificate, so the apiserver also gets
// --token-auth-file with one token of a system:masters user. Parsing is
// adapted from hack/bench/server (h2load.go).

var (
	finishedRE = regexp.MustCompile(`finished in \S+, ([0-9.]+) req/s`)
	requestsRE = regexp.MustCompile(`requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded`)
)

// writeTokenFile writes a token file with one fresh token and returns both.
func writeTokenFile(dir string) (path, token string, err error) {
	token = fmt.Sprintf("bench-%016x%016x", rand.Uint64(), rand.Uint64())
	path = filepath.Join(dir, "tokens.csv")
	err = os.WriteFile(path, []byte(token+`,bench,bench-uid,"system:masters"`+"\n"), 0o600)
	return path, token, err
}

// h2loadGet runs h2load with -conns connections of -streams streams for
// -gets GETs of random objects (h2load reads the URIs from a file, in
// order).
func (a *apiBench) h2loadGet(ctx context.Context, h2load, tmp, token string) (phaseResult, error) {
	uris := filepath.Join(tmp, "h2load-uris.txt")
	var b strings.Builder
	for range min(a.o.gets, 10000) {
		fmt.Fprintf(&b, "https://%s%s/%s\n", a.srv.addr, collectionPath(benchNamespace), objectName(rand.IntN(a.o.objects)))
	}
	if err := os.WriteFile(uris, []byte(b.String()), 0o600); err != nil {
		return phaseResult{}, err
	}
	logFile := filepath.Join(tmp, "h2load-get.tsv")
	cmd := exec.CommandContext(ctx, h2load,
		"-c", strconv.Itoa(a.o.conns), "-m", strconv.Itoa(a.o.streams), "-n", strconv.Itoa(a.o.gets),
		"-H", "Authorization: Bearer "+token, "-H", "Accept: application/json",
		"--log-file", logFile, "-i", uris)
	cpuBefore, err := a.cpu()
	if err != nil {
		return phaseResult{}, err
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return phaseResult{}, fmt.Errorf("h2load: %w\n%s", err, out)
	}
	cpuAfter, err := a.cpu()
	if err != nil {
		return phaseResult{}, err
	}
	m, r := finishedRE.FindSubmatch(out), requestsRE.FindSubmatch(out)
	if m == nil || r == nil {
		return phaseResult{}, fmt.Errorf("h2load: unexpected output:\n%s", out)
	}
	if string(r[1]) != string(r[2]) {
		return phaseResult{}, fmt.Errorf("h2load: only %s of %s requests succeeded:\n%s", r[2], r[1], out)
	}
	rate, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return phaseResult{}, fmt.Errorf("h2load: parsing req/s: %w", err)
	}
	lat, err := readH2loadLog(logFile)
	if err != nil {
		return phaseResult{}, err
	}
	// The rate is h2load's; elapsed is set so that rate() returns it.
	elapsed := time.Duration(float64(len(lat)) / rate * float64(time.Second))
	return phaseResult{elapsed: elapsed, lat: lat, cpu: cpuAfter - cpuBefore}, nil
}

// readH2loadLog reads the durations of h2load's --log-file, whose lines are
// "start (µs since the epoch) TAB status TAB duration (µs)"; every status
// must be 200.
func readH2loadLog(name string) ([]time.Duration, error) {
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
