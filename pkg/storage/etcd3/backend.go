package etcd3

import (
	"context"
	"fmt"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/embeddedetcd"
	"github.com/apiserver/apiserver/pkg/healthz"
	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/cacher"
)

// Backend is the one etcd connection a process shares between all its
// servers and stores, together with the embedded member behind it, if any.
type Backend struct {
	config   storage.Config
	client   *clientv3.Client
	embedded *embeddedetcd.Server
	health   healthz.HealthChecker
	ready    healthz.HealthChecker

	// caches are the watch caches of the resources, one each, shared by
	// every store of the resource (its subresources too).
	cachesMu sync.Mutex
	caches   map[schema.GroupResource]*cacher.Cacher

	closeOnce sync.Once
}

// OpenBackend starts the embedded etcd member when embedded is not nil (and
// points cfg at it), then creates the client.
func OpenBackend(ctx context.Context, cfg storage.Config, embedded *embeddedetcd.Config) (*Backend, error) {
	b := &Backend{}
	if embedded != nil {
		srv, err := embeddedetcd.Start(ctx, *embedded)
		if err != nil {
			return nil, err
		}
		b.embedded = srv
		caFile, pair := srv.ClientTLS()
		cfg.Servers = []string{srv.Endpoint()}
		cfg.CAFile, cfg.CertFile, cfg.KeyFile = caFile, pair.CertFile, pair.KeyFile
	}
	client, err := NewClient(cfg)
	if err != nil {
		if b.embedded != nil {
			b.embedded.Close()
		}
		return nil, err
	}
	b.config, b.client = cfg, client
	b.health = NewHealthCheck("etcd", client, cfg.Prefix, cfg.HealthcheckTimeout)
	b.ready = NewHealthCheck("etcd-readiness", client, cfg.Prefix, cfg.ReadycheckTimeout)
	return b, nil
}

// Config is the storage configuration in effect, pointing at the embedded
// member when there is one.
func (b *Backend) Config() storage.Config { return b.config }

// Client is the shared etcd client.
func (b *Backend) Client() *clientv3.Client { return b.client }

// HealthCheck is the "etcd" check, served on /healthz, /livez and /readyz.
func (b *Backend) HealthCheck() healthz.HealthChecker { return b.health }

// ReadinessCheck is the "etcd-readiness" check, served on /readyz only.
func (b *Backend) ReadinessCheck() healthz.HealthChecker { return b.ready }

// Err delivers a fatal error of the embedded member; it is nil (blocks
// forever) for an external cluster.
func (b *Backend) Err() <-chan error {
	if b.embedded == nil {
		return nil
	}
	return b.embedded.Err()
}

// NewStore returns a Store of resource on the backend's client, prefix and
// encryption at rest, reading the current revision from the embedded
// member when there is one.
func (b *Backend) NewStore(resource schema.GroupResource, namespaced bool, newFunc func() runtime.Object) (*Store, error) {
	cfg := Config{
		Client:          b.client,
		Prefix:          b.config.Prefix,
		Resource:        resource,
		NamespaceScoped: namespaced,
		NewFunc:         newFunc,
		Transformer:     b.config.Transformers[resource],
	}
	if b.embedded != nil {
		cfg.Revision = b.embedded.Revision
	}
	return New(cfg)
}

// Cached returns st behind the watch cache of its resource when the
// configuration asks for one: writes go to st, watches and cached reads to
// the resource's one cache, started by the first store of the resource.
func (b *Backend) Cached(st *Store, newFunc, newListFunc func() runtime.Object) storage.Interface {
	if !b.config.WatchCache || newListFunc == nil {
		return st
	}
	b.cachesMu.Lock()
	defer b.cachesMu.Unlock()
	c, ok := b.caches[st.resource]
	if !ok {
		if b.caches == nil {
			b.caches = map[schema.GroupResource]*cacher.Cacher{}
		}
		c = cacher.New(cacher.Config{
			Storage: st, Keys: st.Keys(), Resource: st.resource,
			NewFunc: newFunc, NewListFunc: newListFunc, Window: b.config.WatchCacheSize,
		})
		b.caches[st.resource] = c
	}
	return c.WithWrites(st)
}

// Close closes the client, then stops the embedded member. It is safe to
// call more than once.
func (b *Backend) Close() error {
	var err error
	b.closeOnce.Do(func() {
		b.cachesMu.Lock()
		for _, c := range b.caches {
			c.Stop()
		}
		b.caches = nil
		b.cachesMu.Unlock()
		if cerr := b.client.Close(); cerr != nil {
			err = fmt.Errorf("closing etcd client: %w", cerr)
		}
		if b.embedded != nil {
			b.embedded.Close()
		}
	})
	return err
}
