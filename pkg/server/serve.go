package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/sys/unix"
	"k8s.io/klog/v2"
)

const (
	// maxFrameSize: almost every serialized object fits in 256 KiB, so one
	// HTTP/2 frame carries most requests whole.
	maxFrameSize = 256 << 10
	// DefaultHTTP2MaxStreams is the concurrent streams a client may open on
	// one connection (Go's default, and kube-apiserver's).
	DefaultHTTP2MaxStreams = 250
	// tcpKeepAlive finds clients that vanished without closing, so their
	// connections and watches do not linger.
	tcpKeepAlive = 3 * time.Minute
)

// SecureServingInfo is what RunServer needs to serve TLS.
type SecureServingInfo struct {
	// Listener is already bound, so a port conflict fails at start-up.
	Listener net.Listener
	// Cert is the serving certificate chain and key.
	Cert tls.Certificate
	// CAFile verifies Cert when the server generated it; it is empty when
	// the operator supplied the certificate.
	CAFile string
	// ClientCA, when set, makes the handshake ask for (not require) a
	// client certificate; the authentication filter verifies it.
	ClientCA *x509.CertPool
	// MinTLSVersion is a crypto/tls version constant, at least TLS 1.2.
	MinTLSVersion uint16
	// CipherSuites restricts the TLS 1.2 cipher suites; nil keeps Go's
	// secure defaults. TLS 1.3 suites are not configurable.
	CipherSuites []uint16
	// HTTP2MaxStreamsPerConnection; 0 means DefaultHTTP2MaxStreams.
	HTTP2MaxStreamsPerConnection int
	// DisableHTTP2 serves HTTP/1.1 only.
	DisableHTTP2 bool
	// LoopbackCert, when set, is presented to clients that ask for
	// LoopbackServerName: the server's own loopback client.
	LoopbackCert *tls.Certificate
}

// Listen binds addr with TCP keep-alive. With reusePort several processes
// may share the port (SO_REUSEPORT), for a restart without a gap.
func Listen(ctx context.Context, addr string, reusePort bool) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: tcpKeepAlive}
	if reusePort {
		lc.Control = func(network, address string, c syscall.RawConn) error {
			var sockErr error
			err := c.Control(func(fd uintptr) {
				sockErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			})
			return errors.Join(err, sockErr)
		}
	}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// tlsConfig builds the server's TLS configuration.
func (s *SecureServingInfo) tlsConfig() *tls.Config {
	tc := &tls.Config{
		Certificates: []tls.Certificate{s.Cert},
		MinVersion:   max(s.MinTLSVersion, tls.VersionTLS12),
		CipherSuites: s.CipherSuites,
		NextProtos:   []string{"h2", "http/1.1"},
	}
	if s.LoopbackCert != nil {
		// crypto/tls picks the first certificate that names the server
		// name the client asked for, else the first: only the loopback
		// client asks for this one.
		tc.Certificates = append(tc.Certificates, *s.LoopbackCert)
	}
	if s.ClientCA != nil {
		// Verified by the authenticator, not the handshake: a bad client
		// certificate gets a 401 Status, as from kube-apiserver, instead
		// of a TLS alert no client explains well.
		tc.ClientAuth = tls.RequestClientCert
		tc.ClientCAs = s.ClientCA
	}
	if s.DisableHTTP2 {
		tc.NextProtos = []string{"http/1.1"}
	}
	return tc
}

// newHTTPServer builds the http.Server for handler, with HTTP/2 configured
// as kube-apiserver does.
func (s *SecureServingInfo) newHTTPServer(handler http.Handler) (*http.Server, error) {
	srv := &http.Server{
		Handler:           handler,
		TLSConfig:         s.tlsConfig(),
		MaxHeaderBytes:    1 << 20,
		ReadHeaderTimeout: 32 * time.Second, // bounds slowloris clients
		IdleTimeout:       90 * time.Second, // matches common client keep-alives
		ErrorLog:          log.New(serverErrorLogWriter{}, "", 0),
	}
	if s.DisableHTTP2 {
		// A non-nil empty map keeps net/http from enabling HTTP/2 itself.
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
		return srv, nil
	}
	streams := s.HTTP2MaxStreamsPerConnection
	if streams <= 0 {
		streams = DefaultHTTP2MaxStreams
	}
	h2 := &http2.Server{
		MaxConcurrentStreams:     uint32(streams),
		MaxReadFrameSize:         maxFrameSize,
		MaxUploadBufferPerStream: maxFrameSize,
		// Every stream may fill its window at once without stalling.
		MaxUploadBufferPerConnection: int32(maxFrameSize * streams),
		IdleTimeout:                  90 * time.Second,
	}
	if err := http2.ConfigureServer(srv, h2); err != nil {
		return nil, fmt.Errorf("configuring HTTP/2: %w", err)
	}
	return srv, nil
}

// growStack grows the calling goroutine's stack to what a request through
// the handler chain needs, while the stack is still shallow. Each HTTP/2
// stream runs on a new goroutine with a small stack; grown by doubling as
// the request descends the chain, it was copied several times, each copy
// walking every frame: 17 % of the CPU of a request proxied to an
// aggregated server, 4 % with this (docs/benchmarks.md). One copy of a few
// frames costs next to nothing; /healthz and API requests measured the
// same or faster.
//
//go:noinline
func growStack() {
	var frame [stackGrowth]byte
	touchFrame(frame[:])
}

// touchFrame reads b so that growStack's frame is not optimized away.
//
//go:noinline
func touchFrame(b []byte) { stackSink = b[len(b)-1] }

// stackGrowth is the size of growStack's frame: with what is already in
// use, the stack grows to 16 KiB, the largest size the runtime keeps in
// its per-processor caches. A 16 KiB frame (a 32 KiB stack) saved no more
// CPU and cost page faults on fresh stack memory.
const stackGrowth = 8 << 10

// stackSink keeps growStack's frame from being optimized away.
var stackSink byte

// RunServer serves handler on info's listener until ctx ends, then shuts the
// server down gracefully: the listener closes at once, HTTP/2 clients get
// GOAWAY, and requests in flight get up to drainTimeout to finish. Once
// none is in flight, the connections still open are closed at once rather
// than after the second HTTP/2 servers give an idle client to hang up:
// a test suite's client that keeps its connection does not hold the stop.
//
// It returns at once. listenerStopped is closed when the listener no longer
// accepts; stopped when every request has finished (or drainTimeout cut
// them off) and the goroutines RunServer started have returned.
func RunServer(ctx context.Context, info *SecureServingInfo, handler http.Handler, drainTimeout time.Duration) (stopped, listenerStopped <-chan struct{}, err error) {
	if info == nil || info.Listener == nil {
		return nil, nil, errors.New("no listener to serve on")
	}
	var inFlight atomic.Int64
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		growStack()
		handler.ServeHTTP(w, r)
	})
	srv, err := info.newHTTPServer(counted)
	if err != nil {
		return nil, nil, err
	}
	stoppedCh, listenerCh := make(chan struct{}), make(chan struct{})
	serveDone := make(chan struct{})
	go func() {
		defer close(serveDone)
		defer close(listenerCh)
		ln := tls.NewListener(newGatedListener(info.Listener), srv.TLSConfig)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			klog.ErrorS(err, "Serving stopped unexpectedly", "address", info.Listener.Addr().String())
		}
	}()
	go func() {
		defer close(stoppedCh)
		<-ctx.Done()
		// ctx is already done: the drain gets a fresh deadline of its own.
		drainCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		drained := make(chan error, 1)
		go func() { drained <- srv.Shutdown(drainCtx) }()
		if err := waitDrained(drained, &inFlight); err != nil {
			klog.InfoS("Requests still in flight when the drain timeout passed; closing them", "timeout", drainTimeout, "err", err)
		}
		srv.Close() //nolint:errcheck // what is left is idle, or past the drain timeout
		<-serveDone
	}()
	return stoppedCh, listenerCh, nil
}

// idleChecks is how many consecutive looks, drainPoll apart, must find no
// request in flight before the open connections are cut: a request that a
// client sent just before it read the GOAWAY is read and dispatched
// within them.
const (
	idleChecks = 3
	drainPoll  = 5 * time.Millisecond
)

// waitDrained returns when Shutdown did (its error), or when no request
// has been in flight for idleChecks looks in a row (nil).
func waitDrained(shutdown <-chan error, inFlight *atomic.Int64) error {
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	idle := 0
	for {
		select {
		case err := <-shutdown:
			return err
		case <-tick.C:
			if inFlight.Load() > 0 {
				idle = 0
				continue
			}
			if idle++; idle >= idleChecks {
				return nil
			}
		}
	}
}

// serverErrorLogWriter routes net/http's own log lines into klog. TLS
// handshake failures are mostly port scanners and health probes that hang
// up: they go to the log only at high verbosity.
type serverErrorLogWriter struct{}

func (serverErrorLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	if strings.Contains(msg, "TLS handshake error") {
		klog.V(5).InfoS("TLS handshake failed", "detail", msg)
	} else {
		klog.InfoS("HTTP server message", "detail", msg)
	}
	return len(p), nil
}
