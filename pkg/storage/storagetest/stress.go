package storagetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/storage"
)

// testPaginationUnderWrites lists 10,000 keys 500 at a time while 1,000
// creates, updates and deletes go on between the pages: the pages hold the
// snapshot of the first page's revision, each key exactly once.
func testPaginationUnderWrites(t *testing.T, b Backend) {
	const (
		keys, limit, writes = 10000, 500, 1000
		writers             = 4
	)
	s := newConfigMapStore(t, b)
	h := &history{writes: map[string][]write{}}
	for i, rv := range createMany(t, s, "ns", keys, 8) {
		h.add(itemName(i), write{rev: rv, exists: true, data: fmt.Sprint(i)})
	}

	// Writers take tickets, so that each page lets exactly writes/pages
	// writes happen before the next.
	tickets := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Bool
	for range writers {
		wg.Go(func() {
			for i := range tickets {
				if err := writeOne(s, h, i); err != nil {
					t.Errorf("write %d: %v", i, err)
					failed.Store(true)
				}
			}
		})
	}
	defer func() {
		close(tickets)
		wg.Wait()
	}()

	next := 0
	seen, snapRV := pageThrough(t, s, limit, func() {
		for range writes / (keys / limit) {
			if failed.Load() {
				t.FailNow()
			}
			tickets <- next
			next++
		}
	})
	for ; next < writes; next++ {
		tickets <- next
	}
	want := h.at(snapRV)

	checkExactSnapshot(t, s, snapRV, want)
	if len(seen) != len(want) {
		t.Errorf("pages hold %d keys; the snapshot at %d has %d", len(seen), snapRV, len(want))
	}
	for name, data := range want {
		if got, ok := seen[name]; !ok || got != data {
			t.Errorf("%s: pages have %q (present %v); the snapshot has %q", name, got, ok, data)
		}
	}
}

// pageThrough lists namespace "ns" limit objects at a time, calling
// afterPage after each page, and returns each object's data by name and the
// list's revision. It fails the test if a key repeats or is newer than the
// list.
func pageThrough(t *testing.T, s storage.Interface, limit int64, afterPage func()) (map[string]string, int64) {
	seen := map[string]string{}
	opts := storage.ListOptions{Recursive: true, Limit: limit}
	var snapRV int64
	for page := 0; ; page++ {
		list := &corev1.ConfigMapList{}
		if err := s.GetList(ctx(t), key("ns", ""), opts, list); err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if page == 0 {
			snapRV = listRV(t, list)
		}
		for _, cm := range list.Items {
			if _, dup := seen[cm.Name]; dup {
				t.Fatalf("page %d repeats %s", page, cm.Name)
			}
			if rv(t, &cm) > snapRV {
				t.Fatalf("page %d has %s at resourceVersion %s, after the list's %d", page, cm.Name, cm.ResourceVersion, snapRV)
			}
			seen[cm.Name] = cm.Data["i"]
		}
		afterPage()
		if list.Continue == "" {
			return seen, snapRV
		}
		opts.Continue = list.Continue
	}
}

// checkExactSnapshot reads the snapshot at snapRV in one exact list and
// compares it, in key order, with want.
func checkExactSnapshot(t *testing.T, s storage.Interface, snapRV int64, want map[string]string) {
	t.Helper()
	whole := &corev1.ConfigMapList{}
	err := s.GetList(ctx(t), key("ns", ""), storage.ListOptions{Recursive: true,
		ResourceVersion: storage.FormatResourceVersion(snapRV), ResourceVersionMatch: metav1.ResourceVersionMatchExact}, whole)
	if err != nil {
		t.Fatalf("exact list at %d: %v", snapRV, err)
	}
	sorted := slices.IsSortedFunc(whole.Items, func(a, b corev1.ConfigMap) int { return strings.Compare(a.Name, b.Name) })
	if len(whole.Items) != len(want) || !sorted {
		t.Errorf("exact list at %d has %d items (sorted: %v); want %d in key order", snapRV, len(whole.Items), sorted, len(want))
	}
	for _, cm := range whole.Items {
		if want[cm.Name] != cm.Data["i"] {
			t.Errorf("exact list: %s has %q; the snapshot has %q", cm.Name, cm.Data["i"], want[cm.Name])
		}
	}
}

// writeOne makes the i-th concurrent write: in turn an update, a create
// and a delete, spread over the key range.
func writeOne(s storage.Interface, h *history, i int) error {
	ctx := context.Background()
	switch i % 3 {
	case 0:
		name := itemName((i * 7) % 10000)
		out := &corev1.ConfigMap{}
		err := s.GuaranteedUpdate(ctx, key("ns", name), out, storage.UpdateOptions{}, func(in runtime.Object) (runtime.Object, error) {
			cm := in.(*corev1.ConfigMap).DeepCopy()
			cm.Data = map[string]string{"i": fmt.Sprintf("updated-%d", i)}
			return cm, nil
		})
		if storage.IsNotFound(err) {
			return nil // deleted by an earlier write
		}
		if err == nil {
			h.add(name, write{rev: mustRV(out), exists: true, data: out.Data["i"]})
		}
		return err
	case 1:
		name := fmt.Sprintf("item-%05d-new-%d", (i*13)%10000, i)
		out := &corev1.ConfigMap{}
		err := s.Create(ctx, key("ns", name), configMap("ns", name, map[string]string{"i": "new"}), out)
		if err == nil {
			h.add(name, write{rev: mustRV(out), exists: true, data: "new"})
		}
		return err
	default:
		name := itemName((i * 11) % 10000)
		out := &corev1.ConfigMap{}
		err := s.Delete(ctx, key("ns", name), out, storage.DeleteOptions{})
		if storage.IsNotFound(err) {
			return nil
		}
		if err == nil {
			h.add(name, write{rev: mustRV(out), exists: false})
		}
		return err
	}
}

func mustRV(obj runtime.Object) int64 {
	v, err := storage.ObjectResourceVersion(obj)
	if err != nil {
		panic(err)
	}
	return v
}
