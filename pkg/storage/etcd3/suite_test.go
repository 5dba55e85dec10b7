package etcd3_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
	"github.com/apiserver/apiserver/pkg/storage/storagetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestStoreEmbedded runs the behaviour suite against the in-process etcd.
func TestStoreEmbedded(t *testing.T) {
	cfg := etcdtest.StartEmbedded(t)
	storagetest.RunTests(t, backend(etcdtest.NewClient(t, cfg), cfg.Prefix, nil))
}

// TestStoreExternal runs the suite against Debian's etcd (3.4) as a
// process, which can also be frozen.
func TestStoreExternal(t *testing.T) {
	e := etcdtest.StartExternal(t)
	storagetest.RunTests(t, backend(etcdtest.NewClient(t, e.Config), e.Config.Prefix, e))
}

var stores atomic.Int64

// backend gives each store its own prefix under prefix.
func backend(client *clientv3.Client, prefix string, e *etcdtest.External) storagetest.Backend {
	b := storagetest.Backend{
		NewStore: func(t *testing.T, c storagetest.StoreConfig) storage.Interface {
			t.Helper()
			s, err := etcd3.New(etcd3.Config{
				Client:               client,
				Prefix:               fmt.Sprintf("%s/s%d", prefix, stores.Add(1)),
				Resource:             c.Resource,
				NamespaceScoped:      c.NamespaceScoped,
				NewFunc:              c.NewFunc,
				RequestTimeout:       c.RequestTimeout,
				WatchBufferSize:      c.WatchBufferSize,
				WatchOverloadTimeout: c.WatchOverloadTimeout,
			})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Compact: func(t *testing.T) { etcdtest.Compact(t, client) },
	}
	if e != nil {
		b.Freeze, b.Thaw = func(t *testing.T) { e.Freeze(t) }, func(t *testing.T) { e.Thaw(t) }
	}
	return b
}
