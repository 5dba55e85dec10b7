// Command ceiling is the bare HTTP/2 server that the server benchmark
// measures the apiserver against: net/http and x/net/http2 with the TLS and
// HTTP/2 settings of pkg/server (see newHTTPServer in pkg/server/serve.go),
// and a /healthz handler that answers "ok" with the headers the apiserver's
// health endpoints send. Nothing else runs in it, so its request rate is the
// ceiling for the apiserver on the same machine.
//
// It serves until SIGINT or SIGTERM, optionally with a CPU profile for
// comparison with the apiserver's:
//
//	ceiling -addr 127.0.0.1:8443 -cert apiserver.crt -key apiserver.key [-cpuprofile cpu.pprof]
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"golang.org/x/net/http2"
)

// These mirror pkg/server/serve.go; a difference would make the ceiling
// measure something other than the server's own overhead.
const (
	maxFrameSize = 256 << 10
	maxStreams   = 250
	tcpKeepAlive = 3 * time.Minute
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8443", "The address to serve HTTPS on.")
	certFile := flag.String("cert", "", "The serving certificate (PEM); use the apiserver's, so both use the same key type.")
	keyFile := flag.String("key", "", "The private key of -cert (PEM).")
	profile := flag.String("cpuprofile", "", "Write a CPU profile of the whole run to this file.")
	flag.Parse()
	if *certFile == "" || *keyFile == "" {
		return errors.New("-cert and -key are required")
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		return fmt.Errorf("loading -cert and -key: %w", err)
	}

	if *profile != "" {
		stopProfile, err := startCPUProfile(*profile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	lc := net.ListenConfig{KeepAlive: tcpKeepAlive}
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	srv, err := newServer(cert)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(tls.NewListener(ln, srv.TLSConfig)) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// startCPUProfile profiles until the returned function is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting the CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// newServer configures net/http and HTTP/2 as pkg/server does.
func newServer(cert tls.Certificate) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", healthz)
	srv := &http.Server{
		Handler: mux,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
			NextProtos:   []string{"h2", "http/1.1"},
		},
		MaxHeaderBytes:    1 << 20,
		ReadHeaderTimeout: 32 * time.Second,
		IdleTimeout:       90 * time.Second,
	}
	h2 := &http2.Server{
		MaxConcurrentStreams:         maxStreams,
		MaxReadFrameSize:             maxFrameSize,
		MaxUploadBufferPerStream:     maxFrameSize,
		MaxUploadBufferPerConnection: maxFrameSize * maxStreams,
		IdleTimeout:                  90 * time.Second,
	}
	if err := http2.ConfigureServer(srv, h2); err != nil {
		return nil, fmt.Errorf("configuring HTTP/2: %w", err)
	}
	return srv, nil
}

// healthz answers as the apiserver's /healthz does when every check passes.
func healthz(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache, private")
	fmt.Fprint(w, "ok")
}
