package embeddedetcd

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/certs"
)

// Config says where the member keeps its data and certificates.
type Config struct {
	// DataDir holds the member's WAL and snapshots; it survives restarts.
	DataDir string
	// CertDir holds the member's CA, serving and client certificates.
	CertDir string
	// ListenAddress is host:port for clients; port 0 picks a free port.
	// Empty means 127.0.0.1:0.
	ListenAddress string
	// UnsafeNoFsync skips fsync; only tests that throw their data away set it.
	UnsafeNoFsync bool
	// StartTimeout bounds how long Start waits for the member to be ready.
	StartTimeout time.Duration
}

// Server is a running embedded etcd member.
type Server struct {
	etcd     *embed.Etcd
	closing  *atomic.Bool
	endpoint string
	client   certs.Pair
	caFile   string
}

// Endpoint returns the https:// URL clients connect to.
func (s *Server) Endpoint() string { return s.endpoint }

// ClientTLS returns the CA file that verifies the member and the client
// certificate it accepts.
func (s *Server) ClientTLS() (caFile string, client certs.Pair) { return s.caFile, s.client }

// Start starts the member and waits until it serves, or ctx ends, or
// StartTimeout passes.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.ListenAddress == "" {
		cfg.ListenAddress = "127.0.0.1:0"
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	pki, err := ensureCerts(cfg.CertDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating etcd data directory %s: %w", cfg.DataDir, err)
	}

	ec := embed.NewConfig()
	ec.Name = "apiserver"
	ec.Dir = cfg.DataDir
	ec.UnsafeNoFsync = cfg.UnsafeNoFsync
	listen := url.URL{Scheme: "https", Host: cfg.ListenAddress}
	ec.ListenClientUrls = []url.URL{listen}
	ec.AdvertiseClientUrls = []url.URL{listen}
	// A single member never dials a peer, so it gets no peer listener; the
	// advertised peer URL only names the member in its own cluster record.
	ec.ListenPeerUrls = nil
	peer := url.URL{Scheme: "https", Host: "127.0.0.1:2380"}
	ec.AdvertisePeerUrls = []url.URL{peer}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	// A single member elects itself after a random 1-10 election ticks;
	// with etcd's 100ms tick that alone made start-up take up to a second.
	// It has no peers to send heartbeats to, so a short tick costs only a
	// few timer wake-ups (under 1% of a core, measured).
	ec.TickMs = 10
	ec.ElectionMs = 100
	ec.ClientTLSInfo.CertFile = pki.server.CertFile
	ec.ClientTLSInfo.KeyFile = pki.server.KeyFile
	ec.ClientTLSInfo.TrustedCAFile = pki.caFile
	ec.ClientTLSInfo.ClientCertAuth = true
	// Metrics and the v2 HTTP API stay off the client port: the apiserver is
	// the only client.
	ec.Metrics = "basic"
	ec.WarningUnaryRequestDuration = embed.DefaultWarningUnaryRequestDuration
	closing := new(atomic.Bool)
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(newLogger(closing))
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "member")); err == nil {
		ec.ClusterState = embed.ClusterStateFlagExisting
	}

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("starting embedded etcd in %s: %w", cfg.DataDir, err)
	}
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd failed while starting: %w", err)
	case <-timer.C:
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s was not ready after %s", cfg.DataDir, cfg.StartTimeout)
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("starting embedded etcd: %w", ctx.Err())
	}
	addr := e.Clients[0].Addr().(*net.TCPAddr)
	s := &Server{
		etcd:     e,
		closing:  closing,
		endpoint: "https://" + net.JoinHostPort(addr.IP.String(), fmt.Sprint(addr.Port)),
		client:   pki.client,
		caFile:   pki.caFile,
	}
	klog.InfoS("Embedded etcd is serving", "endpoint", s.endpoint, "dataDir", cfg.DataDir)
	return s, nil
}

// Revision is the member's current revision, read in process. The member
// is the whole cluster and answers a write only once it has applied it,
// so every write answered before the call is included: the revision a
// quorum read would return, without the read's trip through the client,
// gRPC and raft.
func (s *Server) Revision() int64 { return s.etcd.Server.KV().Rev() }

// Err reports a fatal error of the running member, such as a full disk.
func (s *Server) Err() <-chan error { return s.etcd.Err() }

// Close stops the member, waiting for it to flush and release its files.
func (s *Server) Close() {
	s.closing.Store(true)
	s.etcd.Close()
	klog.InfoS("Embedded etcd stopped")
}

type pki struct {
	caFile string
	server certs.Pair
	client certs.Pair
}

// ensureCerts gives the member a CA of its own, separate from the API
// server's: a certificate that authenticates to the API cannot open etcd.
func ensureCerts(dir string) (pki, error) {
	caPair := certs.PairIn(dir, "etcd-ca")
	ca, err := certs.LoadOrCreateCA(caPair, "apiserver-etcd-ca")
	if err != nil {
		return pki{}, fmt.Errorf("embedded etcd CA: %w", err)
	}
	p := pki{caFile: caPair.CertFile, server: certs.PairIn(dir, "etcd-server"), client: certs.PairIn(dir, "etcd-client")}
	if _, err := ca.EnsureLeaf(p.server, certs.Leaf{
		CommonName: "apiserver-etcd",
		DNSNames:   []string{"localhost"},
		IPs:        []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		Usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}); err != nil {
		return pki{}, fmt.Errorf("embedded etcd serving certificate: %w", err)
	}
	if _, err := ca.EnsureLeaf(p.client, certs.Leaf{
		CommonName: "apiserver-etcd-client",
		Usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		return pki{}, fmt.Errorf("embedded etcd client certificate: %w", err)
	}
	return p, nil
}

// newLogger keeps etcd's own chatter out of the server's log: warnings
// (slow disk, slow requests) and errors still reach stderr, in etcd's JSON
// format so operators can tell them apart.
func newLogger(closing *atomic.Bool) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(os.Stderr), zap.WarnLevel)
	return zap.New(quietCore{core, closing}).With(zap.String("component", "embedded-etcd"))
}

// expectedWarnings are warnings etcd gives at every start that do not apply
// to a loopback-only member with auth turned off.
var expectedWarnings = map[string]bool{
	"Running http and grpc server on single port. This is not recommended for production.": true,
	"simple token is not cryptographically signed":                                         true,
}

// quietCore drops expectedWarnings, and once the member is closing, the
// complaints of its listeners about being closed.
type quietCore struct {
	zapcore.Core
	closing *atomic.Bool
}

func (c quietCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if expectedWarnings[e.Message] || c.closing.Load() {
		return ce
	}
	return c.Core.Check(e, ce)
}

func (c quietCore) With(fields []zapcore.Field) zapcore.Core {
	return quietCore{c.Core.With(fields), c.closing}
}
