package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/storage"
)

// StoreConfig is what a test asks of a new store. Zero durations and sizes
// take the backend's defaults.
type StoreConfig struct {
	Resource             schema.GroupResource
	NamespaceScoped      bool
	NewFunc              func() runtime.Object
	NewListFunc          func() runtime.Object
	RequestTimeout       time.Duration
	WatchBufferSize      int
	WatchOverloadTimeout time.Duration
}

// Backend makes stores for the suite.
type Backend struct {
	// NewStore returns a store for cfg over a key range no other store of
	// the test uses.
	NewStore func(t *testing.T, cfg StoreConfig) storage.Interface
	// Compact compacts the backend's history up to its current revision.
	Compact func(t *testing.T)
	// Freeze and Thaw stop and resume the backend process; when nil, the
	// tests that need them are skipped.
	Freeze, Thaw func(t *testing.T)
	// WatchCache is set for stores that serve watches from a cache with a
	// window of recent events: as kube-apiserver's watch cache, they
	// resume a watch from a revision still in the window even after etcd
	// compacted it.
	WatchCache bool
}

// RunTests runs the suite against b. Subtests run one after another: they
// share one backend, and compaction affects all of it.
func RunTests(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"Create", testCreate},
		{"InvalidKeys", testInvalidKeys},
		{"Get", testGet},
		{"GuaranteedUpdate", testGuaranteedUpdate},
		{"ConcurrentCounter", testConcurrentCounter},
		{"Delete", testDelete},
		{"Count", testCount},
		{"GetList", testGetList},
		{"ListResourceVersion", testListResourceVersion},
		{"Pagination", testPagination},
		{"PaginationUnderWrites", testPaginationUnderWrites},
		{"Watch", testWatch},
		{"WatchPredicate", testWatchPredicate},
		{"WatchInitialEvents", testWatchInitialEvents},
		{"WatchSendInitialEvents", testWatchSendInitialEvents},
		{"WatchStop", testWatchStop},
		{"WatchTenThousand", testWatchTenThousand},
		{"WatchSlowConsumer", testWatchSlowConsumer},
		{"Unstructured", testUnstructured},
		{"Compaction", testCompaction},
		{"Unavailable", testUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}

var configMaps = schema.GroupResource{Resource: "configmaps"}

// newConfigMapStore returns a store of core/v1 ConfigMaps.
func newConfigMapStore(t *testing.T, b Backend, opts ...func(*StoreConfig)) storage.Interface {
	t.Helper()
	cfg := StoreConfig{
		Resource:        configMaps,
		NamespaceScoped: true,
		NewFunc:         func() runtime.Object { return &corev1.ConfigMap{} },
		NewListFunc:     func() runtime.Object { return &corev1.ConfigMapList{} },
	}
	for _, o := range opts {
		o(&cfg)
	}
	return b.NewStore(t, cfg)
}

func configMap(ns, name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Data:       data,
	}
}

func key(ns, name string) storage.Key { return storage.Key{Namespace: ns, Name: name} }

// mustCreate creates a ConfigMap and returns it as stored.
func mustCreate(t testing.TB, s storage.Interface, cm *corev1.ConfigMap) *corev1.ConfigMap {
	t.Helper()
	out := &corev1.ConfigMap{}
	if err := s.Create(ctx(t), key(cm.Namespace, cm.Name), cm, out); err != nil {
		t.Fatalf("creating %s/%s: %v", cm.Namespace, cm.Name, err)
	}
	return out
}

// createMany creates n ConfigMaps name-00000... in ns with workers
// goroutines and returns their resourceVersions by index.
func createMany(t testing.TB, s storage.Interface, ns string, n, workers int) []int64 {
	t.Helper()
	rvs := make([]int64, n)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				out := &corev1.ConfigMap{}
				cm := configMap(ns, itemName(i), map[string]string{"i": fmt.Sprint(i)})
				if err := s.Create(context.Background(), key(ns, cm.Name), cm, out); err != nil {
					errs <- err
					return
				}
				rvs[i] = rv(t, out)
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatalf("creating %d objects: %v", n, err)
	}
	return rvs
}

func itemName(i int) string { return fmt.Sprintf("item-%05d", i) }

// rv returns an object's resourceVersion as a number.
func rv(t testing.TB, obj runtime.Object) int64 {
	t.Helper()
	v, err := storage.ObjectResourceVersion(obj)
	if err != nil || v == 0 {
		t.Fatalf("object %T has resourceVersion %d (%v); want a positive one", obj, v, err)
	}
	return v
}

// ctx is a test context with a deadline, so that a hung call fails the
// test instead of hanging it.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantCode fails the test unless err is a *storage.Error of code.
func wantCode(t testing.TB, err error, code storage.ErrorCode) {
	t.Helper()
	var se *storage.Error
	if !errors.As(err, &se) || se.Code != code {
		t.Fatalf("error = %v; want a %q storage error", err, code)
	}
}

// listRV returns a list's resourceVersion as a number.
func listRV(t testing.TB, list runtime.Object) int64 {
	t.Helper()
	m, err := meta.ListAccessor(list)
	if err != nil {
		t.Fatal(err)
	}
	v, err := storage.ParseResourceVersion(m.GetResourceVersion())
	if err != nil || v == 0 {
		t.Fatalf("list %T has resourceVersion %q (%v); want a positive one", list, m.GetResourceVersion(), err)
	}
	return v
}
