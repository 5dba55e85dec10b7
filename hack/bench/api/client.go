package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/certs"
)

// h2Pool is the load generator's HTTP/2 connections to the apiserver. Each
// is one TLS connection carrying any number of concurrent streams, as
// h2load -c N -m M does. It uses net/http's ClientConn, which is the same
// HTTP/2 client as golang.org/x/net/http2 (bundled); x/net's own
// Transport.NewClientConn is deprecated in its favour.
type h2Pool struct {
	addr  string
	conns []*http.ClientConn
	// accept is the media type GETs ask for (-accept).
	accept string
}

// issueClientCert makes a client CA and an administrator's certificate
// (system:masters) in dir, with pkg/certs as the apiserver makes its own
// admin.crt, and returns the CA file for --client-ca-file; with a name,
// the certificate is that user's, in no group. The apiserver
// writes DIR/pki/admin.crt only when started with neither --client-ca-file
// nor --token-auth-file, and the h2load cross-check needs the token file;
// issuing the certificate here keeps one way of starting the server. The
// server authenticates it with the same x509 authenticator either way.
func issueClientCert(dir, name string) (caFile string, pair certs.Pair, err error) {
	caPair := certs.PairIn(dir, "client-ca")
	ca, err := certs.LoadOrCreateCA(caPair, "bench-client-ca")
	if err != nil {
		return "", pair, fmt.Errorf("client CA: %w", err)
	}
	leaf := certs.Leaf{CommonName: "admin", Organization: []string{user.SystemPrivilegedGroup}, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	pair = certs.PairIn(dir, "admin")
	if name != "" {
		leaf.CommonName, leaf.Organization, pair = name, nil, certs.PairIn(dir, "user")
	}
	_, err = ca.EnsureLeaf(pair, leaf)
	if err != nil {
		return "", pair, fmt.Errorf("admin client certificate: %w", err)
	}
	return caPair.CertFile, pair, nil
}

// clientTLS presents pair and verifies the server with the CA the apiserver
// wrote to DIR/pki/ca.crt.
func clientTLS(dataDir string, pair certs.Pair) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the client certificate: %w", err)
	}
	caFile := filepath.Join(dataDir, "pki", "ca.crt")
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading the server CA: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots, MinVersion: tls.VersionTLS12}, nil
}

// dialPool opens n HTTP/2 connections to addr.
func dialPool(ctx context.Context, addr string, cfg *tls.Config, n int) (*h2Pool, error) {
	tr := &http.Transport{TLSClientConfig: cfg, Protocols: new(http.Protocols)}
	tr.Protocols.SetHTTP2(true)
	p := &h2Pool{addr: addr}
	for range n {
		cc, err := tr.NewClientConn(ctx, "https", addr)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("connecting to the apiserver: %w", err)
		}
		p.conns = append(p.conns, cc)
	}
	return p, nil
}

func (p *h2Pool) close() {
	for _, cc := range p.conns {
		cc.Close()
	}
}

// send makes one request on connection conn%len(conns) and reads the whole
// answer into buf (reset first). An answer other than want, or over
// HTTP/1, is an error carrying the body.
func (p *h2Pool) send(ctx context.Context, conn int, method, path string, body []byte, want int, buf *bytes.Buffer) error {
	resp, err := p.open(ctx, conn, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s, want %d: %s", method, path, resp.Status, want, buf.Bytes())
	}
	return nil
}

// open sends a request and returns the response, whose body the caller
// reads and closes.
func (p *h2Pool) open(ctx context.Context, conn int, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "https://"+p.addr+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if method == http.MethodGet && p.accept != "" {
		req.Header.Set("Accept", p.accept)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.conns[conn%len(p.conns)].RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.ProtoMajor != 2 {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: answered over %s, not HTTP/2", method, path, resp.Proto)
	}
	return resp, nil
}
