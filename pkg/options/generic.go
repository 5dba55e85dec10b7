package options

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/apiserver/apiserver/pkg/server"
)

// ServerRunOptions are the generic flags: where data lives and how the
// server shuts down.
type ServerRunOptions struct {
	DataDir                     string
	ShutdownDelayDuration       time.Duration
	RequestTimeout              time.Duration
	LivezGracePeriod            time.Duration
	MaxRequestsInFlight         int
	MaxMutatingRequestsInFlight int
	EnableProfiling             bool
	MinRequestTimeout           time.Duration
}

// NewServerRunOptions returns kube-apiserver's defaults, and .apiserver in
// the working directory for data.
func NewServerRunOptions() *ServerRunOptions {
	return &ServerRunOptions{
		DataDir:                     ".apiserver",
		RequestTimeout:              time.Minute,
		MaxRequestsInFlight:         400,
		MaxMutatingRequestsInFlight: 200,
		EnableProfiling:             true,
		MinRequestTimeout:           30 * time.Minute,
	}
}

// AddFlags registers the flags.
func (o *ServerRunOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir,
		"The directory for the embedded etcd's data, generated certificates and the admin kubeconfig. Created with mode 0700.")
	fs.DurationVar(&o.ShutdownDelayDuration, "shutdown-delay-duration", o.ShutdownDelayDuration,
		"Time to keep serving after a termination signal, with /readyz failing, so load balancers stop sending requests before the listener closes.")
	fs.DurationVar(&o.RequestTimeout, "request-timeout", o.RequestTimeout,
		"The longest a request may take; also how long shutdown waits for requests in flight.")
	fs.DurationVar(&o.LivezGracePeriod, "livez-grace-period", o.LivezGracePeriod,
		"How long after start /livez passes post-start hooks that have not finished.")
	fs.IntVar(&o.MaxRequestsInFlight, "max-requests-inflight", o.MaxRequestsInFlight,
		"The most read-only requests served at once; beyond it requests get 429 with Retry-After. Watches, probes and system:masters are not counted. 0 means no limit.")
	fs.IntVar(&o.MaxMutatingRequestsInFlight, "max-mutating-requests-inflight", o.MaxMutatingRequestsInFlight,
		"The most mutating requests (create, update, patch, delete) served at once, as --max-requests-inflight. 0 means no limit.")
	fs.DurationVar(&o.MinRequestTimeout, "min-request-timeout", o.MinRequestTimeout,
		"The shortest a watch without timeoutSeconds lasts: it ends at a random time between this and twice this, so that clients do not all reconnect at once.")
	fs.BoolVar(&o.EnableProfiling, "profiling", o.EnableProfiling,
		"Serve Go's runtime profiles at /debug/pprof/ (to authenticated users).")
}

// Validate reports every invalid flag value.
func (o *ServerRunOptions) Validate() []error {
	if o == nil {
		return nil
	}
	var errs []error
	if o.DataDir == "" {
		errs = append(errs, fmt.Errorf("--data-dir must not be empty"))
	} else if fi, err := os.Stat(o.DataDir); err == nil && !fi.IsDir() {
		errs = append(errs, fmt.Errorf("--data-dir %s is not a directory", o.DataDir))
	}
	if o.ShutdownDelayDuration < 0 {
		errs = append(errs, fmt.Errorf("--shutdown-delay-duration %s must not be negative", o.ShutdownDelayDuration))
	}
	if o.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--request-timeout %s must be greater than 0", o.RequestTimeout))
	}
	if o.LivezGracePeriod < 0 {
		errs = append(errs, fmt.Errorf("--livez-grace-period %s must not be negative", o.LivezGracePeriod))
	}
	if o.MinRequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--min-request-timeout %s must be greater than 0", o.MinRequestTimeout))
	}
	if o.MaxRequestsInFlight < 0 {
		errs = append(errs, fmt.Errorf("--max-requests-inflight %d must not be negative", o.MaxRequestsInFlight))
	}
	if o.MaxMutatingRequestsInFlight < 0 {
		errs = append(errs, fmt.Errorf("--max-mutating-requests-inflight %d must not be negative", o.MaxMutatingRequestsInFlight))
	}
	return errs
}

// ApplyTo fills the data directory and lifecycle settings. The directory
// is created (0700: it holds keys and etcd data) by the first file written
// into it, so that a server that writes nothing there (envtest's, with
// external etcd and every certificate given) leaves no empty .apiserver
// behind in its working directory.
func (o *ServerRunOptions) ApplyTo(c *server.Config) error {
	c.DataDir = absolute(o.DataDir)
	c.Lifecycle.ShutdownDelayDuration = o.ShutdownDelayDuration
	c.Lifecycle.RequestTimeout = o.RequestTimeout
	c.Health.LivezGracePeriod = o.LivezGracePeriod
	c.Limits.MaxRequestsInFlight = o.MaxRequestsInFlight
	c.Limits.MaxMutatingRequestsInFlight = o.MaxMutatingRequestsInFlight
	c.EnableProfiling = o.EnableProfiling
	c.Lifecycle.MinRequestTimeout = o.MinRequestTimeout
	return nil
}
