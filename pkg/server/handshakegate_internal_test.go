package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apiserver/apiserver/pkg/certs"
)

// waiting waits until g has n waiters.
func waiting(t *testing.T, g *handshakeGate, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		g.mu.Lock()
		got := len(g.waiters)
		g.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("the gate never had %d waiters", n)
}

func TestHandshakeGateAdmitsNewestFirst(t *testing.T) {
	g := newHandshakeGate(1, time.Minute)
	if err := g.acquire(nil); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			if err := g.acquire(nil); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			g.release()
		})
		waiting(t, g, i+1)
	}
	g.release()
	wg.Wait()
	if want := []int{2, 1, 0}; !slices.Equal(order, want) {
		t.Errorf("admitted %v, want the newest first %v", order, want)
	}
	if g.free != 1 {
		t.Errorf("free slots after all released = %d, want 1", g.free)
	}
}

func TestHandshakeGateGivesUp(t *testing.T) {
	tests := []struct {
		name    string
		maxWait time.Duration
		close   bool
		want    error
	}{
		{"waited too long", 20 * time.Millisecond, false, errHandshakeQueue},
		{"connection closed", time.Minute, true, net.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newHandshakeGate(1, tt.maxWait)
			if err := g.acquire(nil); err != nil {
				t.Fatal(err)
			}
			closed := make(chan struct{})
			errc := make(chan error, 1)
			go func() { errc <- g.acquire(closed) }()
			waiting(t, g, 1)
			if tt.close {
				close(closed)
			}
			if err := <-errc; !errors.Is(err, tt.want) {
				t.Fatalf("acquire = %v, want %v", err, tt.want)
			}
			waiting(t, g, 0)
			g.release()
			if g.free != 1 {
				t.Errorf("free slots = %d, want 1: a waiter that gave up took none", g.free)
			}
		})
	}
}

// gatedTLSServer serves TLS handshakes on a listener gated to one slot and
// returns its address and gate.
func gatedTLSServer(t *testing.T) (string, *handshakeGate) {
	t.Helper()
	certPEM, keyPEM, err := certs.SelfSigned(certs.Leaf{CommonName: "test", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gl := gatedListener{Listener: raw, gate: newHandshakeGate(1, time.Minute)}
	ln := tls.NewListener(gl, &tls.Config{Certificates: []tls.Certificate{cert}})
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if c.(*tls.Conn).Handshake() == nil {
					c.Write([]byte("ok"))
				}
			}()
		}
	}()
	return raw.Addr().String(), gl.gate
}

func handshake(t *testing.T, addr string) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("handshake through the gate: %v", err)
	}
	defer c.Close()
	buf := make([]byte, 2)
	if _, err := c.Read(buf); err != nil || string(buf) != "ok" {
		t.Fatalf("read after the handshake = %q, %v", buf, err)
	}
}

func TestGatedListener(t *testing.T) {
	addr, gate := gatedTLSServer(t)
	// A client that stops in the middle of its ClientHello holds no slot.
	stalled, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if _, err := stalled.Write([]byte{22, 3, 1, 2, 0, 1}); err != nil { // a record of 512 bytes, 1 sent
		t.Fatal(err)
	}
	// Nor does one that speaks no TLS.
	plain, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := plain.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		handshake(t, addr)
	}
	gate.mu.Lock()
	defer gate.mu.Unlock()
	if gate.free != 1 || len(gate.waiters) != 0 {
		t.Errorf("after the handshakes: %d free, %d waiting; want 1 and 0", gate.free, len(gate.waiters))
	}
}
