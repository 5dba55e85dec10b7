// Command gc measures the garbage collector: how long after its owner is
// deleted the dependents of one owner are gone, for each propagation
// policy that deletes them (Background, Foreground).
//
//	go run ./hack/bench/gc [-dependents 1000] [-rounds 3] [-binary path]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
)

type options struct {
	dependents, rounds, parallel int
	binary                       string
	keep                         bool
}

func main() {
	os.Exit(harness.ExitCode(os.Stderr, run(context.Background(), os.Args[1:], os.Stdout)))
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("gc", flag.ContinueOnError)
	fs.IntVar(&o.dependents, "dependents", 1000, "ConfigMaps owned by the one owner of each round.")
	fs.IntVar(&o.rounds, "rounds", 3, "Rounds of each policy, alternating.")
	fs.IntVar(&o.parallel, "parallel", 16, "Concurrent creates when setting up a round.")
	fs.StringVar(&o.binary, "binary", "", "apiserver to measure; empty builds ./cmd/apiserver.")
	fs.BoolVar(&o.keep, "keep", false, "Keep the temporary directory (binaries, data, logs).")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var errs []error
	if o.dependents < 1 || o.rounds < 1 || o.parallel < 1 {
		errs = append(errs, errors.New("-dependents, -rounds and -parallel must be at least 1"))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	tmp, cleanup, err := harness.TempDir("bench-gc-", o.keep, out)
	if err != nil {
		return err
	}
	defer cleanup()
	bin := o.binary
	if bin == "" {
		bin = filepath.Join(tmp, "apiserver")
		if err := harness.GoBuild(ctx, bin, "github.com/apiserver/apiserver/cmd/apiserver"); err != nil {
			return err
		}
	}
	dataDir := filepath.Join(tmp, "data")
	p, _, err := harness.StartAPIServer(ctx, harness.APIServer{Bin: bin, DataDir: dataDir, LogFile: dataDir + ".log", Poll: 20 * time.Millisecond})
	if err != nil {
		return err
	}
	defer p.Stop()
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dataDir, "admin.kubeconfig"))
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = -1, 0 // no client-side throttling
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	harness.PrintMachine(out, bin)
	results := map[metav1.DeletionPropagation][]time.Duration{}
	policies := []metav1.DeletionPropagation{metav1.DeletePropagationBackground, metav1.DeletePropagationForeground}
	for round := range o.rounds {
		for _, policy := range policies {
			took, err := measure(ctx, client, o, fmt.Sprintf("gc-%d-%s", round, strings.ToLower(string(policy))), policy)
			if err != nil {
				return fmt.Errorf("%s round %d: %w", policy, round, err)
			}
			fmt.Fprintf(os.Stderr, "%s: %d dependents collected in %s\n", policy, o.dependents, took.Round(time.Millisecond))
			results[policy] = append(results[policy], took)
		}
	}
	fmt.Fprintf(out, "\nOne owner ConfigMap and %d dependent ConfigMaps (half with blockOwnerDeletion); time from the owner's DELETE to the last dependent gone (and, Foreground, the owner)\n", o.dependents)
	tab := harness.NewTable(out, "policy", "rounds", "median", "max", "target", "verdict")
	for _, policy := range policies {
		d := slices.Clone(results[policy])
		slices.Sort(d)
		median := d[len(d)/2]
		tab.Row(string(policy), fmt.Sprint(len(d)), harness.Ms(median), harness.Ms(d[len(d)-1]), "5000 ms", harness.Verdict(d[len(d)-1] < 5*time.Second))
	}
	tab.Flush()
	return nil
}

// measure creates an owner and its dependents in namespace ns, deletes the
// owner with policy, and returns how long until they are all gone.
func measure(ctx context.Context, client kubernetes.Interface, o options, ns string, policy metav1.DeletionPropagation) (time.Duration, error) {
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return 0, err
	}
	cms := client.CoreV1().ConfigMaps(ns)
	owner, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
	if err != nil {
		return 0, err
	}
	work := make(chan int)
	errc := make(chan error, o.parallel)
	var wg sync.WaitGroup
	for range o.parallel {
		wg.Go(func() {
			for i := range work {
				ref := metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID, BlockOwnerDeletion: ptr.To(i%2 == 0)}
				_, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
					Name: fmt.Sprintf("dep-%05d", i), OwnerReferences: []metav1.OwnerReference{ref},
				}}, metav1.CreateOptions{})
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	for i := range o.dependents {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errc:
		return 0, err
	default:
	}
	start := time.Now()
	if err := cms.Delete(ctx, owner.Name, metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil {
		return 0, err
	}
	deadline := start.Add(time.Minute)
	for {
		list, err := cms.List(ctx, metav1.ListOptions{})
		if err != nil {
			return 0, err
		}
		if len(list.Items) == 0 {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%d objects left after a minute", len(list.Items))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
