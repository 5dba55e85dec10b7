package options

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/apiserver/apiserver/pkg/embeddedetcd"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/encryption"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// EtcdOptions are the flags of the etcd storage backend.
type EtcdOptions struct {
	Servers            []string
	Prefix             string
	CAFile             string
	CertFile           string
	KeyFile            string
	HealthcheckTimeout time.Duration
	ReadycheckTimeout  time.Duration
	CompactionInterval time.Duration
	// EncryptionProviderConfig is an EncryptionConfiguration file.
	EncryptionProviderConfig string
	WatchCache               bool
	WatchCacheSize           int
}

// NewEtcdOptions returns kube-apiserver's defaults; no servers means the
// embedded etcd.
func NewEtcdOptions() *EtcdOptions {
	return &EtcdOptions{
		Prefix:             "/registry",
		HealthcheckTimeout: 2 * time.Second,
		ReadycheckTimeout:  2 * time.Second,
		CompactionInterval: 5 * time.Minute,
		WatchCache:         true,
		WatchCacheSize:     4096,
	}
}

// AddFlags registers the flags.
func (o *EtcdOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.Servers, "etcd-servers", o.Servers,
		"Comma-separated etcd client URLs (scheme://ip:port). If empty, an etcd member runs inside the server with its data in <data-dir>/etcd.")
	fs.StringVar(&o.Prefix, "etcd-prefix", o.Prefix, "The prefix of every key the server writes in etcd.")
	fs.StringVar(&o.CAFile, "etcd-cafile", o.CAFile, "SSL Certificate Authority file used to secure etcd communication.")
	fs.StringVar(&o.CertFile, "etcd-certfile", o.CertFile, "SSL certification file used to secure etcd communication.")
	fs.StringVar(&o.KeyFile, "etcd-keyfile", o.KeyFile, "SSL key file used to secure etcd communication.")
	fs.DurationVar(&o.HealthcheckTimeout, "etcd-healthcheck-timeout", o.HealthcheckTimeout,
		"The timeout of the etcd health check (on /healthz, /livez and /readyz).")
	fs.DurationVar(&o.ReadycheckTimeout, "etcd-readycheck-timeout", o.ReadycheckTimeout,
		"The timeout of the etcd readiness check (on /readyz).")
	fs.DurationVar(&o.CompactionInterval, "etcd-compaction-interval", o.CompactionInterval,
		"The interval of compaction requests. If 0, the server does not compact etcd.")
	fs.StringVar(&o.EncryptionProviderConfig, "encryption-provider-config", o.EncryptionProviderConfig,
		"The file with the configuration for encryption providers to be used for storing secrets in etcd (kube-apiserver's EncryptionConfiguration, apiserver.config.k8s.io/v1: aesgcm, aescbc, secretbox, identity).")
	fs.IntVar(&o.WatchCacheSize, "default-watch-cache-size", o.WatchCacheSize,
		"How many recent events of each resource the watch cache keeps: a watch from an older resourceVersion is served from etcd, or answered 410 Gone once etcd compacted it.")
	fs.BoolVar(&o.WatchCache, "watch-cache", o.WatchCache,
		"Keep every resource in memory, fed by one etcd watch each, and serve watches and reads at resourceVersion \"0\" from it.")
}

// Validate reports every invalid flag value.
func (o *EtcdOptions) Validate() []error {
	if o == nil {
		return nil
	}
	var errs []error
	for _, s := range o.Servers {
		if err := etcd3.ValidateServer(s); err != nil {
			errs = append(errs, fmt.Errorf("--etcd-servers: %w", err))
		}
	}
	if o.Prefix == "" {
		errs = append(errs, fmt.Errorf("--etcd-prefix must not be empty"))
	}
	if len(o.Servers) == 0 {
		for _, f := range []struct{ flag, value string }{
			{"--etcd-cafile", o.CAFile}, {"--etcd-certfile", o.CertFile}, {"--etcd-keyfile", o.KeyFile},
		} {
			if f.value != "" {
				errs = append(errs, fmt.Errorf("%s requires --etcd-servers: the embedded etcd makes its own certificates", f.flag))
			}
		}
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		errs = append(errs, fmt.Errorf("--etcd-certfile and --etcd-keyfile must be set together"))
	}
	errs = append(errs, readable("--etcd-cafile", o.CAFile)...)
	errs = append(errs, readable("--etcd-certfile", o.CertFile)...)
	errs = append(errs, readable("--etcd-keyfile", o.KeyFile)...)
	if o.HealthcheckTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--etcd-healthcheck-timeout %s must be greater than 0", o.HealthcheckTimeout))
	}
	if o.ReadycheckTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--etcd-readycheck-timeout %s must be greater than 0", o.ReadycheckTimeout))
	}
	if o.WatchCacheSize <= 0 {
		errs = append(errs, fmt.Errorf("--default-watch-cache-size %d must be greater than 0 (--watch-cache=false turns the cache off)", o.WatchCacheSize))
	}
	if o.CompactionInterval < 0 {
		errs = append(errs, fmt.Errorf("--etcd-compaction-interval %s must not be negative", o.CompactionInterval))
	}
	if o.EncryptionProviderConfig != "" {
		if _, err := encryption.LoadFile(o.EncryptionProviderConfig); err != nil {
			errs = append(errs, fmt.Errorf("--encryption-provider-config: %w", err))
		}
	}
	return errs
}

// ApplyTo fills the storage configuration; with no servers it configures
// the embedded etcd under c.DataDir, which the generic options set first.
func (o *EtcdOptions) ApplyTo(c *server.Config) error {
	c.Storage = storage.Config{
		Type:               storage.TypeETCD3,
		Servers:            o.Servers,
		Prefix:             o.Prefix,
		CAFile:             o.CAFile,
		CertFile:           o.CertFile,
		KeyFile:            o.KeyFile,
		HealthcheckTimeout: o.HealthcheckTimeout,
		ReadycheckTimeout:  o.ReadycheckTimeout,
		CompactionInterval: o.CompactionInterval,
		WatchCache:         o.WatchCache,
		WatchCacheSize:     o.WatchCacheSize,
	}
	if o.EncryptionProviderConfig != "" {
		t, err := encryption.LoadFile(o.EncryptionProviderConfig)
		if err != nil {
			return fmt.Errorf("--encryption-provider-config: %w", err)
		}
		c.Storage.Transformers = t
	}
	if len(o.Servers) == 0 {
		if c.DataDir == "" {
			return fmt.Errorf("the embedded etcd needs --data-dir")
		}
		c.EmbeddedEtcd = &embeddedetcd.Config{
			DataDir: filepath.Join(c.DataDir, "etcd"),
			CertDir: filepath.Join(c.DataDir, "pki", "etcd"),
		}
	}
	return nil
}
