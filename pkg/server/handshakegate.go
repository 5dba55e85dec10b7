package server

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A TLS handshake's costly part is the server's: after the ClientHello
// arrives it computes the key exchange (X25519 with ML-KEM-768 for today's
// Go clients, ~0.2–0.5 ms of CPU) and signs, before it writes its first
// flight. A burst of new connections (a client opening one per request,
// clients reconnecting after a restart) makes every goroutine of the
// server, and every new client, wait behind all of those computations at
// once. handshakeGate lets at most a few handshakes compute at a time and,
// when more wait, admits the newest first: under a burst, the connections
// that have waited longest are the likeliest to have been given up by
// their clients already, and a client that arrives later (a probe, a
// controller's single reconnect) is not made to wait for all the others.
// It holds a slot only from a complete ClientHello to the server's first
// write, so a client that sends slowly never holds one.
type handshakeGate struct {
	mu      sync.Mutex
	free    int
	waiters []chan struct{} // newest last
	// maxWait bounds a handshake's wait for a slot; past it the
	// connection is refused, as its client has most likely given up.
	maxWait time.Duration
}

// handshakeQueueTimeout is how long a ClientHello waits for a slot:
// client-go's TLS handshake timeout.
const handshakeQueueTimeout = 10 * time.Second

// errHandshakeQueue ends a handshake that waited handshakeQueueTimeout.
var errHandshakeQueue = errors.New("TLS handshake not started: too many handshakes in progress")

func newHandshakeGate(slots int, maxWait time.Duration) *handshakeGate {
	return &handshakeGate{free: slots, maxWait: maxWait}
}

// acquire waits for a slot until closed is closed or maxWait passes.
func (g *handshakeGate) acquire(closed <-chan struct{}) error {
	g.mu.Lock()
	if g.free > 0 {
		g.free--
		g.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	g.waiters = append(g.waiters, ch)
	g.mu.Unlock()

	timer := time.NewTimer(g.maxWait)
	defer timer.Stop()
	var err error
	select {
	case <-ch:
		return nil
	case <-closed:
		err = net.ErrClosed
	case <-timer.C:
		err = errHandshakeQueue
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, w := range g.waiters {
		if w == ch {
			g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
			return err
		}
	}
	// Granted while giving up: pass the slot on.
	g.releaseLocked()
	return err
}

func (g *handshakeGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.releaseLocked()
}

func (g *handshakeGate) releaseLocked() {
	if n := len(g.waiters); n > 0 {
		close(g.waiters[n-1])
		g.waiters[n-1] = nil
		g.waiters = g.waiters[:n-1]
		return
	}
	g.free++
}

// gatedListener hands out connections whose TLS handshake passes gate.
type gatedListener struct {
	net.Listener
	gate *handshakeGate
}

// newGatedListener gates ln's handshakes, GOMAXPROCS at a time: one per
// processor keeps every core computing.
func newGatedListener(ln net.Listener) net.Listener {
	return gatedListener{Listener: ln, gate: newHandshakeGate(runtime.GOMAXPROCS(0), handshakeQueueTimeout)}
}

func (l gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, gate: l.gate, closed: make(chan struct{})}, nil
}

// States of a gatedConn.
const (
	helloPending int32 = iota // reading the ClientHello's record
	holding                   // the server computes its first flight
	passed                    // everything else: no gate
)

// gatedConn takes a gate slot once the first TLS record (the ClientHello)
// is wholly read and gives it back at the first write, the next read or
// close, whichever comes first. After that it only passes calls on.
type gatedConn struct {
	net.Conn
	gate   *handshakeGate
	state  atomic.Int32
	header [5]byte // the first record's header: type, version, length
	seen   int     // bytes read so far while helloPending

	closeOnce sync.Once
	closed    chan struct{}
}

func (c *gatedConn) Read(p []byte) (int, error) {
	switch c.state.Load() {
	case passed:
		return c.Conn.Read(p)
	case holding:
		// A ClientHello in more than one record: what follows may come
		// slowly, so it is read without the slot.
		c.pass()
		return c.Conn.Read(p)
	}
	n, err := c.Conn.Read(p)
	if n == 0 {
		return n, err
	}
	if c.seen < len(c.header) {
		copy(c.header[c.seen:], p[:n])
	}
	c.seen += n
	if c.seen < len(c.header) {
		return n, err
	}
	const recordTypeHandshake = 22
	if c.header[0] != recordTypeHandshake {
		// Not TLS (plain HTTP to the secure port, say): crypto/tls
		// answers it without any costly work.
		c.state.Store(passed)
		return n, err
	}
	if length := int(c.header[3])<<8 | int(c.header[4]); c.seen < len(c.header)+length {
		return n, err
	}
	if gateErr := c.gate.acquire(c.closed); gateErr != nil {
		c.state.Store(passed)
		return n, gateErr
	}
	c.state.Store(holding)
	return n, err
}

func (c *gatedConn) Write(p []byte) (int, error) {
	if c.state.Load() == holding {
		c.pass()
	}
	return c.Conn.Write(p)
}

func (c *gatedConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	c.pass()
	return c.Conn.Close()
}

// pass ends the gated part, giving the slot back if this conn holds one.
func (c *gatedConn) pass() {
	if c.state.CompareAndSwap(holding, passed) {
		c.gate.release()
	}
}
