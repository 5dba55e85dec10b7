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
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
	"github.com/apiserver/apiserver/pkg/certs"
)

// options are the benchmark's flags.
type options struct {
	binary       string
	objects      int
	valueSize    int
	conns        int
	streams      int
	gets         int
	updates      int
	lists        int
	listClients  int
	watchers     int
	watchCreates int
	watchRate    float64
	crds         int
	crdRounds    int
	phases       phaseSet
	accept       string
	readRV       string
	// resource is configmaps or secrets.
	resource string
	// encryptionConfig is passed as --encryption-provider-config.
	encryptionConfig string
	h2load           string
	ceiling          bool
	profile          string
	keep             bool
	// kasDir is the directory of a reference kube-apiserver to measure
	// instead of this project's.
	kasDir string
	// user, when set, is who the phases run as: a user with no group,
	// allowed by RBAC, among roleBindings RoleBindings of the bench
	// namespace.
	user         string
	roleBindings int
}

// workers is the number of concurrent requests of the create, get and
// update phases.
func (o options) workers() int { return o.conns * o.streams }

func main() { os.Exit(harness.ExitCode(os.Stderr, run(os.Args[1:], os.Stdout))) }

func parseFlags(args []string) (options, error) {
	o := options{phases: newPhaseSet(allPhases...)}
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.StringVar(&o.binary, "binary", "", "The apiserver binary to measure. Empty builds ./cmd/apiserver with go build into a temporary directory.")
	fs.IntVar(&o.objects, "objects", 3000, "ConfigMaps created in the create phase; the get and update phases pick among them and the list phase lists them all.")
	fs.IntVar(&o.valueSize, "value-size", 256, "Bytes of the one data value of every ConfigMap.")
	// 8 × 8 = 64 concurrent requests: the top of the 32-64 clients of
	// the kube-apiserver reference figures.
	fs.IntVar(&o.conns, "conns", 8, "HTTP/2 connections of the load generator (h2load -c).")
	fs.IntVar(&o.streams, "streams", 8, "Concurrent streams per connection (h2load -m); the ceiling runs -conns × -streams goroutines.")
	fs.IntVar(&o.gets, "gets", 20000, "GETs of random objects in the get phase.")
	fs.IntVar(&o.updates, "updates", 9000, "PUTs in the update phase, round robin over the objects.")
	fs.IntVar(&o.lists, "lists", 100, "Lists of the whole collection in the list phase.")
	fs.IntVar(&o.listClients, "list-clients", 4, "Concurrent lists, each on its own connection.")
	fs.IntVar(&o.watchers, "watchers", 50, "Watches of the watch phase.")
	fs.IntVar(&o.watchCreates, "watch-creates", 500, "Creates whose delivery to every watcher is measured.")
	fs.Float64Var(&o.watchRate, "watch-rate", 100, "Creates per second in the watch phase, started at a steady pace.")
	fs.IntVar(&o.crds, "crds", 5, "CustomResourceDefinitions the crd phase creates one after the other, each timed to its first served list; its custom resources are the first one's.")
	fs.IntVar(&o.crdRounds, "crd-rounds", 6, "Rounds of the crd phase's create and get, alternating custom resources and ConfigMaps, so that a change in the machine's load falls on both.")
	fs.Var(&o.phases, "phases", "Comma-separated phases to run, in the order "+strings.Join(allPhases, ",")+" whatever the order given; get, update and list need create.")
	fs.StringVar(&o.h2load, "h2load", "h2load", "h2load to cross-check the get phase with (Debian's nghttp2-client); empty skips the cross-check.")
	fs.BoolVar(&o.ceiling, "ceiling", true, "Also run every phase against the storage layer.")
	fs.StringVar(&o.resource, "resource", "configmaps", "What the create, get, update and list phases write and read: configmaps, or secrets (the value is the Secret's one data key). Secrets take only those phases, without the ceiling.")
	fs.StringVar(&o.encryptionConfig, "encryption-config", "", "An EncryptionConfiguration file the apiserver gets as --encryption-provider-config: run with and without it to measure encryption at rest.")
	fs.StringVar(&o.readRV, "read-rv", "", "resourceVersion the get and list phases read at: empty for quorum reads (etcd), 0 for any state (the watch cache).")
	fs.StringVar(&o.accept, "accept", "json", "Encoding the get and list phases ask for: json, or protobuf (application/vnd.kubernetes.protobuf, as client-go's typed clients).")
	fs.StringVar(&o.profile, "cpuprofile", "", "Write a CPU profile of the apiserver's whole run to this file. The apiserver is then ./hack/bench/server/profiled, cmd/apiserver with a profiler, built from source whatever -binary says: take the figures from a run without this flag.")
	fs.StringVar(&o.kasDir, "kas-dir", "", "Measure the kube-apiserver that ../shared/reference/kube-apiserver.sh started with its state in this directory (its KAS_DIR) instead of starting this project's apiserver: the same phases, as a client certificate of its CA in system:masters; the CPU figures are kube-apiserver's and its etcd's. Takes -h2load '' and neither -binary, -cpuprofile nor -encryption-config.")
	fs.StringVar(&o.user, "user", "", "Run the phases as this user (a client certificate without groups) instead of a system:masters administrator, allowed by a RoleBinding to the edit ClusterRole in the bench namespace, so that authorization does its work; with -role-bindings.")
	fs.IntVar(&o.roleBindings, "role-bindings", 1000, "With -user: RoleBindings of the bench namespace, all but one for other users, created before the phases.")
	fs.BoolVar(&o.keep, "keep", false, "Keep the temporary directory (binaries, data dirs, server log, h2load log) and print its path.")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return o, errors.Join(o.validate()...)
}

func (o options) validate() []error {
	var errs []error
	if o.conns < 1 || o.streams < 1 {
		errs = append(errs, fmt.Errorf("-conns %d and -streams %d must be positive", o.conns, o.streams))
	}
	// An object is updated again only after -objects other updates: with
	// fewer than 4 × the concurrency, two updates of one object could
	// overlap and the later one fail its resourceVersion check.
	if o.objects < 4*o.workers() || o.objects > 99999 {
		errs = append(errs, fmt.Errorf("-objects %d must be between 4 × -conns × -streams (%d) and 99999", o.objects, 4*o.workers()))
	}
	if o.valueSize < 8 || o.valueSize > 512<<10 {
		errs = append(errs, fmt.Errorf("-value-size %d must be between 8 and 512Ki", o.valueSize))
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"-gets", o.gets}, {"-updates", o.updates}, {"-lists", o.lists}, {"-list-clients", o.listClients}, {"-watchers", o.watchers}} {
		if f.n < 1 {
			errs = append(errs, fmt.Errorf("%s %d must be positive", f.name, f.n))
		}
	}
	if o.watchCreates < 1 || o.watchCreates > 99999 {
		errs = append(errs, fmt.Errorf("-watch-creates %d must be between 1 and 99999", o.watchCreates))
	}
	switch o.resource {
	case "configmaps":
	case "secrets":
		if o.ceiling || o.phases["watch"] || o.phases["crd"] || o.h2load != "" {
			errs = append(errs, fmt.Errorf("-resource secrets takes the create, get, update and list phases only, with -ceiling=false -h2load ''"))
		}
	default:
		errs = append(errs, fmt.Errorf("-resource %q must be configmaps or secrets", o.resource))
	}
	if o.kasDir != "" && (o.binary != "" || o.profile != "" || o.encryptionConfig != "" || o.h2load != "") {
		errs = append(errs, fmt.Errorf("-kas-dir measures a running kube-apiserver: it takes -h2load '' and neither -binary, -cpuprofile nor -encryption-config"))
	}
	if o.user != "" && (o.kasDir != "" || o.h2load != "" || o.roleBindings < 1 || strings.HasPrefix(o.user, "system:")) {
		errs = append(errs, fmt.Errorf("-user %q takes -h2load '', no -kas-dir, a name outside system: and -role-bindings of at least 1", o.user))
	}
	if o.readRV != "" && o.readRV != "0" {
		errs = append(errs, fmt.Errorf("-read-rv %q must be empty or 0", o.readRV))
	}
	if o.accept != "json" && o.accept != "protobuf" {
		errs = append(errs, fmt.Errorf("-accept %q must be json or protobuf", o.accept))
	}
	if o.watchRate <= 0 {
		errs = append(errs, fmt.Errorf("-watch-rate %g must be positive", o.watchRate))
	}
	if o.crds < 1 || o.crds > 100 {
		errs = append(errs, fmt.Errorf("-crds %d must be between 1 and 100", o.crds))
	}
	// -gets below 1 is reported above.
	if o.crdRounds < 1 || (o.gets >= 1 && o.crdRounds > min(o.objects, o.gets)) {
		errs = append(errs, fmt.Errorf("-crd-rounds %d must be between 1 and the smaller of -objects and -gets", o.crdRounds))
	}
	return append(errs, o.phases.validate()...)
}

// run parses args, runs the phases and prints the report to out.
func run(args []string, out io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	h2load := ""
	if o.h2load != "" {
		if h2load, err = exec.LookPath(o.h2load); err != nil {
			return fmt.Errorf("the get cross-check needs h2load: install Debian's nghttp2-client package (apt-get install nghttp2-client), or skip it with -h2load '': %w", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	tmp, cleanup, err := harness.TempDir("bench-api-", o.keep, out)
	if err != nil {
		return err
	}
	defer cleanup()
	bin, env, err := build(ctx, o, tmp)
	if err != nil {
		return err
	}
	harness.PrintMachine(out, bin, "benchmark built with "+runtime.Version())
	rep, err := measure(ctx, o, tmp, bin, env, h2load)
	if err != nil {
		return err
	}
	rep.print(out)
	return nil
}

// build returns the apiserver to run and its extra environment: -binary,
// or ./cmd/apiserver built into tmp, or with -cpuprofile the profiled build
// of hack/bench/server.
func build(ctx context.Context, o options, tmp string) (string, []string, error) {
	if o.profile != "" {
		profile, err := filepath.Abs(o.profile)
		if err != nil {
			return "", nil, err
		}
		bin := filepath.Join(tmp, "profiled")
		return bin, []string{"APISERVER_CPUPROFILE=" + profile}, harness.GoBuild(ctx, bin, "github.com/apiserver/apiserver/hack/bench/server/profiled")
	}
	if o.binary != "" {
		return o.binary, nil, nil
	}
	bin := filepath.Join(tmp, "apiserver")
	return bin, nil, harness.GoBuild(ctx, bin, "github.com/apiserver/apiserver/cmd/apiserver")
}

// readyPoll is the interval between /readyz probes. This benchmark does not
// report the startup time, so it polls less often than hack/bench/server.
const readyPoll = 20 * time.Millisecond

// startAPIServer starts bin on a free loopback port with its data in
// dataDir, accepting client certificates of clientCA and, if tokenFile is
// not empty, its bearer tokens, and waits until /readyz answers 200.
func startAPIServer(ctx context.Context, bin string, env []string, dataDir, clientCA, tokenFile string, extra ...string) (*harness.Process, error) {
	args := append([]string{"--client-ca-file", clientCA}, extra...)
	if tokenFile != "" {
		args = append(args, "--token-auth-file", tokenFile)
	}
	p, _, err := harness.StartAPIServer(ctx, harness.APIServer{
		Bin: bin, Env: env, DataDir: dataDir, LogFile: dataDir + ".log", Args: args, Poll: readyPoll,
	})
	return p, err
}

// measure starts the apiserver and the ceiling, then runs the phases.
func measure(ctx context.Context, o options, tmp, bin string, env []string, h2load string) (*report, error) {
	tokenFile, token := "", ""
	if h2load != "" {
		var err error
		if tokenFile, token, err = writeTokenFile(tmp); err != nil {
			return nil, err
		}
	}
	var srv measured
	var pair certs.Pair
	var serverCA string
	if o.kasDir != "" {
		ref, err := openReference(o.kasDir)
		if err != nil {
			return nil, err
		}
		if pair, err = ref.clientCert(tmp); err != nil {
			return nil, err
		}
		srv, serverCA = ref, o.kasDir
	} else {
		clientCA, p, err := issueClientCert(tmp, "")
		if err != nil {
			return nil, err
		}
		pair = p
		// Not tmp/apiserver: that is the binary build() writes.
		dataDir := filepath.Join(tmp, "apiserver-data")
		var extra []string
		if o.encryptionConfig != "" {
			extra = []string{"--encryption-provider-config", o.encryptionConfig}
		}
		proc, err := startAPIServer(ctx, bin, env, dataDir, clientCA, tokenFile, extra...)
		if err != nil {
			return nil, err
		}
		defer proc.Stop() // stop writes the profile of a profiled build
		srv, serverCA = proc, dataDir
	}
	cfg, err := clientTLS(serverCA, pair)
	if err != nil {
		return nil, err
	}
	pool, err := dialPool(ctx, srv.Addr(), cfg, max(o.conns, o.listClients))
	if err != nil {
		return nil, err
	}
	defer pool.close()
	if o.accept == "protobuf" {
		pool.accept = "application/vnd.kubernetes.protobuf"
	}
	api := newAPIBench(o, srv, pool)
	if o.user != "" {
		// The administrator prepares; the user runs the phases.
		if _, userPair, err := issueClientCert(tmp, o.user); err != nil {
			return nil, err
		} else if err := api.setupUser(ctx, userPair, serverCA); err != nil {
			return nil, fmt.Errorf("setup: %w", err)
		}
	} else if err := api.setup(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	var ceil *ceilingBench
	if o.ceiling {
		if ceil, err = startCeiling(ctx, o, filepath.Join(tmp, "ceiling")); err != nil {
			return nil, err
		}
		defer ceil.close()
	}
	h2 := func(ctx context.Context) (phaseResult, error) { return api.h2loadGet(ctx, h2load, tmp, token) }
	if h2load == "" {
		h2 = nil
	}
	return runPhases(ctx, o, api, ceil, h2)
}

// runPhases runs the phases -phases selects, in the order of allPhases.
// Each ConfigMap phase runs against the apiserver and then the ceiling, so
// that a change in the machine's load falls on both sides of a ratio
// alike; h2 is the h2load cross-check of the get phase, or nil.
func runPhases(ctx context.Context, o options, api *apiBench, ceil *ceilingBench, h2 func(context.Context) (phaseResult, error)) (*report, error) {
	rep := &report{o: o}
	steps := map[string]func(context.Context) error{
		"create": func(ctx context.Context) error {
			return runPhase(ctx, "create", api.create, ceilOp(ceil, (*ceilingBench).create), &rep.create)
		},
		"get": func(ctx context.Context) error {
			if err := runPhase(ctx, "get", api.get, ceilOp(ceil, (*ceilingBench).get), &rep.get); err != nil || h2 == nil {
				return err
			}
			var err error
			if rep.h2loadGet, err = h2(ctx); err != nil {
				return fmt.Errorf("get phase, h2load: %w", err)
			}
			rep.hasH2load = true
			progress("get (h2load)", "apiserver", rep.h2loadGet.rate())
			return nil
		},
		"crd": func(ctx context.Context) error {
			var err error
			rep.crd, err = runCRDPhase(ctx, api)
			return err
		},
		"update": func(ctx context.Context) error {
			return runPhase(ctx, "update", api.update, ceilOp(ceil, (*ceilingBench).update), &rep.update)
		},
		"list": func(ctx context.Context) error {
			return runPhase(ctx, "list", api.list, ceilOp(ceil, (*ceilingBench).list), &rep.list)
		},
		"watch": func(ctx context.Context) error { return runWatchPhase(ctx, api, ceil, &rep.watch) },
	}
	for _, name := range allPhases {
		if o.phases[name] {
			if err := steps[name](ctx); err != nil {
				return nil, err
			}
		}
	}
	return rep, nil
}

// runWatchPhase runs the watch phase against the apiserver, then the
// ceiling.
func runWatchPhase(ctx context.Context, api *apiBench, ceil *ceilingBench, into *[2]watchResult) error {
	var err error
	if into[0], err = api.watch(ctx); err != nil {
		return fmt.Errorf("watch phase against the apiserver: %w", err)
	}
	progress("watch p99 ms", "apiserver", float64(summarize(into[0].fromAnswer).p99.Microseconds())/1000)
	if ceil == nil {
		return nil
	}
	if into[1], err = ceil.watch(ctx); err != nil {
		return fmt.Errorf("watch phase against the storage layer: %w", err)
	}
	progress("watch p99 ms", "ceiling", float64(summarize(into[1].fromAnswer).p99.Microseconds())/1000)
	return nil
}

// ceilOp binds a phase of the ceiling, nil without one.
func ceilOp(c *ceilingBench, f func(*ceilingBench, context.Context) (phaseResult, error)) func(context.Context) (phaseResult, error) {
	if c == nil {
		return nil
	}
	return func(ctx context.Context) (phaseResult, error) { return f(c, ctx) }
}

// runPhase runs one phase against the apiserver, then the ceiling.
func runPhase(ctx context.Context, name string, api, ceil func(context.Context) (phaseResult, error), into *[2]phaseResult) error {
	var err error
	if into[0], err = api(ctx); err != nil {
		return fmt.Errorf("%s phase against the apiserver: %w", name, err)
	}
	progress(name, "apiserver", into[0].rate())
	if ceil == nil {
		return nil
	}
	if into[1], err = ceil(ctx); err != nil {
		return fmt.Errorf("%s phase against the storage layer: %w", name, err)
	}
	progress(name, "ceiling", into[1].rate())
	return nil
}

// progress tells the terminal how far the run is: a rate, or for the
// watch a p99 in ms.
func progress(phase, side string, figure float64) {
	fmt.Fprintf(os.Stderr, "%s against the %s: %.1f\n", phase, side, figure)
}
