package healthz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/klog/v2"
)

// HealthChecker is one named check.
type HealthChecker interface {
	// Name is the check's name in output and in its own path.
	Name() string
	// Check returns nil when healthy. It must return promptly: a check that
	// talks to something remote bounds itself with its own timeout.
	Check(r *http.Request) error
}

type namedCheck struct {
	name  string
	check func(r *http.Request) error
}

var _ HealthChecker = namedCheck{}

func (c namedCheck) Name() string                { return c.name }
func (c namedCheck) Check(r *http.Request) error { return c.check(r) }

// NamedCheck turns a function into a HealthChecker.
func NamedCheck(name string, check func(r *http.Request) error) HealthChecker {
	return namedCheck{name: name, check: check}
}

// Ping always passes: it shows the server answers at all.
var Ping HealthChecker = NamedCheck("ping", func(*http.Request) error { return nil })

// LogCheck fails when flushing the log has blocked for too long, for
// example on a full disk or a stuck pipe to a log collector: a server that
// cannot log is not one to trust.
type LogCheck struct {
	interval time.Duration
	// lastFlush is the UnixNano time the last flush finished.
	lastFlush atomic.Int64
}

var _ HealthChecker = (*LogCheck)(nil)

// NewLogCheck returns a log check that flushes every interval and fails once
// two intervals pass without a flush finishing.
func NewLogCheck(interval time.Duration) *LogCheck {
	c := &LogCheck{interval: interval}
	c.lastFlush.Store(time.Now().UnixNano())
	return c
}

// Name implements HealthChecker.
func (c *LogCheck) Name() string { return "log" }

// Check implements HealthChecker.
func (c *LogCheck) Check(*http.Request) error {
	if since := time.Since(time.Unix(0, c.lastFlush.Load())); since > 2*c.interval {
		return fmt.Errorf("logging blocked: last flush finished %s ago", since.Round(time.Second))
	}
	return nil
}

// Run flushes the log every interval until ctx ends.
func (c *LogCheck) Run(ctx context.Context) {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			klog.Flush()
			c.lastFlush.Store(time.Now().UnixNano())
		}
	}
}

// Mux is where Install registers handlers.
type Mux interface {
	Handle(path string, h http.Handler)
}

// Install serves checks at /<endpoint> and each one at /<endpoint>/<name>.
// firstHealthy, if not nil, runs once, the first time every check passes.
func Install(mux Mux, endpoint string, firstHealthy func(), checks ...HealthChecker) {
	mux.Handle("/"+endpoint, rootHandler(endpoint, firstHealthy, checks))
	for _, c := range checks {
		mux.Handle("/"+endpoint+"/"+c.Name(), checkHandler(c))
	}
}

// setHeaders sets what kube-apiserver sends with every health answer. The
// answers are about this moment, so no cache may keep them.
func setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache, private")
}

func rootHandler(endpoint string, firstHealthy func(), checks []HealthChecker) http.HandlerFunc {
	var once sync.Once
	return func(w http.ResponseWriter, r *http.Request) {
		query := r.URL.Query()
		_, verbose := query["verbose"]
		excluded := excludedChecks(query)
		// Each check runs once; its output is only built when someone will
		// read it, as probes ask many times a second for a bare "ok".
		var errBuf [16]error
		var skipBuf [16]bool
		errs, skipped := errBuf[:0], skipBuf[:0]
		failed := false
		for _, c := range checks {
			if i := slices.Index(excluded, c.Name()); i >= 0 {
				excluded = slices.Delete(excluded, i, i+1)
				errs = append(errs, nil)
				skipped = append(skipped, true)
				continue
			}
			err := c.Check(r)
			errs = append(errs, err)
			skipped = append(skipped, false)
			failed = failed || err != nil
		}
		setHeaders(w)
		if !failed && firstHealthy != nil {
			once.Do(firstHealthy)
		}
		if !failed && !verbose {
			fmt.Fprint(w, "ok")
			return
		}
		var out, logOut bytes.Buffer
		var failedNames []string
		for i, c := range checks {
			switch name := c.Name(); {
			case skipped[i]:
				fmt.Fprintf(&out, "[+]%s excluded: ok\n", name)
			case errs[i] != nil:
				fmt.Fprintf(&out, "[-]%s failed: reason withheld\n", name)
				fmt.Fprintf(&logOut, "[-]%s failed: %v\n", name, errs[i])
				failedNames = append(failedNames, name)
			default:
				fmt.Fprintf(&out, "[+]%s ok\n", name)
			}
		}
		if len(excluded) > 0 {
			fmt.Fprintf(&out, "warn: some health checks cannot be excluded: no matches for %s\n", quoted(excluded))
		}
		if failed {
			klog.V(2).InfoS("Health check failed", "endpoint", endpoint, "checks", failedNames, "output", logOut.String())
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "%s%s check failed\n", out.String(), endpoint)
			return
		}
		out.WriteTo(w) //nolint:errcheck // the client went away; nothing to do
		fmt.Fprintf(w, "%s check passed\n", endpoint)
	}
}

func checkHandler(c HealthChecker) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w)
		if err := c.Check(r); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "internal server error: %v\n", err)
			return
		}
		fmt.Fprint(w, "ok")
	}
}

// excludedChecks returns the distinct names given in ?exclude=, sorted so the
// warning about unknown ones reads the same whatever their order.
func excludedChecks(query url.Values) []string {
	values := query["exclude"]
	if len(values) == 0 {
		return nil
	}
	var names []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			names = append(names, v)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ",")
}

// ErrNotFinished is the error of a post-start hook check whose hook has not
// completed yet.
var ErrNotFinished = errors.New("not finished")
