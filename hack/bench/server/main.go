package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
)

// options are the benchmark's flags.
type options struct {
	binary   string
	phases   []string
	runs     int
	rssWait  time.Duration
	loadRuns int
	requests int
	clients  int
	streams  int
	keep     bool
	profile  string
}

var allPhases = []string{"startup", "rss", "load"}

func main() { os.Exit(harness.ExitCode(os.Stderr, run(os.Args[1:], os.Stdout))) }

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.StringVar(&o.binary, "binary", "", "The apiserver binary to measure. Empty builds ./cmd/apiserver with go build into a temporary directory.")
	phases := fs.String("phases", strings.Join(allPhases, ","), "Comma-separated phases to run: startup, rss, load.")
	fs.IntVar(&o.runs, "runs", 10, "Startup runs, each on an empty data dir and then again on the same dir (restart).")
	fs.DurationVar(&o.rssWait, "rss-wait", 5*time.Second, "How long after ready to read the idle RSS.")
	fs.IntVar(&o.loadRuns, "load-runs", 3, "h2load runs against each server, alternating, after one warm-up run each.")
	fs.IntVar(&o.requests, "requests", 200000, "Requests per h2load run (h2load -n).")
	fs.IntVar(&o.clients, "clients", 4, "HTTP/2 connections per h2load run (h2load -c).")
	fs.IntVar(&o.streams, "streams", 50, "Concurrent streams per connection (h2load -m).")
	fs.StringVar(&o.profile, "cpuprofile", "", "Write a CPU profile of the apiserver of the RSS and load phases to this file, and of the ceiling server to this file plus \".ceiling\". That apiserver is then ./hack/bench/server/profiled, cmd/apiserver with a profiler, built from source whatever -binary says: take the figures from a run without this flag.")
	fs.BoolVar(&o.keep, "keep", false, "Keep the temporary directory (binaries, data dirs, server logs, h2load logs) and print its path.")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	o.phases = strings.Split(*phases, ",")
	return o, errors.Join(o.validate()...)
}

func (o options) validate() []error {
	var errs []error
	for _, p := range o.phases {
		if !slices.Contains(allPhases, p) {
			errs = append(errs, fmt.Errorf("-phases: unknown phase %q", p))
		}
	}
	if o.runs < 1 {
		errs = append(errs, fmt.Errorf("-runs %d must be at least 1", o.runs))
	}
	if o.loadRuns < 1 {
		errs = append(errs, fmt.Errorf("-load-runs %d must be at least 1", o.loadRuns))
	}
	if o.clients < 1 || o.streams < 1 || o.requests < o.clients*o.streams {
		errs = append(errs, fmt.Errorf("-clients %d, -streams %d and -requests %d: each must be positive, and -requests at least -clients × -streams", o.clients, o.streams, o.requests))
	}
	return errs
}

func (o options) has(phase string) bool { return slices.Contains(o.phases, phase) }

// run parses args, runs the phases asked for and prints the report to out.
func run(args []string, out io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	h2load := ""
	if o.has("load") {
		if h2load, err = exec.LookPath("h2load"); err != nil {
			return fmt.Errorf("the load phase needs h2load: install Debian's nghttp2-client package (apt-get install nghttp2-client), or leave out the phase with -phases startup,rss: %w", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	tmp, cleanup, err := harness.TempDir("bench-server-", o.keep, out)
	if err != nil {
		return err
	}
	defer cleanup()
	b := &bench{opts: o, tmp: tmp, h2load: h2load, apiserver: o.binary}
	if err := b.build(ctx); err != nil {
		return err
	}
	harness.PrintMachine(out, b.apiserver)
	return b.runPhases(ctx, out)
}

// bench holds what the phases share.
type bench struct {
	opts      options
	tmp       string
	h2load    string
	apiserver string // measured in the startup phase
	ceiling   string
	// served and servedEnv are the apiserver of the RSS and load phases:
	// the profiled build with -cpuprofile, else apiserver.
	served    string
	servedEnv []string
}

// build builds the binaries the phases need that were not given.
func (b *bench) build(ctx context.Context) error {
	if b.apiserver == "" {
		b.apiserver = filepath.Join(b.tmp, "apiserver")
		if err := harness.GoBuild(ctx, b.apiserver, "github.com/apiserver/apiserver/cmd/apiserver"); err != nil {
			return err
		}
	}
	b.served = b.apiserver
	if b.opts.profile != "" {
		b.served = filepath.Join(b.tmp, "profiled")
		if err := harness.GoBuild(ctx, b.served, "github.com/apiserver/apiserver/hack/bench/server/profiled"); err != nil {
			return err
		}
		profile, err := filepath.Abs(b.opts.profile)
		if err != nil {
			return err
		}
		b.servedEnv = []string{"APISERVER_CPUPROFILE=" + profile}
	}
	if b.opts.has("load") {
		b.ceiling = filepath.Join(b.tmp, "ceiling")
		if err := harness.GoBuild(ctx, b.ceiling, "github.com/apiserver/apiserver/hack/bench/server/ceiling"); err != nil {
			return err
		}
	}
	return nil
}

// runPhases runs the startup phase, then the RSS and load phases, which
// share one apiserver process: the RSS is read before any load.
func (b *bench) runPhases(ctx context.Context, out io.Writer) error {
	if b.opts.has("startup") {
		res, err := b.startup(ctx)
		if err != nil {
			return fmt.Errorf("startup phase: %w", err)
		}
		printStartup(out, res, b.opts.runs)
	}
	if !b.opts.has("rss") && !b.opts.has("load") {
		return nil
	}
	srv, _, err := b.startAPIServer(ctx, b.served, b.servedEnv, filepath.Join(b.tmp, "serving"))
	if err != nil {
		return err
	}
	defer srv.Stop()
	if b.opts.has("rss") {
		res, err := b.rss(ctx, srv)
		if err != nil {
			return fmt.Errorf("RSS phase: %w", err)
		}
		printRSS(out, res, b.opts.rssWait)
	}
	if b.opts.has("load") {
		res, err := b.load(ctx, srv)
		if err != nil {
			return fmt.Errorf("load phase: %w", err)
		}
		printLoad(out, res, b.opts)
	}
	return nil
}
