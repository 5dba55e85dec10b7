package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	clienttransport "k8s.io/client-go/transport"
)

// NewHTTP1 is New for servers called with one small request at a time
// (webhooks): HTTP/1.1 on pooled keep-alive TLS connections, each request
// written and its response read by the calling goroutine. net/http's
// Transport hands the request to a writing goroutine and the response
// back from a reading one: on a busy host each hand-off is a thread
// wake-up, together several times a webhook's own round trip
// (docs/benchmarks.md, issue 15). Equal configurations share one pool.
// The response body is read whole (at most maxBody bytes) before
// RoundTrip returns.
func NewHTTP1(c *Config, maxBody int64) (http.RoundTripper, error) {
	if c.Transport != nil || c.DialHolder != nil || c.Proxy != nil || c.TLS.GetCertHolder != nil {
		return nil, fmt.Errorf("a custom transport, dialer, proxy or certificate callback is not supported over direct HTTP/1.1")
	}
	if c.BearerTokenFile != "" {
		return nil, fmt.Errorf("BearerTokenFile is client-go's once-a-minute reading: use TokenFile")
	}
	tlsConfig, err := clienttransport.TLSConfigFor(&c.Config)
	if err != nil {
		return nil, err
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConfig.NextProtos = []string{"http/1.1"}
	key := http1Key(c)
	http1Pools.Lock()
	p, ok := http1Pools.m[key]
	if !ok {
		p = &http1Pool{tls: tlsConfig, idle: map[string][]*http1Conn{}}
		http1Pools.m[key] = p
	}
	http1Pools.Unlock()
	// A request the environment sends through a proxy (HTTPS_PROXY) goes
	// by net/http's transport, which speaks to proxies.
	proxied, err := clienttransport.New(&clienttransport.Config{TLS: clienttransport.TLSConfig{
		CAData: c.TLS.CAData, CAFile: c.TLS.CAFile, CertData: c.TLS.CertData, CertFile: c.TLS.CertFile,
		KeyData: c.TLS.KeyData, KeyFile: c.TLS.KeyFile, ServerName: c.TLS.ServerName, Insecure: c.TLS.Insecure,
		NextProtos: []string{"http/1.1"},
	}})
	if err != nil {
		return nil, err
	}
	var rt http.RoundTripper = &http1RoundTripper{pool: p, maxBody: maxBody, proxied: proxied}
	rt, err = clienttransport.HTTPWrappersForConfig(&c.Config, rt)
	if err != nil {
		return nil, err
	}
	return wrap(c, rt)
}

// http1Pools are the pools of equal configurations.
var http1Pools = struct {
	sync.Mutex
	m map[string]*http1Pool
}{m: map[string]*http1Pool{}}

// http1Key identifies the TLS configuration of c.
func http1Key(c *Config) string {
	h := sha256.New()
	for _, b := range [][]byte{c.TLS.CAData, c.TLS.CertData, c.TLS.KeyData, []byte(c.TLS.CAFile), []byte(c.TLS.CertFile), []byte(c.TLS.KeyFile), []byte(c.TLS.ServerName)} {
		fmt.Fprintf(h, "%d:", len(b))
		h.Write(b)
	}
	fmt.Fprintf(h, "%t", c.TLS.Insecure)
	return string(h.Sum(nil))
}

const (
	// http1IdlePerHost bounds the idle connections kept per host.
	http1IdlePerHost = 16
	// http1IdleTimeout closes a connection idle for longer: servers
	// close theirs too, and a stale one costs a failed first write.
	http1IdleTimeout = 90 * time.Second
)

type http1Pool struct {
	tls  *tls.Config
	mu   sync.Mutex
	idle map[string][]*http1Conn
}

type http1Conn struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	used time.Time
}

// get returns an idle connection to addr, or nil.
func (p *http1Pool) get(addr string) *http1Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for conns := p.idle[addr]; len(conns) > 0; conns = p.idle[addr] {
		c := conns[len(conns)-1]
		p.idle[addr] = conns[:len(conns)-1]
		if time.Since(c.used) < http1IdleTimeout {
			return c
		}
		_ = c.conn.Close()
	}
	return nil
}

func (p *http1Pool) put(addr string, c *http1Conn) {
	c.used = time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle[addr]) >= http1IdlePerHost {
		_ = c.conn.Close()
		return
	}
	p.idle[addr] = append(p.idle[addr], c)
}

func (p *http1Pool) dial(ctx context.Context, host, addr string) (*http1Conn, error) {
	cfg := p.tls.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}, Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &http1Conn{conn: conn, r: bufio.NewReaderSize(conn, 16<<10), w: bufio.NewWriterSize(conn, 16<<10)}, nil
}

type http1RoundTripper struct {
	pool    *http1Pool
	maxBody int64
	proxied http.RoundTripper
}

func (t *http1RoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return nil, fmt.Errorf("unsupported scheme %q: only https", req.URL.Scheme)
	}
	if proxy, err := http.ProxyFromEnvironment(req); err != nil || proxy != nil {
		return t.proxied.RoundTrip(req)
	}
	host := req.URL.Hostname()
	port := req.URL.Port()
	if port == "" {
		port = "443"
	}
	addr := net.JoinHostPort(host, port)
	ctx := req.Context()
	// A pooled connection the server has closed fails before any answer:
	// the request is sent again once on a new connection.
	if c := t.pool.get(addr); c != nil {
		resp, err, sent := t.try(ctx, req, c, addr)
		if err == nil || sent || ctx.Err() != nil {
			return resp, err
		}
	}
	c, err := t.pool.dial(ctx, host, addr)
	if err != nil {
		return nil, err
	}
	resp, err, _ := t.try(ctx, req, c, addr)
	return resp, err
}

// try sends req on c; sent reports that the server may have received and
// acted on it (any answer byte was read), so it must not be sent again.
func (t *http1RoundTripper) try(ctx context.Context, req *http.Request, c *http1Conn, addr string) (resp *http.Response, err error, sent bool) {
	if d, ok := ctx.Deadline(); ok {
		_ = c.conn.SetDeadline(d)
	}
	// Cancellation interrupts a blocked read or write.
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	keep := false
	defer func() {
		cancelled := !stop()
		if keep && !cancelled {
			_ = c.conn.SetDeadline(time.Time{})
			t.pool.put(addr, c)
			return
		}
		_ = c.conn.Close()
	}()
	body := req.Body
	if req.GetBody != nil {
		if body, err = req.GetBody(); err != nil {
			return nil, err, false
		}
	}
	out := req.Clone(ctx)
	out.Body = body
	if err := out.Write(c.w); err != nil {
		return nil, t.failed(ctx, err), false
	}
	if err := c.w.Flush(); err != nil {
		return nil, t.failed(ctx, err), false
	}
	if _, err := c.r.Peek(1); err != nil {
		return nil, t.failed(ctx, err), !retriable(err)
	}
	resp, err = http.ReadResponse(c.r, req)
	if err != nil {
		return nil, t.failed(ctx, err), true
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, t.maxBody+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, t.failed(ctx, err), true
	}
	if int64(len(data)) > t.maxBody {
		return nil, fmt.Errorf("the response is larger than %d bytes", t.maxBody), true
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	keep = !resp.Close && !req.Close
	return resp, nil, true
}

// failed words an I/O error as the context's when the context ended it.
func (t *http1RoundTripper) failed(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	// The connection's deadline is the context's: it may pass a moment
	// before the context notices.
	var ne net.Error
	if d, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(d) {
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}

// retriable reports whether err is how a server's close of an idle
// connection shows before any answer.
func retriable(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
