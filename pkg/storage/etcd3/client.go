package etcd3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/apiserver/apiserver/pkg/storage"
)

const (
	// dialTimeout is kube-apiserver's: long enough for a TLS handshake to a
	// busy cluster across a data centre.
	defaultDialTimeout = 20 * time.Second
	// keepAliveTime and keepAliveTimeout find a dead etcd member between
	// requests in about 40s, as kube-apiserver does.
	defaultKeepAliveTime    = 30 * time.Second
	defaultKeepAliveTimeout = 10 * time.Second
	// maxCallSendMsgSize lets a request carry etcd's largest accepted value
	// (1.5 MiB by default) plus its key and framing.
	maxCallSendMsgSize = 2 << 20
)

// ValidateServer checks that an etcd URL is one clientv3 can dial.
func ValidateServer(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "unix" && u.Scheme != "unixs" {
		return fmt.Errorf("%q: scheme must be http, https, unix or unixs", s)
	}
	if u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("%q must be scheme://host:port", s)
	}
	return nil
}

// NewClient connects to the etcd cluster cfg names. It does not wait for a
// member to answer: the health checks report when none does.
func NewClient(cfg storage.Config) (*clientv3.Client, error) {
	if cfg.Type != "" && cfg.Type != storage.TypeETCD3 {
		return nil, fmt.Errorf("unsupported storage backend %q: only %q is supported", cfg.Type, storage.TypeETCD3)
	}
	if len(cfg.Servers) == 0 {
		return nil, errors.New("no etcd servers configured")
	}
	for _, server := range cfg.Servers {
		if err := ValidateServer(server); err != nil {
			return nil, fmt.Errorf("etcd servers: %w", err)
		}
	}
	tlsConfig, err := clientTLS(cfg)
	if err != nil {
		return nil, err
	}
	c, err := clientv3.New(clientv3.Config{
		Endpoints:            cfg.Servers,
		DialTimeout:          orDefault(cfg.DialTimeout, defaultDialTimeout),
		DialKeepAliveTime:    orDefault(cfg.KeepAliveTime, defaultKeepAliveTime),
		DialKeepAliveTimeout: orDefault(cfg.KeepAliveTimeout, defaultKeepAliveTimeout),
		TLS:                  tlsConfig,
		MaxCallSendMsgSize:   maxCallSendMsgSize,
		// etcd's own client logs every retry at info level; the API
		// server's health checks and errors report what matters.
		Logger:      zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithDisableServiceConfig()},
	})
	if err != nil {
		return nil, fmt.Errorf("creating etcd client for %v: %w", cfg.Servers, err)
	}
	return c, nil
}

// clientTLS returns nil (plain connections) when no TLS file is set and
// every server is http://.
func clientTLS(cfg storage.Config) (*tls.Config, error) {
	if cfg.CAFile == "" && cfg.CertFile == "" && cfg.KeyFile == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading --etcd-cafile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--etcd-cafile %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		pair, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading --etcd-certfile and --etcd-keyfile: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return tc, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// withTimeout is the one place a call's deadline is set when the caller's
// context has none, so that no etcd call can hang forever.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
