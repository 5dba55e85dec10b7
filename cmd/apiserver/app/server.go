package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"

	policyadmission "github.com/apiserver/apiserver/pkg/admission/policy"
	"github.com/apiserver/apiserver/pkg/admission/webhook"
	"github.com/apiserver/apiserver/pkg/aggregator"
	"github.com/apiserver/apiserver/pkg/apf"
	"github.com/apiserver/apiserver/pkg/auth/rbac"
	"github.com/apiserver/apiserver/pkg/client/transport"
	"github.com/apiserver/apiserver/pkg/controlplane"
	"github.com/apiserver/apiserver/pkg/crd"
	"github.com/apiserver/apiserver/pkg/endpoints/discovery"
	"github.com/apiserver/apiserver/pkg/endpoints/installer"
	"github.com/apiserver/apiserver/pkg/garbagecollector"
	"github.com/apiserver/apiserver/pkg/namespacedefaults"
	"github.com/apiserver/apiserver/pkg/openapi"
	"github.com/apiserver/apiserver/pkg/options"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/resourcequota"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/version"
)

// Main runs the command with args and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	defer klog.Flush()
	ctx, stop := signalContext(stderr)
	defer stop()
	cmd := NewCommand(ctx, stdout, stderr)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		printErrors(stderr, err)
		return 1
	}
	return 0
}

// printErrors writes one line per error: errors.Join collects every
// validation error, and each names its flag.
func printErrors(w io.Writer, err error) {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			printErrors(w, e)
		}
		return
	}
	fmt.Fprintf(w, "error: %v\n", err)
}

// NewCommand returns the apiserver command; it runs until ctx ends.
func NewCommand(ctx context.Context, stdout, stderr io.Writer) *cobra.Command {
	opts := options.NewOptions()
	var showVersion bool
	cmd := &cobra.Command{
		Use:   "apiserver",
		Short: "A secure, Kubernetes-style API server",
		Long: `apiserver serves a Kubernetes-style API over HTTPS and HTTP/2, keeping its
data in etcd: an embedded member by default, or an external cluster with
--etcd-servers. kubectl and client-go work against it unmodified.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if showVersion {
				fmt.Fprintf(stdout, "apiserver %s\n", version.Binary())
				return nil
			}
			return Run(ctx, opts)
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	sections := opts.Sections()
	for _, s := range sections {
		cmd.Flags().AddFlagSet(s.Flags)
	}
	cmd.Flags().BoolVar(&showVersion, "version", false, "Print the version and exit.")
	cmd.Flags().BoolP("help", "h", false, "Show this help.")
	setHelp(cmd, sections)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w (see apiserver --help)", err)
	})
	return cmd
}

// Run validates opts, builds the server chain and serves until ctx ends.
func Run(ctx context.Context, opts *options.Options) error {
	opts.Complete()
	if errs := opts.Validate(); len(errs) > 0 {
		return errors.Join(errs...)
	}
	cfg := server.NewConfig()
	if err := opts.ApplyTo(cfg); err != nil {
		return err
	}
	klog.InfoS("Starting apiserver", "version", version.Binary(), "dataDir", cfg.DataDir)
	top, err := CreateServerChain(ctx, cfg.Complete())
	if err != nil {
		return err
	}
	return top.PrepareRun().Run(ctx)
}

// CreateServerChain opens storage and builds the chain of servers, front to
// back: the aggregator, the core API server, then the API extensions server, then the end
// of the chain, which lists the served paths for any path no one serves.
// Both API servers publish their groups in one discovery registry, OpenAPI
// service, catalog and scheme, so /apis and /openapi list them all and a
// namespace's deletion empties custom resources too.
func CreateServerChain(ctx context.Context, c server.CompletedConfig) (*server.GenericAPIServer, error) {
	backend, err := c.OpenStorage(ctx)
	if err != nil {
		return nil, err
	}
	catalog := rest.NewCatalog()
	webhooks, policies := webhook.NewSource(), policyadmission.NewSource()
	// Webhooks (admission, conversion) behind a Service are reached at
	// one of its endpoints.
	resolve, err := controlplane.ServiceResolver(backend)
	if err != nil {
		return nil, err
	}
	admit, err := controlplane.NewAdmission(backend, c.Authorization, c.DisabledAdmissionPlugins, catalog, webhooks, policies, resolve)
	if err != nil {
		return nil, err
	}
	ic := installer.Config{
		Discovery: discovery.NewRegistry(),
		OpenAPI:   openapi.NewService(openapi.WithInfo(openapi.Info{Title: "Kubernetes", Version: c.Version.GitVersion})),
		Catalog:   catalog,
		Scheme:    runtime.NewScheme(),
		Stopping:  c.Stopping(),
		Timeout:   c.Lifecycle.RequestTimeout,
		// A watch lasts between one and two of these when the client
		// does not say.
		MinRequestTimeout: c.Lifecycle.MinRequestTimeout,
	}
	extensions, err := c.New("apiextensions-apiserver", server.NewEmptyDelegate())
	if err != nil {
		return nil, err
	}
	if _, err := crd.Install(extensions, c, ic, admit, resolve); err != nil {
		return nil, fmt.Errorf("installing the API extensions: %w", err)
	}
	top, err := c.New("apiserver", extensions)
	if err != nil {
		return nil, err
	}
	top.Handle("/version", versionHandler())
	if _, err = controlplane.InstallCore(top, c, ic, admit); err != nil {
		return nil, fmt.Errorf("installing the core API: %w", err)
	}
	// The bootstrap policy and the aggregated roles are kept whatever the
	// authorization mode, so that a cluster can be prepared for RBAC.
	// /readyz fails until the policy exists and, in RBAC mode, until the
	// authorizer has read it: before, it would refuse everyone.
	if err := top.AddPostStartHook("rbac/bootstrap-roles", func(ctx context.Context) error {
		// Replicas all try; what exists is left as it is. Until storage
		// answers, try again every second.
		return retryEverySecond(ctx, "Creating the RBAC bootstrap policy failed; retrying", func() error { return rbac.Bootstrap(ctx, ic.Catalog) })
	}); err != nil {
		return nil, err
	}
	top.AddBackgroundTask("admission-webhook-configurations", func(ctx context.Context) { webhooks.Run(ctx, catalog) })
	top.AddBackgroundTask("validating-admission-policies", func(ctx context.Context) { policies.Run(ctx, catalog) })
	top.AddBackgroundTask("clusterrole-aggregation", func(ctx context.Context) { rbac.Aggregate(ctx, ic.Catalog) })
	if c.RBAC != nil {
		top.AddBackgroundTask("rbac-authorizer", func(ctx context.Context) { c.RBAC.Run(ctx, ic.Catalog) })
		if err := top.AddPostStartHook("rbac/authorizer-synced", func(ctx context.Context) error {
			return c.RBAC.WaitForSync(ctx)
		}); err != nil {
			return nil, err
		}
	}
	// The priority-and-fairness configuration does not hold /readyz up:
	// nothing here waits on it, and envtest's start stays short.
	top.AddBackgroundTask("apf-bootstrap", func(ctx context.Context) {
		retryEverySecond(ctx, "Creating the flow control bootstrap configuration failed; retrying", func() error { return apf.Ensure(ctx, ic.Catalog) })
	})
	top.AddBackgroundTask("flowschema-status", func(ctx context.Context) { apf.Run(ctx, ic.Catalog) })
	top.AddBackgroundTask("resourcequota", func(ctx context.Context) { resourcequota.Run(ctx, ic.Catalog) })
	top.AddBackgroundTask("namespace-defaults", func(ctx context.Context) { namespacedefaults.Run(ctx, ic.Catalog, c.ServiceAccounts.RootCA) })
	top.AddBackgroundTask("garbage-collector", garbagecollector.New(ic.Catalog).Run)
	top.AddBackgroundTask("storage-object-counter", countObjects(ic.Catalog))
	return installAggregator(c, ic, top)
}

// installAggregator puts the aggregation layer in front of the chain: it
// proxies the group versions of APIServices with a Service, keeps their
// availability and the local APIServices, and publishes how aggregated
// API servers authenticate this server's requests.
func installAggregator(c server.CompletedConfig, ic installer.Config, top *server.GenericAPIServer) (*server.GenericAPIServer, error) {
	ac := aggregator.Config{
		Catalog: ic.Catalog, Discovery: ic.Discovery, OpenAPI: ic.OpenAPI,
		ProxyClientCertFile: c.Aggregation.ProxyClientCertFile, ProxyClientKeyFile: c.Aggregation.ProxyClientKeyFile,
	}
	info := aggregator.AuthenticationInfo{ClientCA: c.Authentication.ClientCAPEM}
	if rh := c.Authentication.RequestHeader; rh != nil {
		first := func(v []string) string {
			if len(v) == 0 {
				return ""
			}
			return v[0]
		}
		ac.Headers = transport.RequestHeader{
			UsernameHeader: first(rh.Config.UsernameHeaders), GroupHeader: first(rh.Config.GroupHeaders), ExtraHeaderPrefix: first(rh.Config.ExtraHeaderPrefixes),
		}
		info.RequestHeader, info.RequestHeaderCA = &rh.Config, rh.CAPEM
	}
	agg := aggregator.New(ac)
	front, err := c.New("kube-aggregator", top)
	if err != nil {
		return nil, err
	}
	front.HandlePrefix("/apis/", agg.Handler(top.UnprotectedHandler()))
	front.AddBackgroundTask("apiservice-availability", agg.Run)
	front.AddBackgroundTask("autoregister", agg.RunLocal)
	front.AddBackgroundTask("cluster-authentication-info", func(ctx context.Context) { aggregator.PublishAuthentication(ctx, info) })
	return front, nil
}

// retryEverySecond calls fn until it succeeds or ctx ends, logging each
// failure with msg.
func retryEverySecond(ctx context.Context, msg string, fn func() error) error {
	for {
		err := fn()
		if err == nil {
			return nil
		}
		klog.FromContext(ctx).Error(err, msg)
		select {
		case <-ctx.Done():
			return nil // shutting down: nothing is waiting any more
		case <-time.After(time.Second):
		}
	}
}

// versionHandler serves the build version in kube-apiserver's format.
func versionHandler() http.Handler {
	body, _ := json.MarshalIndent(version.Get(), "", "  ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body) //nolint:errcheck // the client went away; nothing to do
	})
}

// signalContext is cancelled at the first SIGTERM or SIGINT, which starts
// the graceful shutdown. A second signal exits at once with code 1, for an
// operator who will not wait.
func signalContext(stderr io.Writer) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			klog.InfoS("Received signal, shutting down gracefully; send it again to exit at once", "signal", sig.String())
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-ch:
			fmt.Fprintf(stderr, "error: second %s received, exiting without draining\n", sig)
			klog.Flush()
			os.Exit(1)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}
