package storagetest

import (
	"context"
	"k8s.io/apimachinery/pkg/api/meta"
	"net/http"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/apiserver/apiserver/pkg/storage"
)

// eventTimeout is how long a test waits for an event that must come.
const eventTimeout = 30 * time.Second

// event is what the tests compare: type, object and resourceVersion.
type event struct {
	Type watch.EventType
	Name string // namespace/name
	RV   int64
	Data string // Data["v"]
}

func toEvent(t testing.TB, ev watch.Event) event {
	t.Helper()
	if ev.Type == watch.Error {
		t.Fatalf("unexpected ERROR event: %v", ev.Object)
	}
	cm, ok := ev.Object.(*corev1.ConfigMap)
	if !ok {
		t.Fatalf("event object is %T; want *ConfigMap", ev.Object)
	}
	return event{ev.Type, cm.Namespace + "/" + cm.Name, rv(t, cm), cm.Data["v"]}
}

// next returns the next event or fails the test after eventTimeout.
func next(t testing.TB, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatal("watch closed; want an event")
		}
		return ev
	case <-time.After(eventTimeout):
		t.Fatal("no watch event in time")
	}
	return watch.Event{}
}

// expectQuiet fails the test if an event arrives within d.
func expectQuiet(t testing.TB, w watch.Interface, d time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if ok {
			t.Fatalf("unexpected event %s %v", ev.Type, ev.Object)
		}
	case <-time.After(d):
	}
}

func startWatch(t testing.TB, s storage.Interface, k storage.Key, opts storage.ListOptions) watch.Interface {
	t.Helper()
	w, err := s.Watch(context.Background(), k, opts)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	t.Cleanup(w.Stop)
	return w
}

// currentRV is a resourceVersion to watch from: the latest revision.
func currentRV(t testing.TB, s storage.Interface) string {
	t.Helper()
	l := &corev1.ConfigMapList{}
	if err := s.GetList(ctx(t), key("", ""), storage.ListOptions{Recursive: true, Limit: 1}, l); err != nil {
		t.Fatal(err)
	}
	return l.ResourceVersion
}

func update(t testing.TB, s storage.Interface, ns, name string, mutate func(*corev1.ConfigMap)) *corev1.ConfigMap {
	t.Helper()
	out := &corev1.ConfigMap{}
	err := s.GuaranteedUpdate(ctx(t), key(ns, name), out, storage.UpdateOptions{}, func(in runtime.Object) (runtime.Object, error) {
		cm := in.(*corev1.ConfigMap).DeepCopy()
		mutate(cm)
		return cm, nil
	})
	if err != nil {
		t.Fatalf("updating %s/%s: %v", ns, name, err)
	}
	return out
}

func del(t testing.TB, s storage.Interface, ns, name string) *corev1.ConfigMap {
	t.Helper()
	out := &corev1.ConfigMap{}
	if err := s.Delete(ctx(t), key(ns, name), out, storage.DeleteOptions{}); err != nil {
		t.Fatalf("deleting %s/%s: %v", ns, name, err)
	}
	return out
}

func setV(v string) func(*corev1.ConfigMap) {
	return func(cm *corev1.ConfigMap) { cm.Data = map[string]string{"v": v} }
}

func testWatch(t *testing.T, b Backend) {
	tests := []struct {
		name  string
		key   storage.Key
		opts  storage.ListOptions
		wantN []string // names whose events are expected, in write order
	}{
		{"all namespaces", key("", ""), storage.ListOptions{Recursive: true}, []string{"a/foo", "a/foo", "ab/bar", "a/foo"}},
		{"one namespace", key("a", ""), storage.ListOptions{Recursive: true}, []string{"a/foo", "a/foo", "a/foo"}},
		{"one key", key("a", "foo"), storage.ListOptions{}, []string{"a/foo", "a/foo", "a/foo"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newConfigMapStore(t, b)
			tc.opts.ResourceVersion = currentRV(t, s)
			w := startWatch(t, s, tc.key, tc.opts)

			c := mustCreate(t, s, configMap("a", "foo", map[string]string{"v": "1"}))
			u := update(t, s, "a", "foo", setV("2"))
			o := mustCreate(t, s, configMap("ab", "bar", map[string]string{"v": "x"}))
			d := del(t, s, "a", "foo")
			all := []event{
				{watch.Added, "a/foo", rv(t, c), "1"},
				{watch.Modified, "a/foo", rv(t, u), "2"},
				{watch.Added, "ab/bar", rv(t, o), "x"},
				{watch.Deleted, "a/foo", rv(t, d), "2"}, // the last state, at the deletion's revision
			}
			var want []event
			for _, e := range all {
				if slices.Contains(tc.wantN, e.Name) {
					want = append(want, e)
				}
			}
			var got []event
			for range want {
				got = append(got, toEvent(t, next(t, w)))
			}
			if !slices.Equal(got, want) {
				t.Errorf("events:\n got %v\nwant %v", got, want)
			}
			expectQuiet(t, w, 100*time.Millisecond)
		})
	}
}

func testWatchPredicate(t *testing.T, b Backend) {
	s := newConfigMapStore(t, b)
	web := storage.SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "web"})}
	w := startWatch(t, s, key("ns", ""), storage.ListOptions{ResourceVersion: currentRV(t, s), Recursive: true, Predicate: web})
	label := func(app string) func(*corev1.ConfigMap) {
		return func(cm *corev1.ConfigMap) { cm.Labels = map[string]string{"app": app} }
	}
	x := configMap("ns", "x", map[string]string{"v": "1"})
	label("web")(x)
	r1 := rv(t, mustCreate(t, s, x))                   // ADDED
	r2 := rv(t, update(t, s, "ns", "x", label("db")))  // leaves the selection: DELETED
	r3 := rv(t, update(t, s, "ns", "x", label("web"))) // enters it: ADDED
	r4 := rv(t, update(t, s, "ns", "x", setV("2")))    // stays: MODIFIED
	y := configMap("ns", "y", nil)
	label("db")(y)
	mustCreate(t, s, y)  // never selected: nothing
	del(t, s, "ns", "y") // nothing
	r5 := rv(t, del(t, s, "ns", "x"))
	want := []event{
		{watch.Added, "ns/x", r1, "1"},
		{watch.Deleted, "ns/x", r2, "1"},
		{watch.Added, "ns/x", r3, "1"},
		{watch.Modified, "ns/x", r4, "2"},
		{watch.Deleted, "ns/x", r5, "2"},
	}
	var got []event
	for range want {
		got = append(got, toEvent(t, next(t, w)))
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n got %v\nwant %v", got, want)
	}
}

func testWatchInitialEvents(t *testing.T, b Backend) {
	for _, rv0 := range []string{"", "0"} {
		t.Run("resourceVersion "+strconvQuote(rv0), func(t *testing.T) {
			s := newConfigMapStore(t, b)
			a := mustCreate(t, s, configMap("a", "x0", map[string]string{"v": "0"}))
			c := mustCreate(t, s, configMap("a", "x1", map[string]string{"v": "1"}))
			mustCreate(t, s, configMap("b", "other", nil))
			w := startWatch(t, s, key("a", ""), storage.ListOptions{ResourceVersion: rv0, Recursive: true})
			d := mustCreate(t, s, configMap("a", "x2", map[string]string{"v": "2"}))
			want := []event{
				{watch.Added, "a/x0", rv(t, a), "0"},
				{watch.Added, "a/x1", rv(t, c), "1"},
				{watch.Added, "a/x2", rv(t, d), "2"},
			}
			var got []event
			for range want {
				got = append(got, toEvent(t, next(t, w)))
			}
			if !slices.Equal(got, want) {
				t.Errorf("events:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// testWatchSendInitialEvents: with SendInitialEvents the state at "" (the
// latest), "0" or not older than N comes first, ended by a BOOKMARK
// annotated as the end of the initial events when asked; without, the
// watch starts from now.
func testWatchSendInitialEvents(t *testing.T, b Backend) {
	yes, no := true, false
	for _, from := range []string{"", "0", "N"} {
		t.Run("resourceVersion "+strconvQuote(from), func(t *testing.T) {
			s := newConfigMapStore(t, b)
			a := mustCreate(t, s, configMap("a", "x0", map[string]string{"v": "0"}))
			c := mustCreate(t, s, configMap("a", "x1", map[string]string{"v": "1"}))
			mustCreate(t, s, configMap("b", "other", nil))
			rv0 := from
			if from == "N" {
				rv0 = storage.FormatResourceVersion(rv(t, c))
			}
			w := startWatch(t, s, key("a", ""), storage.ListOptions{ResourceVersion: rv0, Recursive: true, SendInitialEvents: &yes, InitialEventsEnd: true})
			got := []event{toEvent(t, next(t, w)), toEvent(t, next(t, w))}
			if want := []event{{watch.Added, "a/x0", rv(t, a), "0"}, {watch.Added, "a/x1", rv(t, c), "1"}}; !slices.Equal(got, want) {
				t.Errorf("initial events:\n got %v\nwant %v", got, want)
			}
			end := next(t, w)
			m, err := meta.Accessor(end.Object)
			if err != nil || end.Type != watch.Bookmark || m.GetAnnotations()[storage.InitialEventsEndAnnotation] != "true" || rv(t, end.Object) < rv(t, c) {
				t.Fatalf("after the initial events: %s %v; want the annotated BOOKMARK at >= %d", end.Type, end.Object, rv(t, c))
			}
			d := mustCreate(t, s, configMap("a", "x2", map[string]string{"v": "2"}))
			if got, want := toEvent(t, next(t, w)), (event{watch.Added, "a/x2", rv(t, d), "2"}); got != want {
				t.Errorf("then %v, want %v", got, want)
			}
			if from == "N" {
				return
			}
			now := startWatch(t, s, key("a", ""), storage.ListOptions{ResourceVersion: rv0, Recursive: true, SendInitialEvents: &no})
			e := mustCreate(t, s, configMap("a", "x3", map[string]string{"v": "3"}))
			if got, want := toEvent(t, next(t, now)), (event{watch.Added, "a/x3", rv(t, e), "3"}); got != want {
				t.Errorf("without initial events: %v, want %v", got, want)
			}
		})
	}
}

func strconvQuote(s string) string { return `"` + s + `"` }

func testWatchStop(t *testing.T, b Backend) {
	tests := []struct {
		name string
		end  func(w watch.Interface, cancel context.CancelFunc)
	}{
		{"Stop", func(w watch.Interface, _ context.CancelFunc) { w.Stop() }},
		{"context cancelled", func(_ watch.Interface, cancel context.CancelFunc) { cancel() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newConfigMapStore(t, b)
			c, cancel := context.WithCancel(context.Background())
			defer cancel()
			w, err := s.Watch(c, key("ns", ""), storage.ListOptions{ResourceVersion: currentRV(t, s), Recursive: true})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			mustCreate(t, s, configMap("ns", "a", nil))
			next(t, w)
			tc.end(w, cancel)
			mustCreate(t, s, configMap("ns", "b", nil))
			deadline := time.After(eventTimeout)
			for {
				select {
				case ev, ok := <-w.ResultChan():
					if !ok {
						return
					}
					if ev.Type == watch.Error {
						t.Fatalf("ERROR event after the watch was ended: %v", ev.Object)
					}
				case <-deadline:
					t.Fatal("the result channel was not closed")
				}
			}
		})
	}
}

// testWatchTenThousand: a watcher from revision R sees every one of 10,000
// writes after R in order, with no gap and no duplicate; a second watcher
// started half-way from a resourceVersion the first one received sees
// exactly the rest.
func testWatchTenThousand(t *testing.T, b Backend) {
	const n = 10000
	s := newConfigMapStore(t, b)
	w1 := startWatch(t, s, key("ns", ""), storage.ListOptions{ResourceVersion: currentRV(t, s), Recursive: true})

	type result struct {
		rvs []int64
		err string
	}
	collect := func(w watch.Interface, count int, onEvent func(i int, rv int64)) <-chan result {
		done := make(chan result, 1)
		go func() {
			var r result
			timeout := time.After(3 * time.Minute)
			for len(r.rvs) < count {
				select {
				case ev, ok := <-w.ResultChan():
					if !ok || ev.Type != watch.Added {
						r.err = "watch closed or sent " + string(ev.Type)
						done <- r
						return
					}
					v := mustRV(ev.Object)
					r.rvs = append(r.rvs, v)
					if onEvent != nil {
						onEvent(len(r.rvs), v)
					}
				case <-timeout:
					r.err = "timed out"
					done <- r
					return
				}
			}
			done <- r
		}()
		return done
	}
	second := make(chan (<-chan result), 1)
	var midRV int64
	first := collect(w1, n, func(i int, rv int64) {
		if i == n/2 {
			midRV = rv
			w2, err := s.Watch(context.Background(), key("ns", ""), storage.ListOptions{
				ResourceVersion: storage.FormatResourceVersion(rv), Recursive: true})
			if err != nil {
				panic(err)
			}
			t.Cleanup(w2.Stop)
			second <- collect(w2, n-n/2, nil)
		}
	})
	written := createMany(t, s, "ns", n, 4)
	slices.Sort(written)

	r1 := <-first
	if r1.err != "" {
		t.Fatalf("first watcher after %d events: %s", len(r1.rvs), r1.err)
	}
	if !slices.Equal(r1.rvs, written) {
		t.Fatalf("first watcher saw %d events that are not the %d writes in order", len(r1.rvs), n)
	}
	r2 := <-<-second
	if r2.err != "" {
		t.Fatalf("second watcher after %d events: %s", len(r2.rvs), r2.err)
	}
	if midRV != written[n/2-1] || !slices.Equal(r2.rvs, written[n/2:]) {
		t.Fatalf("second watcher from %d saw %d events that are not the last %d writes", midRV, len(r2.rvs), n-n/2)
	}
	expectQuiet(t, w1, 100*time.Millisecond)
}

// testWatchSlowConsumer: a consumer that does not read is cut off after
// the buffer with a 429 ERROR event; what it got before is a gap-free
// prefix of the writes.
func testWatchSlowConsumer(t *testing.T, b Backend) {
	const writes = 100
	s := newConfigMapStore(t, b, func(c *StoreConfig) {
		c.WatchBufferSize = 10
		c.WatchOverloadTimeout = 200 * time.Millisecond
	})
	from := currentRV(t, s)
	w := startWatch(t, s, key("ns", ""), storage.ListOptions{ResourceVersion: from, Recursive: true})
	fast := startWatch(t, s, key("ns", ""), storage.ListOptions{ResourceVersion: from, Recursive: true})
	fastGot := make(chan []int64, 1)
	go func() { // another watcher of the store, read as events come
		var got []int64
		timeout := time.After(eventTimeout)
		for len(got) < writes {
			select {
			case ev, ok := <-fast.ResultChan():
				if !ok || ev.Type != watch.Added {
					fastGot <- got
					return
				}
				got = append(got, mustRV(ev.Object))
			case <-timeout:
				fastGot <- got
				return
			}
		}
		fastGot <- got
	}()
	written := make([]int64, writes)
	for i := range writes {
		written[i] = rv(t, mustCreate(t, s, configMap("ns", itemName(i), nil)))
	}
	if got := <-fastGot; !slices.Equal(got, written) {
		t.Fatalf("the fast watcher got %d events, not the %d writes: the slow one held it up", len(got), writes)
	}
	time.Sleep(time.Second) // well past the overload timeout
	var got []int64
	for {
		ev := next(t, w)
		if ev.Type == watch.Error {
			st, ok := ev.Object.(*metav1.Status)
			if !ok || st.Code != http.StatusTooManyRequests {
				t.Fatalf("ERROR event = %#v; want a 429 Status", ev.Object)
			}
			break
		}
		got = append(got, mustRV(ev.Object))
	}
	if len(got) >= writes || !slices.Equal(got, written[:len(got)]) {
		t.Fatalf("before the ERROR the consumer got %v; want a strict prefix of %v", got, written)
	}
	if _, ok := <-w.ResultChan(); ok {
		t.Fatal("the watch sent more after its ERROR event")
	}
	t.Logf("cut off after %d of %d events", len(got), writes)
}
