package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
)

// startupResult holds the time from exec to ready of every run.
type startupResult struct {
	empty, restart []time.Duration
}

// startup starts the apiserver opts.runs times on an empty data dir, each
// time stopping it (SIGTERM) and starting it again on the same dir.
func (b *bench) startup(ctx context.Context) (startupResult, error) {
	var res startupResult
	for i := range b.opts.runs {
		dir := filepath.Join(b.tmp, "startup-"+strconv.Itoa(i))
		for _, into := range []*[]time.Duration{&res.empty, &res.restart} {
			p, took, err := b.startAPIServer(ctx, b.apiserver, nil, dir)
			if err != nil {
				return res, err
			}
			p.Stop()
			*into = append(*into, took)
		}
		// The embedded etcd preallocates its WAL: do not let ten of them
		// pile up.
		if err := os.RemoveAll(dir); err != nil {
			return res, err
		}
		fmt.Fprintf(os.Stderr, "startup run %d/%d: empty %s, restart %s\n", i+1, b.opts.runs, harness.Ms(res.empty[i]), harness.Ms(res.restart[i]))
	}
	return res, nil
}

// rss waits opts.rssWait, then reads srv's memory.
func (b *bench) rss(ctx context.Context, srv *harness.Process) (harness.Memory, error) {
	select {
	case <-ctx.Done():
		return harness.Memory{}, ctx.Err()
	case <-time.After(b.opts.rssWait):
	}
	return srv.Memory()
}

// loadResult holds the h2load runs against both servers.
type loadResult struct {
	apiserver, ceiling []h2loadResult
	// Idle and after-load RSS of each server, for context.
	apiserverIdle, apiserverAfter harness.Memory
	ceilingIdle, ceilingAfter     harness.Memory
}

// load starts the ceiling server with srv's certificate, warms both up
// with one short run each, then runs h2load against them in turn,
// alternating which goes first so that drift in the machine's load falls
// on both.
func (b *bench) load(ctx context.Context, srv *harness.Process) (loadResult, error) {
	var res loadResult
	ceiling, err := b.startCeiling(ctx, filepath.Join(b.tmp, "serving", "pki"))
	if err != nil {
		return res, err
	}
	defer ceiling.Stop()
	if res.apiserverIdle, err = srv.Memory(); err != nil {
		return res, err
	}
	if res.ceilingIdle, err = ceiling.Memory(); err != nil {
		return res, err
	}
	servers := []*harness.Process{srv, ceiling}
	into := []*[]h2loadResult{&res.apiserver, &res.ceiling}
	for _, p := range servers {
		if _, err := b.runH2load(ctx, p, max(b.opts.requests/10, b.opts.clients*b.opts.streams), "warmup"); err != nil {
			return res, err
		}
	}
	for i := range b.opts.loadRuns {
		for j := range servers {
			k := (i + j) % 2 // apiserver first in even rounds, ceiling first in odd
			r, err := b.runH2load(ctx, servers[k], b.opts.requests, strconv.Itoa(i))
			if err != nil {
				return res, err
			}
			*into[k] = append(*into[k], r)
			fmt.Fprintf(os.Stderr, "load run %d/%d %s: %.0f req/s\n", i+1, b.opts.loadRuns, servers[k].Name(), r.rate)
		}
	}
	if res.apiserverAfter, err = srv.Memory(); err != nil {
		return res, err
	}
	res.ceilingAfter, err = ceiling.Memory()
	return res, err
}

// startCeiling starts the ceiling server on a free loopback port with the
// apiserver's serving certificate from pkiDir, and waits for its /healthz.
func (b *bench) startCeiling(ctx context.Context, pkiDir string) (*harness.Process, error) {
	port, err := harness.FreePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logFile := filepath.Join(b.tmp, "ceiling.log")
	args := []string{"-addr", addr, "-cert", filepath.Join(pkiDir, "apiserver.crt"), "-key", filepath.Join(pkiDir, "apiserver.key")}
	if b.opts.profile != "" {
		args = append(args, "-cpuprofile", b.opts.profile+".ceiling")
	}
	p, err := harness.Start(ctx, harness.Command{Name: "ceiling", Addr: addr, LogFile: logFile, Bin: b.ceiling, Args: args})
	if err != nil {
		return nil, err
	}
	if _, err := p.WaitReady(ctx, "/healthz", pollInterval); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w (log: %s)", err, logFile)
	}
	return p, nil
}

// benchToken authenticates the load: the apiserver, as kube-apiserver,
// closes an HTTP/2 connection with GOAWAY after an anonymous request, so
// that h2load's anonymous streams would each need a new connection.
const benchToken = "bench-load-token"

// pollInterval is the resolution of the startup figure; polling faster
// would take CPU from the server it measures.
const pollInterval = 5 * time.Millisecond

// startAPIServer starts bin, an apiserver, with env added to its
// environment, on a free loopback port with its data in dataDir (created by
// the server if missing), and waits until /readyz answers 200. It returns
// the process and the time from exec to ready.
func (b *bench) startAPIServer(ctx context.Context, bin string, env []string, dataDir string) (*harness.Process, time.Duration, error) {
	tokens := filepath.Join(b.tmp, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(benchToken+",bench,bench\n"), 0o600); err != nil {
		return nil, 0, err
	}
	return harness.StartAPIServer(ctx, harness.APIServer{
		Bin: bin, Env: env, DataDir: dataDir, Poll: pollInterval,
		Args:    []string{"--token-auth-file", tokens},
		LogFile: filepath.Join(b.tmp, fmt.Sprintf("apiserver-%s-%d.log", filepath.Base(dataDir), time.Now().UnixNano())),
	})
}
