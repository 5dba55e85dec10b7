// Command envtest measures what an operator's test suite waits for when
// controller-runtime's envtest runs this apiserver as its kube-apiserver,
// side by side with the real kube-apiserver when one is given: the control
// plane's start (etcd and the apiserver, to envtest's ready), the install
// of one CRD until it is served, the first custom object's create, the
// stop, and the apiserver's RSS when ready. Each round runs every server
// once, in turn, on Debian's etcd; the report gives the medians.
//
//	go run ./hack/bench/envtest -kube-apiserver "$(../shared/reference/kube-apiserver.sh build)"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
)

func main() { os.Exit(harness.ExitCode(os.Stderr, run(os.Args[1:], os.Stdout))) }

type options struct {
	binary, kube, etcd string
	rounds             int
}

// sample is one envtest run.
type sample struct {
	start, crd, first, stop time.Duration
	// own is the apiserver's share of start: its process's age when
	// envtest reported the control plane ready (10 ms resolution); the
	// rest is etcd's start and envtest's polling.
	own time.Duration
	rss int64
}

const crdYAML = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.bench.example.com}
spec:
  group: bench.example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
`

func run(args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("envtest", flag.ContinueOnError)
	fs.StringVar(&o.binary, "binary", "", "The apiserver binary to measure. Empty builds ./cmd/apiserver.")
	fs.StringVar(&o.kube, "kube-apiserver", "", "A kube-apiserver binary to measure side by side (../shared/reference/kube-apiserver.sh build prints one). Empty measures this apiserver only.")
	fs.StringVar(&o.etcd, "etcd", "etcd", "The etcd binary envtest starts (Debian's etcd-server).")
	fs.IntVar(&o.rounds, "rounds", 10, "Rounds; each runs every server once.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.rounds < 1 {
		return fmt.Errorf("-rounds %d must be positive", o.rounds)
	}
	etcd, err := exec.LookPath(o.etcd)
	if err != nil {
		return fmt.Errorf("envtest needs etcd: install Debian's etcd-server (apt-get install etcd-server): %w", err)
	}
	// envtest's own logging and the apiservers' output are not the report.
	logf.SetLogger(klog.NewKlogr().V(10))
	tmp, cleanup, err := harness.TempDir("bench-envtest-", false, out)
	if err != nil {
		return err
	}
	defer cleanup()
	ctx := context.Background()
	if o.binary == "" {
		o.binary = filepath.Join(tmp, "apiserver")
		if err := harness.GoBuild(ctx, o.binary, "github.com/apiserver/apiserver/cmd/apiserver"); err != nil {
			return err
		}
	}
	crdDir := filepath.Join(tmp, "crds")
	if err := os.MkdirAll(crdDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(crdDir, "widgets.yaml"), []byte(crdYAML), 0o600); err != nil {
		return err
	}
	servers := []struct{ name, bin string }{{"this apiserver", o.binary}}
	if o.kube != "" {
		servers = append(servers, struct{ name, bin string }{"kube-apiserver", o.kube})
	}
	harness.PrintMachine(out, o.binary, "benchmark built with "+runtime.Version())
	results := make([][]sample, len(servers))
	for round := range o.rounds {
		for i, s := range servers {
			assets := filepath.Join(tmp, fmt.Sprintf("assets-%d-%d", i, round))
			r, err := once(ctx, assets, s.bin, etcd, crdDir)
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", s.name, round+1, err)
			}
			fmt.Fprintf(out, "round %d, %s: start %s (the apiserver %s), CRD %s, first object %s, stop %s, RSS %d MiB\n",
				round+1, s.name, harness.Ms(r.start), harness.Ms(r.own), harness.Ms(r.crd), harness.Ms(r.first), harness.Ms(r.stop), r.rss>>20)
			results[i] = append(results[i], r)
		}
	}
	fmt.Fprintf(out, "\nenvtest, medians of %d rounds (Debian etcd %s)\n", o.rounds, etcdVersion(etcd))
	tw := harness.NewTable(out, "server", "start", "of which the apiserver", "CRD served", "first object", "stop", "RSS at ready", "targets (this apiserver)")
	for i, s := range servers {
		m := medians(results[i])
		target := "start ≤ 300 ms, first object ≤ 50 ms, stop ≤ 200 ms, RSS ≤ 80 MB"
		if i > 0 {
			target = ""
		}
		tw.Row(s.name, harness.Ms(m.start), harness.Ms(m.own), harness.Ms(m.crd), harness.Ms(m.first), harness.Ms(m.stop), fmt.Sprintf("%d MiB", m.rss>>20), target)
	}
	tw.Flush()
	return nil
}

// once runs envtest with bin as its kube-apiserver.
func once(ctx context.Context, assets, bin, etcd, crdDir string) (sample, error) {
	var s sample
	if err := os.MkdirAll(assets, 0o700); err != nil {
		return s, err
	}
	for name, target := range map[string]string{"kube-apiserver": bin, "etcd": etcd} {
		if err := os.Symlink(target, filepath.Join(assets, name)); err != nil {
			return s, err
		}
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	began := time.Now()
	cfg, err := env.Start()
	if err != nil {
		return s, fmt.Errorf("envtest start: %w", err)
	}
	s.start = time.Since(began)
	defer env.Stop() //nolint:errcheck // stopped below; this is for the error paths
	if s.rss, s.own, err = processOf(filepath.Join(assets, "kube-apiserver")); err != nil {
		return s, err
	}
	began = time.Now()
	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{crdDir}, ErrorIfPathMissing: true}); err != nil {
		return s, fmt.Errorf("installing the CRD: %w", err)
	}
	s.crd = time.Since(began)
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return s, err
	}
	w := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"size": int64(1)}}}
	w.SetGroupVersionKind(schema.GroupVersionKind{Group: "bench.example.com", Version: "v1", Kind: "Widget"})
	w.SetNamespace(metav1.NamespaceDefault)
	w.SetName("first")
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	began = time.Now()
	if err := c.Create(cctx, w); err != nil {
		return s, fmt.Errorf("the first custom object: %w", err)
	}
	s.first = time.Since(began)
	began = time.Now()
	if err := env.Stop(); err != nil {
		return s, fmt.Errorf("envtest stop: %w", err)
	}
	s.stop = time.Since(began)
	return s, nil
}

// processOf finds the process running the binary at path (envtest started
// it through the symlink) and reads its resident set and its age.
func processOf(path string) (int64, time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.HasPrefix(string(cmdline), path+"\x00") {
			continue
		}
		m, err := harness.MemoryOf(pid)
		if err != nil {
			return 0, 0, err
		}
		age, err := ageOf(pid)
		return m.RSS, age, err
	}
	return 0, 0, errors.New("the apiserver envtest started was not found in /proc")
}

// ageOf returns how long ago process pid started, from its start time in
// clock ticks since boot (/proc/PID/stat field 22; Linux's USER_HZ is 100)
// and the system's uptime.
func ageOf(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count after its ')'.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(up), " ")
	uptime, err := strconv.ParseFloat(first, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/uptime: %w", err)
	}
	return time.Duration(uptime*float64(time.Second)) - time.Duration(ticks)*10*time.Millisecond, nil
}

func medians(ss []sample) sample {
	med := func(get func(sample) time.Duration) time.Duration {
		v := make([]time.Duration, len(ss))
		for i, s := range ss {
			v[i] = get(s)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	rss := make([]int64, len(ss))
	for i, s := range ss {
		rss[i] = s.rss
	}
	slices.Sort(rss)
	return sample{
		start: med(func(s sample) time.Duration { return s.start }),
		own:   med(func(s sample) time.Duration { return s.own }),
		crd:   med(func(s sample) time.Duration { return s.crd }),
		first: med(func(s sample) time.Duration { return s.first }),
		stop:  med(func(s sample) time.Duration { return s.stop }),
		rss:   rss[len(rss)/2],
	}
}

func etcdVersion(etcd string) string {
	out, err := exec.Command(etcd, "--version").Output()
	if err != nil {
		return "?"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimPrefix(first, "etcd Version: ")
}
