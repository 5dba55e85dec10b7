package server

import (
	"context"
	"errors"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/healthz"
	"github.com/apiserver/apiserver/pkg/metrics"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// GenericAPIServer is one link of the server chain: a set of paths it
// serves, post-start hooks, and the delegate it falls through to.
type GenericAPIServer struct {
	name     string
	config   CompletedConfig
	delegate DelegationTarget
	mux      *PathMux

	hooks        map[string]*postStartHook
	hookOrder    []string
	healthChecks []healthz.HealthChecker
	destroyFuncs []func()
	background   []backgroundTask
	prepared     bool
}

var _ DelegationTarget = (*GenericAPIServer)(nil)

// Name is the server's name, for logs.
func (s *GenericAPIServer) Name() string { return s.name }

// Handle serves exactly path on this server.
func (s *GenericAPIServer) Handle(path string, h http.Handler) { s.mux.Handle(path, h) }

// HandlePrefix serves every path under prefix (ending in "/") on this server.
func (s *GenericAPIServer) HandlePrefix(prefix string, h http.Handler) { s.mux.HandlePrefix(prefix, h) }

// AddHealthChecks adds checks to /healthz, /livez and /readyz.
func (s *GenericAPIServer) AddHealthChecks(checks ...healthz.HealthChecker) {
	s.healthChecks = append(s.healthChecks, checks...)
}

type backgroundTask struct {
	name string
	run  func(ctx context.Context)
}

// AddBackgroundTask registers run to start with the server, in a goroutine
// the server owns. Its context ends when shutdown begins, and the server
// waits for it to return before closing storage.
func (s *GenericAPIServer) AddBackgroundTask(name string, run func(ctx context.Context)) {
	s.background = append(s.background, backgroundTask{name, run})
}

func (s *GenericAPIServer) backgroundTasks() []backgroundTask {
	var tasks []backgroundTask
	if d, ok := s.delegate.(*GenericAPIServer); ok {
		tasks = d.backgroundTasks()
	}
	return append(tasks, s.background...)
}

// AddDestroyFunc registers fn to run at the end of shutdown, after requests
// have drained and before storage closes.
func (s *GenericAPIServer) AddDestroyFunc(fn func()) { s.destroyFuncs = append(s.destroyFuncs, fn) }

// UnprotectedHandler implements DelegationTarget.
func (s *GenericAPIServer) UnprotectedHandler() http.Handler { return s.mux }

// ListedPaths implements DelegationTarget.
func (s *GenericAPIServer) ListedPaths() []string {
	paths := append(s.mux.ListedPaths(), s.delegate.ListedPaths()...)
	slices.Sort(paths)
	return slices.Compact(paths)
}

// HealthChecks implements DelegationTarget.
func (s *GenericAPIServer) HealthChecks() []healthz.HealthChecker {
	return append(slices.Clone(s.healthChecks), s.delegate.HealthChecks()...)
}

// NextDelegate implements DelegationTarget.
func (s *GenericAPIServer) NextDelegate() DelegationTarget { return s.delegate }

func (s *GenericAPIServer) postStartHooks() []*postStartHook {
	hooks := s.delegate.postStartHooks()
	for _, name := range s.hookOrder {
		hooks = append(hooks, s.hooks[name])
	}
	return hooks
}

func (s *GenericAPIServer) prepareRun() {
	s.delegate.prepareRun()
	s.prepared = true
}

func (s *GenericAPIServer) destroy() {
	for _, fn := range s.destroyFuncs {
		fn()
	}
	s.delegate.destroy()
}

// PreparedServer is the top of a chain, with health endpoints installed,
// ready to Run.
type PreparedServer struct {
	*GenericAPIServer
	handler     http.Handler
	signals     lifecycleSignals
	logCheck    *healthz.LogCheck
	readyChecks []healthz.HealthChecker
	hooks       []*postStartHook
}

// PrepareRun prepares the delegates, installs /healthz, /livez and /readyz
// with every check of the chain, and wraps the chain in the handler chain.
// Call it once, on the top of the chain.
func (s *GenericAPIServer) PrepareRun() PreparedServer {
	s.prepareRun()
	p := PreparedServer{
		GenericAPIServer: s,
		signals:          s.config.signals,
		logCheck:         healthz.NewLogCheck(s.config.Health.LogFlushInterval),
		hooks:            s.postStartHooks(),
	}
	checks := []healthz.HealthChecker{healthz.Ping, p.logCheck}
	var readinessOnly []healthz.HealthChecker
	if b := s.config.backend; b != nil {
		checks = append(checks, b.HealthCheck())
		readinessOnly = append(readinessOnly, b.ReadinessCheck())
	}
	checks = append(checks, s.HealthChecks()...)

	hookChecks := make([]healthz.HealthChecker, 0, len(p.hooks))
	for _, h := range p.hooks {
		hookChecks = append(hookChecks, h.healthCheck())
	}
	started := time.Now()
	livezHookChecks := make([]healthz.HealthChecker, 0, len(hookChecks))
	for _, c := range hookChecks {
		livezHookChecks = append(livezHookChecks, graceful(c, started, s.config.Health.LivezGracePeriod))
	}
	shutdown := healthz.NamedCheck("shutdown", func(*http.Request) error {
		if p.signals.ShutdownInitiated.fired() {
			return errors.New("process is shutting down")
		}
		return nil
	})

	p.readyChecks = slices.Concat(checks, readinessOnly, hookChecks, []healthz.HealthChecker{shutdown})
	healthz.Install(s.mux, "healthz", nil, slices.Concat(checks, hookChecks)...)
	healthz.Install(s.mux, "livez", nil, slices.Concat(checks, livezHookChecks)...)
	healthz.Install(s.mux, "readyz", nil, p.readyChecks...)
	s.mux.Handle("/metrics", metrics.Handler())
	if s.config.EnableProfiling {
		installProfiling(s.mux)
	}
	in := s.config.Limits.InFlight
	metrics.RegisterInFlight(in.ReadOnly.Load, in.Mutating.Load)
	if end, ok := chainEnd(s).(*emptyDelegate); ok {
		end.setIndex(s.ListedPaths)
	}
	p.handler = buildHandlerChain(s.mux, s.config)
	return p
}

// graceful makes c pass until grace has passed since start: a post-start
// hook that is slow to finish must not get a live server restarted.
func graceful(c healthz.HealthChecker, start time.Time, grace time.Duration) healthz.HealthChecker {
	if grace <= 0 {
		return c
	}
	return healthz.NamedCheck(c.Name(), func(r *http.Request) error {
		if time.Since(start) < grace {
			return nil
		}
		return c.Check(r)
	})
}

// Handler is the full handler chain, for tests that serve it themselves.
func (s PreparedServer) Handler() http.Handler { return s.handler }

// Run serves until ctx ends or a fatal error occurs, then shuts down in this
// order, logging each step once:
//
//  1. ShutdownInitiated: /readyz fails its "shutdown" check; /livez and
//     /healthz keep passing; post-start hooks are cancelled.
//  2. AfterShutdownDelayDuration: --shutdown-delay-duration has passed
//     (skipped after a fatal error), so load balancers have noticed.
//  3. NotAcceptingNewRequest: the listener closes; HTTP/2 clients get GOAWAY.
//  4. InFlightRequestsDrained: requests in flight have finished, or
//     --request-timeout cut the rest off.
//  5. StorageClosed: destroy functions run, etcd clients close, and the
//     embedded etcd stops.
//
// It returns nil after a shutdown asked for by ctx, or the fatal error.
func (s PreparedServer) Run(ctx context.Context) error {
	done, err := s.NonBlockingRun(ctx)
	if err != nil {
		return err
	}
	return <-done
}

// NonBlockingRun starts serving and the post-start hooks and returns. The
// shutdown sequence of Run follows when ctx ends; its result is sent on
// done once storage has closed.
func (s PreparedServer) NonBlockingRun(ctx context.Context) (done <-chan error, err error) {
	serveCtx, stopServing := context.WithCancel(context.Background())
	stopped, listenerStopped, err := RunServer(serveCtx, s.config.Serving, s.handler, s.config.Lifecycle.RequestTimeout)
	if err != nil {
		stopServing()
		s.closeStorage()
		return nil, err
	}
	klog.InfoS("Serving securely", "server", s.name, "address", s.config.Serving.Listener.Addr().String())

	bgCtx, stopBackground := context.WithCancel(context.Background())
	if lc := s.config.LoopbackClientConfig; lc != nil {
		bgCtx = context.WithValue(bgCtx, loopbackKey{}, lc)
	}
	var wg sync.WaitGroup
	fatal := make(chan error, len(s.hooks)+1)
	wg.Go(func() { s.logCheck.Run(bgCtx) })
	for _, h := range s.hooks {
		wg.Go(func() {
			if err := h.run(bgCtx); err != nil && bgCtx.Err() == nil {
				fatal <- err
			}
		})
	}
	wg.Go(func() { s.notifyWhenReady(bgCtx) })
	for _, task := range s.backgroundTasks() {
		wg.Go(func() {
			klog.V(2).InfoS("Starting background task", "task", task.name)
			task.run(bgCtx)
		})
	}
	if b := s.config.backend; b != nil && b.Config().CompactionInterval > 0 {
		wg.Go(func() { etcd3.RunCompactor(bgCtx, b.Client(), b.Config().CompactionInterval) })
	}
	if b := s.config.backend; b != nil && b.Err() != nil {
		wg.Go(func() {
			select {
			case err := <-b.Err():
				fatal <- err
			case <-bgCtx.Done():
			}
		})
	}

	result := make(chan error, 1)
	go func() {
		var runErr error
		select {
		case <-ctx.Done():
		case runErr = <-fatal:
			klog.ErrorS(runErr, "Shutting down after a fatal error", "server", s.name)
		}
		s.signals.ShutdownInitiated.Signal()
		s.config.Notify("STOPPING=1")
		stopBackground()
		if runErr == nil {
			s.waitShutdownDelay()
		}
		s.signals.AfterShutdownDelayDuration.Signal()
		stopServing()
		<-listenerStopped
		s.signals.NotAcceptingNewRequest.Signal()
		<-stopped
		s.signals.InFlightRequestsDrained.Signal()
		wg.Wait()
		s.destroy()
		s.closeStorage()
		s.signals.StorageClosed.Signal()
		result <- runErr
	}()
	return result, nil
}

func (s PreparedServer) waitShutdownDelay() {
	if d := s.config.Lifecycle.ShutdownDelayDuration; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		<-t.C
	}
}

func (s PreparedServer) closeStorage() {
	if b := s.config.backend; b != nil {
		if err := b.Close(); err != nil {
			klog.ErrorS(err, "Closing storage failed")
		}
	}
}

// notifyWhenReady tells the service manager READY=1 the first time every
// readiness check passes.
func (s PreparedServer) notifyWhenReady(ctx context.Context) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "/readyz", nil)
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if s.ready(req) {
			klog.InfoS("Server is ready", "server", s.name)
			s.config.Notify("READY=1")
			// Start-up leaves garbage (documents, definitions, bootstrap
			// objects) that the runtime would hand back to the system only
			// minutes later: give it back now, once.
			debug.FreeOSMemory()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s PreparedServer) ready(req *http.Request) bool {
	for _, c := range s.readyChecks {
		if c.Check(req) != nil {
			return false
		}
	}
	return true
}
