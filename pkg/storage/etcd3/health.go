package etcd3

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/healthz"
)

// probe is a rate-limited health read of one key. Probes may arrive from
// every load balancer and kubelet at once; at most one read reaches etcd at
// a time, and a result is reused for half the timeout.
//
// No caller gets a result older than that: while a read is under way,
// callers wait for it (at most the timeout, which bounds the read) instead
// of taking the previous result, which after etcd stops answering would be
// a stale "healthy" for as long as the read waits.
type probe struct {
	name    string
	client  *clientv3.Client
	key     string
	timeout time.Duration

	mu sync.Mutex
	// inflight is the read under way, if any.
	inflight *reading
	// last is the result of the last read, and lastStart when it began:
	// the result says nothing older than that about etcd.
	last      error
	lastStart time.Time
	checked   bool
}

// reading is one read of the health key, shared by the callers that arrive
// while it runs.
type reading struct {
	done  chan struct{}
	err   error
	start time.Time
}

var _ healthz.HealthChecker = (*probe)(nil)

// NewHealthCheck returns a check called name that reads <prefix>/health
// within timeout. A missing key is healthy: the read itself is the test.
func NewHealthCheck(name string, client *clientv3.Client, prefix string, timeout time.Duration) healthz.HealthChecker {
	return &probe{
		name:    name,
		client:  client,
		key:     path.Join("/", prefix, "health"),
		timeout: timeout,
	}
}

func (p *probe) Name() string { return p.name }

// Check implements healthz.HealthChecker. It answers with the last result
// when that read began less than half the timeout ago, and otherwise with
// the read under way or one it starts: every answer comes within the
// timeout, and none is older than half of it.
func (p *probe) Check(*http.Request) error {
	p.mu.Lock()
	if p.checked && time.Since(p.lastStart) < p.timeout/2 {
		err := p.last
		p.mu.Unlock()
		return err
	}
	if f := p.inflight; f != nil {
		p.mu.Unlock()
		<-f.done // the read is bounded by the timeout
		return f.err
	}
	f := &reading{done: make(chan struct{}), start: time.Now()}
	p.inflight = f
	p.mu.Unlock()

	f.err = p.read()
	p.mu.Lock()
	p.inflight = nil
	p.last, p.lastStart, p.checked = f.err, f.start, true
	p.mu.Unlock()
	close(f.done)
	return f.err
}

// read reads the health key within the timeout.
func (p *probe) read() error {
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	start := time.Now()
	_, err := p.client.Get(ctx, p.key, clientv3.WithCountOnly())
	if err != nil {
		err = fmt.Errorf("etcd read of %s failed after %s: %w", p.key, time.Since(start).Round(time.Millisecond), err)
		klog.V(2).InfoS("Etcd health probe failed", "check", p.name, "err", err)
	}
	return err
}
