package etcd3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/time/rate"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/healthz"
)

// probe is a rate-limited health read of one key. Probes may arrive from
// every load balancer and kubelet at once; at most one read reaches etcd per
// half timeout, and callers in between get the last result.
type probe struct {
	name    string
	client  *clientv3.Client
	key     string
	timeout time.Duration

	// mu is held by the one probe reading etcd; lastMu guards lastErr.
	mu      sync.Mutex
	limiter *rate.Limiter
	lastMu  sync.Mutex
	lastErr error
	checked atomic.Bool
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
		limiter: rate.NewLimiter(rate.Every(timeout/2), 1),
		lastErr: errors.New("not checked yet"),
	}
}

func (p *probe) Name() string { return p.name }

func (p *probe) last() error {
	p.lastMu.Lock()
	defer p.lastMu.Unlock()
	return p.lastErr
}

// Check implements healthz.HealthChecker. While one probe reads, others get
// the last result at once instead of queueing behind a slow etcd; only the
// very first probes wait, as there is no result yet to give.
func (p *probe) Check(r *http.Request) error {
	if !p.mu.TryLock() {
		if p.checked.Load() {
			return p.last()
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.checked.Load() {
			return p.last()
		}
	} else {
		defer p.mu.Unlock()
	}
	if !p.limiter.Allow() {
		return p.last()
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	start := time.Now()
	_, err := p.client.Get(ctx, p.key, clientv3.WithCountOnly())
	if err != nil {
		err = fmt.Errorf("etcd read of %s failed after %s: %w", p.key, time.Since(start).Round(time.Millisecond), err)
		klog.V(2).InfoS("Etcd health probe failed", "check", p.name, "err", err)
	}
	p.lastMu.Lock()
	p.lastErr = err
	p.lastMu.Unlock()
	p.checked.Store(true)
	return err
}
