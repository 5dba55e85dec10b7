package server

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	apimachineryversion "k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"

	"github.com/apiserver/apiserver/pkg/audit"
	"github.com/apiserver/apiserver/pkg/auth/authn"
	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/rbac"
	"github.com/apiserver/apiserver/pkg/auth/serviceaccount"
	"github.com/apiserver/apiserver/pkg/embeddedetcd"
	"github.com/apiserver/apiserver/pkg/endpoints/filters"
	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/version"
)

// Config is everything a chain of servers needs. Options fill it with
// ApplyTo; Complete fills what is derived or left at its default.
type Config struct {
	// Serving says where and how to serve TLS.
	Serving *SecureServingInfo
	// Storage says how to reach etcd.
	Storage storage.Config
	// EmbeddedEtcd, when not nil, runs etcd in-process and Storage is
	// pointed at it.
	EmbeddedEtcd *embeddedetcd.Config
	// DataDir holds the embedded etcd data, generated certificates and the
	// admin kubeconfig.
	DataDir string
	// Authentication says how requests prove who sent them.
	Authentication AuthenticationInfo
	// Authorization decides what an authenticated user may do; nil means
	// every authenticated user may do everything.
	Authorization authz.Authorizer
	// RBAC, when set, is the RBAC authorizer among Authorization: the
	// server follows the RBAC objects into it and creates the bootstrap
	// policy.
	RBAC *rbac.Authorizer
	// Audit records the requests its policy picks; a nil policy records
	// nothing.
	Audit AuditConfig
	// ServiceAccounts issues and verifies service account tokens.
	ServiceAccounts ServiceAccountConfig
	// Services says what Services allocate from and where the kubernetes
	// Service points.
	Services ServicesConfig
	// Kubelet is how a Pod's log, exec, attach and portforward reach its
	// node's kubelet.
	Kubelet KubeletConfig
	// LoopbackClientConfig is the server's own client (SetupLoopback),
	// handed to post-start hooks and background tasks.
	LoopbackClientConfig *rest.Config
	// Aggregation is how APIServices' backends are reached.
	Aggregation AggregationConfig
	// DisabledAdmissionPlugins are the built-in admission plugins, by
	// kube-apiserver's names, that do not run.
	DisabledAdmissionPlugins []string
	// Lifecycle times the shutdown sequence.
	Lifecycle LifecycleConfig
	// Health tunes the health endpoints.
	Health HealthConfig
	// Limits bound what the server takes on at once.
	Limits LimitsConfig
	// EnableProfiling serves Go's profiles at /debug/pprof (to
	// authenticated users only).
	EnableProfiling bool
	// Version is served at /version.
	Version *apimachineryversion.Info
	// Notify tells the service manager about state changes ("READY=1",
	// "STOPPING=1"). Nil means systemd's sd_notify, which does nothing when
	// not run by systemd.
	Notify func(state string)
}

// AuthenticationInfo configures the authentication filter.
type AuthenticationInfo struct {
	// Authenticator finds the user of a request by other means than a
	// bearer token (client certificates).
	Authenticator authn.Union
	// Tokens authenticate bearer tokens, of requests and of TokenReviews.
	Tokens authn.TokenUnion
	// Anonymous says which requests without credentials are served as
	// system:anonymous.
	Anonymous filters.AnonymousAccess
	// ClientCA, when set, makes the TLS handshake ask for client
	// certificates; the authenticator verifies them.
	ClientCA *x509.CertPool
	// ClientCAPEM is the client CA bundle (--client-ca-file or the
	// generated CA), published for aggregated API servers.
	ClientCAPEM []byte
	// RequestHeader, when set, recognizes front proxies.
	RequestHeader *RequestHeaderInfo
}

// RequestHeaderInfo is the front proxy configuration and its CA bundle,
// published for aggregated API servers.
type RequestHeaderInfo struct {
	Config authn.RequestHeaderConfig
	CAPEM  []byte
}

// AggregationConfig is how the server reaches aggregated API servers.
type AggregationConfig struct {
	// ProxyClientCertFile and ProxyClientKeyFile are the client
	// certificate presented to them; none when empty.
	ProxyClientCertFile, ProxyClientKeyFile string
}

// AuditConfig is the audit policy and where its events go.
type AuditConfig struct {
	Policy *audit.Policy
	Sink   audit.Sink
}

// ServicesConfig is what Services allocate from, and what the kubernetes
// Service advertises.
type ServicesConfig struct {
	// ClusterIPRanges are the cluster IP ranges, the primary IP family's
	// first; empty means kube-apiserver's default, 10.0.0.0/24.
	ClusterIPRanges []netip.Prefix
	// NodePortBase and NodePortSize are the node port range; a zero size
	// means kube-apiserver's default, 30000-32767.
	NodePortBase, NodePortSize int
	// AdvertiseAddress is the kubernetes Service's endpoint; nil, loopback
	// or unspecified publishes none.
	AdvertiseAddress net.IP
}

// KubeletConfig is how the server connects to kubelets.
type KubeletConfig struct {
	// CertFile and KeyFile are the client certificate presented to
	// kubelets; none when empty.
	CertFile, KeyFile string
	// CAFile verifies kubelets' serving certificates; empty verifies
	// nothing, as kube-apiserver by default.
	CAFile string
	// PreferredAddressTypes orders a Node's address types; empty is
	// kube-apiserver's default.
	PreferredAddressTypes []string
}

// ServiceAccountConfig is what the token subresource and the token
// authenticator share.
type ServiceAccountConfig struct {
	// Issuer signs tokens; nil serves no token subresource.
	Issuer *serviceaccount.Issuer
	// Authenticator verifies tokens; the core API gives it the accounts
	// and secrets to look tokens' objects up in (SetLookup).
	Authenticator *serviceaccount.Authenticator
	// Audiences are the API's: a token must name one of them, and a
	// token request that names none gets them.
	Audiences []string
	// MaxLifetime caps the lifetime of issued tokens; 0 caps nothing.
	MaxLifetime time.Duration
	// Discovery, when set, serves the OIDC documents.
	Discovery *serviceaccount.Discovery
	// RootCA is the bundle published to every namespace as the
	// kube-root-ca.crt ConfigMap.
	RootCA []byte
}

// LimitsConfig bounds the requests served at once (0: no limit).
type LimitsConfig struct {
	MaxRequestsInFlight         int
	MaxMutatingRequestsInFlight int
	// InFlight follows the requests counted against the limits; Complete
	// makes one.
	InFlight *filters.InFlight
}

// LifecycleConfig times the shutdown sequence.
type LifecycleConfig struct {
	// ShutdownDelayDuration keeps serving after /readyz starts failing, so
	// load balancers notice before the listener closes.
	ShutdownDelayDuration time.Duration
	// RequestTimeout bounds a request, and the drain at shutdown.
	RequestTimeout time.Duration
	// MinRequestTimeout is the shortest a watch without timeoutSeconds
	// lasts; 0 is 30 minutes.
	MinRequestTimeout time.Duration
}

// HealthConfig tunes the health endpoints.
type HealthConfig struct {
	// LivezGracePeriod is how long after start /livez passes post-start
	// hooks that have not finished.
	LivezGracePeriod time.Duration
	// LogFlushInterval is how often the "log" check flushes the log.
	LogFlushInterval time.Duration
}

// NewConfig returns a Config with the defaults of kube-apiserver.
func NewConfig() *Config {
	return &Config{
		Lifecycle: LifecycleConfig{RequestTimeout: time.Minute},
		Health:    HealthConfig{LogFlushInterval: 5 * time.Second},
	}
}

type completedConfig struct {
	*Config
	// backend is shared by every server built from this configuration.
	backend *etcd3.Backend
	// signals are the shutdown steps, shared by the whole chain.
	signals lifecycleSignals
}

// CompletedConfig is a Config whose defaults are filled. New accepts only
// this type, so no server is built from a half-filled Config.
type CompletedConfig struct {
	*completedConfig
}

// Complete fills derived values and defaults.
func (c *Config) Complete() CompletedConfig {
	if c.Lifecycle.RequestTimeout <= 0 {
		c.Lifecycle.RequestTimeout = time.Minute
	}
	if c.Health.LogFlushInterval <= 0 {
		c.Health.LogFlushInterval = 5 * time.Second
	}
	if c.Limits.InFlight == nil {
		c.Limits.InFlight = &filters.InFlight{}
	}
	if c.Version == nil {
		v := version.Get()
		c.Version = &v
	}
	if c.Storage.Type == "" {
		c.Storage.Type = storage.TypeETCD3
	}
	if c.Authorization == nil {
		c.Authorization = authz.AlwaysAllow{}
	}
	if len(c.Authentication.Tokens) > 0 {
		c.Authentication.Authenticator = append(c.Authentication.Authenticator, authn.Bearer{Token: c.Authentication.Tokens})
	}
	if c.Notify == nil {
		c.Notify = sdNotify
	}
	if len(c.Services.ClusterIPRanges) == 0 {
		c.Services.ClusterIPRanges = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}
	}
	if c.Services.NodePortSize == 0 {
		c.Services.NodePortBase, c.Services.NodePortSize = 30000, 2768
	}
	return CompletedConfig{&completedConfig{Config: c, signals: newLifecycleSignals()}}
}

// Stopping is closed when the server stops accepting requests, after the
// shutdown delay: long-running requests such as watches end then, so the
// drain that follows is not held up by them.
func (c CompletedConfig) Stopping() <-chan struct{} {
	return c.signals.AfterShutdownDelayDuration.Signaled()
}

// OpenStorage starts the embedded etcd (if configured) and connects to
// etcd. Every server built from c afterwards shares the connection, and the
// top server of the chain closes it after its requests have drained.
func (c CompletedConfig) OpenStorage(ctx context.Context) (*etcd3.Backend, error) {
	if c.backend != nil {
		return c.backend, nil
	}
	b, err := etcd3.OpenBackend(ctx, c.Storage, c.EmbeddedEtcd)
	if err != nil {
		return nil, fmt.Errorf("opening storage: %w", err)
	}
	c.backend = b
	return b, nil
}

// New builds a server called name that falls through to delegate on every
// path it does not serve itself.
func (c CompletedConfig) New(name string, delegate DelegationTarget) (*GenericAPIServer, error) {
	if c.completedConfig == nil {
		return nil, errors.New("server.New needs a completed config: call Config.Complete first")
	}
	if delegate == nil {
		return nil, fmt.Errorf("server %q: delegate is nil; use NewEmptyDelegate at the end of the chain", name)
	}
	s := &GenericAPIServer{
		name:     name,
		config:   c,
		delegate: delegate,
		hooks:    map[string]*postStartHook{},
	}
	s.mux = NewPathMux(delegate.UnprotectedHandler())
	return s, nil
}
