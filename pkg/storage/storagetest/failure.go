package storagetest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/apiserver/apiserver/pkg/storage"
)

// testUnstructured runs the basic calls on a cluster-scoped custom
// resource kept as unstructured objects, as registries of custom resources
// will.
func testUnstructured(t *testing.T, b Backend) {
	s := b.NewStore(t, StoreConfig{
		Resource:    schema.GroupResource{Group: "example.com", Resource: "widgets"},
		NewFunc:     func() runtime.Object { return &unstructured.Unstructured{} },
		NewListFunc: func() runtime.Object { return &unstructured.UnstructuredList{} },
	})
	widget := func(name string, size int64) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("example.com/v1")
		u.SetKind("Widget")
		u.SetName(name)
		_ = unstructured.SetNestedField(u.Object, size, "spec", "size")
		return u
	}
	w := startWatch(t, s, storage.Key{}, storage.ListOptions{ResourceVersion: currentRV(t, s), Recursive: true})
	out := &unstructured.Unstructured{}
	if err := s.Create(ctx(t), storage.Key{Name: "w1"}, widget("w1", 1), out); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx(t), storage.Key{Namespace: "ns", Name: "w2"}, widget("w2", 1), out); !storage.IsInvalidRequest(err) {
		t.Errorf("create with a namespace in a cluster-scoped resource: %v; want an invalid request", err)
	}
	err := s.GuaranteedUpdate(ctx(t), storage.Key{Name: "w1"}, out, storage.UpdateOptions{}, func(in runtime.Object) (runtime.Object, error) {
		u := in.(*unstructured.Unstructured).DeepCopy()
		return u, unstructured.SetNestedField(u.Object, int64(2), "spec", "size")
	})
	if err != nil {
		t.Fatal(err)
	}
	list := &unstructured.UnstructuredList{}
	if err := s.GetList(ctx(t), storage.Key{}, storage.ListOptions{Recursive: true}, list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].GetResourceVersion() != out.GetResourceVersion() {
		t.Fatalf("list = %v; want w1 at %s", list.Items, out.GetResourceVersion())
	}
	if size, _, _ := unstructured.NestedInt64(list.Items[0].Object, "spec", "size"); size != 2 {
		t.Errorf("size = %d; want 2", size)
	}
	for _, want := range []watch.EventType{watch.Added, watch.Modified} {
		if ev := next(t, w); ev.Type != want || ev.Object.(*unstructured.Unstructured).GetName() != "w1" {
			t.Errorf("event %s %v; want %s w1", ev.Type, ev.Object, want)
		}
	}
}

// testCompaction: after compaction a continue token, an exact list or a
// new watch from before it get 410 Expired; a watch already running goes on.
func testCompaction(t *testing.T, b Backend) {
	if b.Compact == nil {
		t.Skip("the backend cannot compact")
	}
	s := newConfigMapStore(t, b)
	createMany(t, s, "ns", 10, 2)
	page := &corev1.ConfigMapList{}
	if err := s.GetList(ctx(t), key("ns", ""), storage.ListOptions{Recursive: true, Limit: 3}, page); err != nil {
		t.Fatal(err)
	}
	old := page.ResourceVersion
	running := startWatch(t, s, key("ns", ""), storage.ListOptions{ResourceVersion: old, Recursive: true})
	// Two writes: a watch from old starts at old+1, which must be compacted.
	for _, v := range []string{"after", "again"} {
		update(t, s, "ns", itemName(0), setV(v))
		if ev := toEvent(t, next(t, running)); ev.Type != watch.Modified {
			t.Fatalf("event %v; want MODIFIED", ev)
		}
	}
	b.Compact(t)

	expired := func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrResourceExpired) {
			t.Fatalf("error = %v; want resource expired", err)
		}
		if st := storage.ToStatusError(err, configMaps, "").Status(); st.Code != http.StatusGone || st.Reason != metav1.StatusReasonExpired {
			t.Errorf("status = %d %s; want 410 Expired", st.Code, st.Reason)
		}
	}
	t.Run("continue token", func(t *testing.T) {
		err := s.GetList(ctx(t), key("ns", ""), storage.ListOptions{Recursive: true, Limit: 3, Continue: page.Continue}, &corev1.ConfigMapList{})
		expired(t, err)
	})
	t.Run("exact list", func(t *testing.T) {
		err := s.GetList(ctx(t), key("ns", ""), storage.ListOptions{Recursive: true, ResourceVersion: old,
			ResourceVersionMatch: metav1.ResourceVersionMatchExact}, &corev1.ConfigMapList{})
		expired(t, err)
	})
	t.Run("new watch", func(t *testing.T) {
		w := startWatch(t, s, key("ns", ""), storage.ListOptions{ResourceVersion: old, Recursive: true})
		if b.WatchCache {
			// The cache's window still holds the two updates.
			for range 2 {
				if ev := toEvent(t, next(t, w)); ev.Type != watch.Modified || ev.Name != "ns/"+itemName(0) {
					t.Fatalf("event %v; want MODIFIED %s from the cache's window", ev, itemName(0))
				}
			}
			return
		}
		ev := next(t, w)
		st, ok := ev.Object.(*metav1.Status)
		if ev.Type != watch.Error || !ok || st.Code != http.StatusGone || st.Reason != metav1.StatusReasonExpired {
			t.Fatalf("first event = %s %#v; want ERROR 410 Expired", ev.Type, ev.Object)
		}
		if _, ok := <-w.ResultChan(); ok {
			t.Error("the watch sent more after its ERROR event")
		}
	})
	t.Run("running watch", func(t *testing.T) {
		update(t, s, "ns", itemName(1), setV("after"))
		if ev := toEvent(t, next(t, running)); ev.Type != watch.Modified || ev.Name != "ns/"+itemName(1) {
			t.Fatalf("event %v; want MODIFIED %s", ev, itemName(1))
		}
	})
}

// testUnavailable: with the backend frozen, every call fails within its
// deadline with the retryable unavailable error; after thawing, the same
// store works again, and a watch opened before resumes.
func testUnavailable(t *testing.T, b Backend) {
	if b.Freeze == nil || b.Thaw == nil {
		t.Skip("the backend cannot be frozen")
	}
	const requestTimeout = 2 * time.Second
	s := newConfigMapStore(t, b, func(c *StoreConfig) { c.RequestTimeout = requestTimeout })
	mustCreate(t, s, configMap("ns", "foo", nil))
	w := startWatch(t, s, key("ns", ""), storage.ListOptions{ResourceVersion: currentRV(t, s), Recursive: true})

	b.Freeze(t)
	thawed := false
	defer func() {
		if !thawed {
			b.Thaw(t)
		}
	}()
	noop := func(in runtime.Object) (runtime.Object, error) { return in, nil }
	tests := []struct {
		name     string
		deadline time.Duration // 0: the store's RequestTimeout
		call     func(ctx context.Context) error
	}{
		{"get with a deadline", time.Second, func(c context.Context) error {
			return s.Get(c, key("ns", "foo"), storage.GetOptions{}, &corev1.ConfigMap{})
		}},
		{"get without one", 0, func(c context.Context) error {
			return s.Get(c, key("ns", "foo"), storage.GetOptions{}, &corev1.ConfigMap{})
		}},
		{"create", time.Second, func(c context.Context) error {
			return s.Create(c, key("ns", "bar"), configMap("ns", "bar", nil), &corev1.ConfigMap{})
		}},
		{"update", time.Second, func(c context.Context) error {
			return s.GuaranteedUpdate(c, key("ns", "foo"), &corev1.ConfigMap{}, storage.UpdateOptions{}, noop)
		}},
		{"delete", time.Second, func(c context.Context) error {
			return s.Delete(c, key("ns", "foo"), &corev1.ConfigMap{}, storage.DeleteOptions{})
		}},
		{"list", time.Second, func(c context.Context) error {
			return s.GetList(c, key("ns", ""), storage.ListOptions{Recursive: true}, &corev1.ConfigMapList{})
		}},
		{"count", time.Second, func(c context.Context) error {
			_, err := s.Count(c, key("ns", ""))
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, limit := context.Background(), requestTimeout
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				c, cancel = context.WithTimeout(c, tc.deadline)
				defer cancel()
				limit = tc.deadline
			}
			start := time.Now()
			err := tc.call(c)
			took := time.Since(start)
			if !storage.IsUnavailable(err) || !storage.IsRetryable(err) {
				t.Errorf("error = %v; want unavailable", err)
			}
			if took > limit+2*time.Second { // slack for a loaded CI machine
				t.Errorf("call took %s; want it to fail within its %s deadline", took, limit)
			}
		})
	}

	b.Thaw(t)
	thawed = true
	checkRecovered(t, s, w)
}

// checkRecovered waits until s serves again after a thaw and checks that w,
// opened before the freeze, delivers a new write.
func checkRecovered(t *testing.T, s storage.Interface, w watch.Interface) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		// A write that timed out may still be applied after the thaw: its
		// outcome is unknown. So "foo" may be gone.
		err := s.Get(ctx(t), key("ns", "foo"), storage.GetOptions{}, &corev1.ConfigMap{})
		if err == nil || storage.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store does not work after thawing: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	c := mustCreate(t, s, configMap("ns", "after", nil))
	for {
		ev := toEvent(t, next(t, w))
		if ev.Name == "ns/after" {
			if ev.Type != watch.Added || ev.RV != rv(t, c) {
				t.Fatalf("after thawing the watch sent %v; want ADDED ns/after at %d", ev, rv(t, c))
			}
			break
		}
		if ev.Name != "ns/foo" && ev.Name != "ns/bar" { // the timed-out writes
			t.Fatalf("after thawing the watch sent %v; want ADDED ns/after", ev)
		}
	}
}
