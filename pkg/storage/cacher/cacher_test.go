package cacher_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/apiserver/apiserver/pkg/metrics"
	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/cacher"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
	"github.com/apiserver/apiserver/pkg/storage/storagetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestCacherEmbedded runs the storage suite against the watch cache in
// front of the in-process etcd.
func TestCacherEmbedded(t *testing.T) {
	cfg := etcdtest.StartEmbedded(t)
	storagetest.RunTests(t, backend(etcdtest.NewClient(t, cfg), cfg.Prefix, nil))
}

// TestCacherExternal runs it in front of Debian's etcd, which can be
// frozen.
func TestCacherExternal(t *testing.T) {
	e := etcdtest.StartExternal(t)
	storagetest.RunTests(t, backend(etcdtest.NewClient(t, e.Config), e.Config.Prefix, e))
}

var stores atomic.Int64

func backend(client *clientv3.Client, prefix string, e *etcdtest.External) storagetest.Backend {
	b := storagetest.Backend{
		NewStore: func(t *testing.T, c storagetest.StoreConfig) storage.Interface {
			t.Helper()
			s, err := etcd3.New(etcd3.Config{
				Client:          client,
				Prefix:          fmt.Sprintf("%s/c%d", prefix, stores.Add(1)),
				Resource:        c.Resource,
				NamespaceScoped: c.NamespaceScoped,
				NewFunc:         c.NewFunc,
				RequestTimeout:  c.RequestTimeout,
			})
			if err != nil {
				t.Fatal(err)
			}
			cache := cacher.New(cacher.Config{
				Storage: s, Keys: s.Keys(), Resource: c.Resource, NewFunc: c.NewFunc, NewListFunc: c.NewListFunc,
				WatchBufferSize: c.WatchBufferSize, WatchOverloadTimeout: c.WatchOverloadTimeout,
			})
			t.Cleanup(cache.Stop)
			return cache
		},
		Compact:    func(t *testing.T) { etcdtest.Compact(t, client) },
		WatchCache: true,
	}
	if e != nil {
		b.Freeze, b.Thaw = func(t *testing.T) { e.Freeze(t) }, func(t *testing.T) { e.Thaw(t) }
	}
	return b
}

// TestWindow: a watch resumes from any revision the window still holds,
// and from an older one through etcd, until etcd compacted it: then it ends
// at once with 410 Gone, so that the client lists again. A read at
// resourceVersion "0" sees the writes made through the cache.
func TestWindow(t *testing.T) {
	cfg := etcdtest.StartEmbedded(t)
	client := etcdtest.NewClient(t, cfg)
	s, err := etcd3.New(etcd3.Config{Client: client, Prefix: cfg.Prefix, Resource: configMaps, NamespaceScoped: true, NewFunc: newConfigMap})
	if err != nil {
		t.Fatal(err)
	}
	c := cacher.New(cacher.Config{Storage: s, Keys: s.Keys(), Resource: configMaps, NewFunc: newConfigMap, NewListFunc: newConfigMapList, Window: 16})
	defer c.Stop()
	var rvs []string
	for i := range 40 {
		out := &corev1.ConfigMap{}
		name := fmt.Sprintf("cm-%02d", i)
		if err := c.Create(t.Context(), storage.Key{Namespace: "ns", Name: name}, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}, out); err != nil {
			t.Fatal(err)
		}
		rvs = append(rvs, out.ResourceVersion)
	}
	list := &corev1.ConfigMapList{}
	if err := c.GetList(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true, ResourceVersion: "0"}, list); err != nil || len(list.Items) != 40 {
		t.Fatalf("list at resourceVersion 0 = %d items, %v; want the 40 written", len(list.Items), err)
	}
	recent, err := c.Watch(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true, ResourceVersion: rvs[35]})
	if err != nil {
		t.Fatal(err)
	}
	defer recent.Stop()
	for _, want := range rvs[36:] {
		ev := <-recent.ResultChan()
		if cm, ok := ev.Object.(*corev1.ConfigMap); ev.Type != watch.Added || !ok || cm.ResourceVersion != want {
			t.Fatalf("resumed watch sent %s %v; want ADDED at %s", ev.Type, ev.Object, want)
		}
	}
	// Older than the window: etcd serves it...
	fromEtcd, err := c.Watch(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true, ResourceVersion: rvs[0]})
	if err != nil {
		t.Fatal(err)
	}
	defer fromEtcd.Stop()
	for _, want := range rvs[1:] {
		ev := <-fromEtcd.ResultChan()
		if cm, ok := ev.Object.(*corev1.ConfigMap); ev.Type != watch.Added || !ok || cm.ResourceVersion != want {
			t.Fatalf("watch from before the window sent %s %v; want ADDED at %s", ev.Type, ev.Object, want)
		}
	}
	// ...until it compacts: then 410 Gone, to list again.
	etcdtest.Compact(t, client)
	old, err := c.Watch(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true, ResourceVersion: rvs[0]})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Stop()
	ev := <-old.ResultChan()
	if st, ok := ev.Object.(*metav1.Status); ev.Type != watch.Error || !ok || st.Code != http.StatusGone || st.Reason != metav1.StatusReasonExpired {
		t.Fatalf("watch from a compacted revision before the window sent %s %#v; want ERROR 410 Expired", ev.Type, ev.Object)
	}
	if _, open := <-old.ResultChan(); open {
		t.Error("the watch went on after its ERROR")
	}
}

var configMaps = schema.GroupResource{Resource: "configmaps"}

func newConfigMap() runtime.Object     { return &corev1.ConfigMap{} }
func newConfigMapList() runtime.Object { return &corev1.ConfigMapList{} }

// TestConsistentListFromCache: a list or get without resourceVersion is
// served from the cache, and still sees every write acknowledged before it, made
// through another store (another replica) or to another resource: the
// cache asks its etcd watch for progress before answering.
func TestConsistentListFromCache(t *testing.T) {
	newStore := embeddedStores(t)
	cached, other, elsewhere := newStore(configMaps), newStore(configMaps), newStore(schema.GroupResource{Resource: "others"})
	c := cacher.New(cacher.Config{Storage: cached, Keys: cached.Keys(), Resource: configMaps, NewFunc: newConfigMap, NewListFunc: newConfigMapList})
	defer c.Stop()
	etcdLists := func() float64 { return etcdRequests(t, "list", "configmaps") }
	// Once the cache is ready (a read at "0" waits for that)...
	if err := c.GetList(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true, ResourceVersion: "0"}, &corev1.ConfigMapList{}); err != nil {
		t.Fatal(err)
	}
	before := etcdLists()
	etcdGets := func() float64 { return etcdRequests(t, "get", "configmaps") }
	beforeGets := etcdGets()
	for i := range 20 {
		name := fmt.Sprintf("cm-%02d", i)
		if err := other.Create(t.Context(), storage.Key{Namespace: "ns", Name: name}, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}, &corev1.ConfigMap{}); err != nil {
			t.Fatal(err)
		}
		// A write elsewhere moves etcd's revision past the cache's range.
		if err := elsewhere.Create(t.Context(), storage.Key{Namespace: "ns", Name: name}, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}, &corev1.ConfigMap{}); err != nil {
			t.Fatal(err)
		}
		list := &corev1.ConfigMapList{}
		if err := c.GetList(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true}, list); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != i+1 {
			t.Fatalf("a consistent list after %d writes holds %d objects", i+1, len(list.Items))
		}
		if err := c.Get(t.Context(), storage.Key{Namespace: "ns", Name: name}, storage.GetOptions{}, &corev1.ConfigMap{}); err != nil {
			t.Fatalf("a consistent get of the object just written: %v", err)
		}
	}
	// ...no consistent read goes to etcd.
	if got := etcdLists() - before; got != 0 {
		t.Errorf("%v etcd lists for 20 consistent lists: not served from the cache", got)
	}
	if got := etcdGets() - beforeGets; got != 0 {
		t.Errorf("%v etcd gets for 20 consistent gets: not served from the cache", got)
	}
}

// etcdRequests reads etcd_request_duration_seconds_count for an operation
// and type.
func etcdRequests(t *testing.T, operation, typ string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "etcd_request_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["operation"] == operation && labels["type"] == typ {
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

// breakable is a store whose watches the test can end, and hold new ones
// until it allows them again: an etcd watch lost for a while.
type breakable struct {
	*etcd3.Store
	mu      sync.Mutex
	watches []watch.Interface
	hold    chan struct{} // closed: watches may start
}

func (b *breakable) Watch(ctx context.Context, k storage.Key, opts storage.ListOptions) (watch.Interface, error) {
	b.mu.Lock()
	hold := b.hold
	b.mu.Unlock()
	select {
	case <-hold:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	w, err := b.Store.Watch(ctx, k, opts)
	if err == nil {
		b.mu.Lock()
		b.watches = append(b.watches, w)
		b.mu.Unlock()
	}
	return w, err
}

// cut ends the running watches and holds new ones until the returned func
// is called.
func (b *breakable) cut() (resume func()) {
	b.mu.Lock()
	hold := make(chan struct{})
	b.hold = hold
	ws := b.watches
	b.watches = nil
	b.mu.Unlock()
	for _, w := range ws {
		w.Stop()
	}
	return func() { close(hold) }
}

// TestRelistAfterCompaction: when the cache's etcd watch is lost and etcd
// compacts the revision it would resume from, the cache lists again: its
// watchers end with 410 Gone (they cannot be told what they missed), and
// what it serves afterwards is etcd's state, deletions included.
func TestRelistAfterCompaction(t *testing.T) {
	cfg := etcdtest.StartEmbedded(t)
	client := etcdtest.NewClient(t, cfg)
	st, err := etcd3.New(etcd3.Config{Client: client, Prefix: cfg.Prefix, Resource: configMaps, NamespaceScoped: true, NewFunc: newConfigMap})
	if err != nil {
		t.Fatal(err)
	}
	b := &breakable{Store: st, hold: make(chan struct{})}
	close(b.hold)
	c := cacher.New(cacher.Config{Storage: b, Keys: st.Keys(), Resource: configMaps, NewFunc: newConfigMap, NewListFunc: newConfigMapList})
	defer c.Stop()
	create := func(s storage.Interface, name string) {
		t.Helper()
		if err := s.Create(t.Context(), storage.Key{Namespace: "ns", Name: name}, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}, &corev1.ConfigMap{}); err != nil {
			t.Fatal(err)
		}
	}
	create(c, "kept")
	create(c, "gone")
	w, err := c.Watch(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true, ResourceVersion: "0"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for range 2 {
		<-w.ResultChan() // the initial ADDED events
	}

	resume := b.cut()
	// Meanwhile, straight in etcd: a delete and a create, then compaction.
	if err := st.Delete(t.Context(), storage.Key{Namespace: "ns", Name: "gone"}, &corev1.ConfigMap{}, storage.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	create(st, "new")
	etcdtest.Compact(t, client)
	resume()

	select {
	case ev := <-w.ResultChan():
		if st, ok := ev.Object.(*metav1.Status); ev.Type != watch.Error || !ok || st.Code != http.StatusGone {
			t.Fatalf("the cache's watcher got %s %#v; want ERROR 410 after the relist", ev.Type, ev.Object)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cache did not list again")
	}
	list := &corev1.ConfigMapList{}
	if err := c.GetList(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true, ResourceVersion: "0"}, list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, cm := range list.Items {
		names = append(names, cm.Name)
	}
	if fmt.Sprint(names) != "[kept new]" {
		t.Errorf("after the relist the cache holds %v, want [kept new]", names)
	}
}

// TestSharedReaders: readers that promised not to modify objects get the
// cache's own (no copy per reader), lists and watches alike, and the others
// get copies.
func TestSharedReaders(t *testing.T) {
	cfg := etcdtest.StartEmbedded(t)
	client := etcdtest.NewClient(t, cfg)
	s, err := etcd3.New(etcd3.Config{Client: client, Prefix: cfg.Prefix, Resource: configMaps, NamespaceScoped: true, NewFunc: newConfigMap})
	if err != nil {
		t.Fatal(err)
	}
	c := cacher.New(cacher.Config{Storage: s, Keys: s.Keys(), Resource: configMaps, NewFunc: newConfigMap, NewListFunc: newConfigMapList})
	defer c.Stop()
	for _, name := range []string{"b", "a", "c"} {
		obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{"l": name}}}
		if err := c.Create(t.Context(), storage.Key{Namespace: "ns", Name: name}, obj, &corev1.ConfigMap{}); err != nil {
			t.Fatal(err)
		}
	}
	all := storage.ListOptions{Recursive: true, ResourceVersion: "0"}
	list, ok, err := c.ListShared(t.Context(), storage.Key{Namespace: "ns"}, all)
	if err != nil || !ok || len(list.Items) != 3 || list.ResourceVersion == 0 {
		t.Fatalf("ListShared = %+v, %v, %v", list, ok, err)
	}
	first := list.Items
	again, _, _ := c.ListShared(t.Context(), storage.Key{Namespace: "ns"}, all)
	for i, want := range []string{"a", "b", "c"} {
		if got := first[i].Object.(*corev1.ConfigMap).Name; got != want {
			t.Errorf("item %d is %s, want %s (sorted by key)", i, got, want)
		}
		if first[i] != again.Items[i] {
			t.Errorf("item %d differs between two lists: copied", i)
		}
	}
	// A first page comes from the cache, the rest from etcd at its revision.
	page, ok, _ := c.ListShared(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true, ResourceVersion: "0", Limit: 1})
	if !ok || len(page.Items) != 1 || page.Items[0] != first[0] || page.Continue == "" || page.RemainingItemCount == nil || *page.RemainingItemCount != 2 {
		t.Fatalf("first page = %+v, %v; want a, a continue token and 2 remaining", page, ok)
	}
	rest := &corev1.ConfigMapList{}
	if err := c.GetList(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true, Continue: page.Continue}, rest); err != nil ||
		len(rest.Items) != 2 || rest.Items[0].Name != "b" || rest.ResourceVersion != storage.FormatResourceVersion(page.ResourceVersion) {
		t.Fatalf("the next page = %d items at %s, %v; want b, c at %d", len(rest.Items), rest.ResourceVersion, err, page.ResourceVersion)
	}
	sel := all
	sel.Predicate = storage.SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"l": "b"}), GetAttrs: storage.DefaultAttrs}
	if got, _, _ := c.ListShared(t.Context(), storage.Key{Namespace: "ns"}, sel); len(got.Items) != 1 || got.Items[0] != first[1] {
		t.Errorf("a selected list = %v, want the shared b", got.Items)
	}
	byName := all
	byName.Predicate = storage.SelectionPredicate{Field: fields.OneTermEqualSelector("metadata.name", "c"), GetAttrs: storage.DefaultAttrs}
	if got, _, _ := c.ListShared(t.Context(), storage.Key{Namespace: "ns"}, byName); len(got.Items) != 1 || got.Items[0] != first[2] {
		t.Errorf("a list by name = %v, want the shared c", got.Items)
	}
	if got, _, _ := c.ListShared(t.Context(), storage.Key{Namespace: "other"}, all); len(got.Items) != 0 {
		t.Errorf("another namespace lists %d objects", len(got.Items))
	}
	for _, shared := range []bool{true, false} {
		w, err := c.Watch(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true, ResourceVersion: "0", Shared: shared})
		if err != nil {
			t.Fatal(err)
		}
		ev := <-w.ResultChan()
		w.Stop()
		sh, isShared := ev.Object.(*storage.Shared)
		if isShared != shared || (shared && sh != first[0]) {
			t.Errorf("a watch with Shared=%v sent %T", shared, ev.Object)
		}
	}
}

// TestBookmarksFromProgress: a quiet watch that takes bookmarks learns of
// the revisions the cache reaches through etcd's progress notifications
// (here brought by a consistent read after writes elsewhere), never ahead
// of an event it has not been given.
func TestBookmarksFromProgress(t *testing.T) {
	newStore := embeddedStores(t)
	cached, elsewhere := newStore(configMaps), newStore(schema.GroupResource{Resource: "others"})
	c := cacher.New(cacher.Config{Storage: cached, Keys: cached.Keys(), Resource: configMaps, NewFunc: newConfigMap, NewListFunc: newConfigMapList,
		BookmarkInterval: 20 * time.Millisecond})
	defer c.Stop()
	created := &corev1.ConfigMap{}
	if err := c.Create(t.Context(), storage.Key{Namespace: "ns", Name: "a"}, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a"}}, created); err != nil {
		t.Fatal(err)
	}
	w, err := c.Watch(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true, ResourceVersion: "0", Bookmarks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if ev := <-w.ResultChan(); ev.Type != watch.Added {
		t.Fatalf("first event %s, want ADDED", ev.Type)
	}
	var last int64
	for i := range 5 {
		other := &corev1.ConfigMap{}
		name := fmt.Sprintf("o-%d", i)
		if err := elsewhere.Create(t.Context(), storage.Key{Namespace: "ns", Name: name}, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}, other); err != nil {
			t.Fatal(err)
		}
		last, _ = storage.ObjectResourceVersion(other)
	}
	if err := c.GetList(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true}, &corev1.ConfigMapList{}); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-w.ResultChan():
			rv, _ := storage.ObjectResourceVersion(ev.Object)
			if ev.Type != watch.Bookmark {
				t.Fatalf("event %s at %d, want only bookmarks", ev.Type, rv)
			}
			if rv >= last {
				return
			}
		case <-timeout:
			t.Fatalf("no bookmark at or past %d, the revision of the writes elsewhere", last)
		}
	}
}

// TestSharedReadersWithoutExactProgress: in front of an etcd that cannot
// tell watch progress exactly (Debian's 3.4.23), a consistent list or get
// is read from etcd for the request, by the shared readers too.
func TestSharedReadersWithoutExactProgress(t *testing.T) {
	e := etcdtest.StartExternal(t)
	client := etcdtest.NewClient(t, e.Config)
	s, err := etcd3.New(etcd3.Config{Client: client, Prefix: e.Config.Prefix, Resource: configMaps, NamespaceScoped: true, NewFunc: newConfigMap})
	if err != nil {
		t.Fatal(err)
	}
	if s.ProgressIsExact(t.Context()) {
		t.Skip("this etcd reports progress exactly")
	}
	c := cacher.New(cacher.Config{Storage: s, Keys: s.Keys(), Resource: configMaps, NewFunc: newConfigMap, NewListFunc: newConfigMapList})
	defer c.Stop()
	if err := s.Create(t.Context(), storage.Key{Namespace: "ns", Name: "a"}, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "a"}}, &corev1.ConfigMap{}); err != nil {
		t.Fatal(err)
	}
	list, ok, err := c.ListShared(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true})
	if err != nil || !ok || list.Own == nil {
		t.Fatalf("ListShared = %+v, %v, %v; want the list read from etcd", list, ok, err)
	}
	if own := list.Own.(*corev1.ConfigMapList); len(own.Items) != 1 || own.Items[0].Name != "a" {
		t.Errorf("the list read from etcd holds %v", own.Items)
	}
	obj, err := c.GetShared(t.Context(), storage.Key{Namespace: "ns", Name: "a"}, storage.GetOptions{})
	if err != nil || obj.Object.(*corev1.ConfigMap).Name != "a" {
		t.Errorf("GetShared = %v, %v", obj, err)
	}
}

// embeddedStores starts an embedded etcd and returns what makes stores of
// ConfigMaps in it, one per resource: the cached one, another replica's,
// another resource's.
func embeddedStores(t *testing.T) func(schema.GroupResource) *etcd3.Store {
	cfg := etcdtest.StartEmbedded(t)
	client := etcdtest.NewClient(t, cfg)
	return func(gr schema.GroupResource) *etcd3.Store {
		s, err := etcd3.New(etcd3.Config{Client: client, Prefix: cfg.Prefix, Resource: gr, NamespaceScoped: true, NewFunc: newConfigMap})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}
