package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
)

// The get phase again, by h2load, as a cross-check of the Go generator:
// h2load cannot present a client certificate, so the apiserver also gets
// --token-auth-file with one token of a system:masters user.

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
		fmt.Fprintf(&b, "https://%s%s/%s\n", a.srv.Addr(), collectionPath(benchNamespace), objectName(rand.IntN(a.o.objects)))
	}
	if err := os.WriteFile(uris, []byte(b.String()), 0o600); err != nil {
		return phaseResult{}, err
	}
	run, err := harness.H2load{
		Bin:   h2load,
		Conns: a.o.conns, Streams: a.o.streams, Requests: a.o.gets,
		LogFile: filepath.Join(tmp, "h2load-get.tsv"),
		Args:    []string{"-H", "Authorization: Bearer " + token, "-H", "Accept: application/json", "-i", uris},
		CPU:     a.cpu,
	}.Run(ctx)
	if err != nil {
		return phaseResult{}, fmt.Errorf("h2load: %w", err)
	}
	// The rate is h2load's; elapsed is set so that rate() returns it.
	elapsed := time.Duration(float64(len(run.Latencies)) / run.Rate * float64(time.Second))
	return phaseResult{elapsed: elapsed, lat: run.Latencies, cpu: run.CPU}, nil
}
