// Package cacher is the watch cache: a storage.Interface in front of the
// etcd store of one resource that keeps every object in memory, fed by one
// etcd watch, with a window of recent events. Watches are served from it,
// so a thousand watchers cost one etcd watch; reads at resourceVersion "0"
// or not older than a given one are served from memory. Writes, quorum
// reads ("") and exact or paged reads go to etcd.
package cacher

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/metrics"
	"github.com/apiserver/apiserver/pkg/storage"
)

// Defaults of Config.
const (
	DefaultWindow               = 4096
	DefaultWatchBufferSize      = 100
	DefaultWatchOverloadTimeout = 5 * time.Second
	// DefaultBookmarkInterval is about how often kube-apiserver's cache
	// sends a watch a bookmark.
	DefaultBookmarkInterval = time.Minute
	// waitForResourceVersion bounds how long a read not older than a
	// revision waits for the cache before asking etcd.
	waitForResourceVersion = 3 * time.Second
)

// Config configures a Cacher.
type Config struct {
	// Storage is the store the cache is in front of, and Keys its key
	// space (the cache refuses the keys it refuses).
	Storage  storage.Interface
	Keys     storage.KeySpace
	Resource schema.GroupResource
	// NewFunc and NewListFunc make an empty object and list of the type.
	NewFunc, NewListFunc func() runtime.Object
	// Window is how many recent events a watch can resume from.
	Window int
	// WatchBufferSize and WatchOverloadTimeout bound a slow watcher, as the
	// etcd store's watches do: one that keeps more than WatchBufferSize
	// events unread for WatchOverloadTimeout is cut off with a 429 ERROR.
	WatchBufferSize      int
	WatchOverloadTimeout time.Duration
	// BookmarkInterval is how often a watch that takes bookmarks gets one
	// when the cache has moved past its last event.
	BookmarkInterval time.Duration
}

// event is one change, as the cache applied it.
type event struct {
	typ  watch.EventType
	key  string
	obj  *storage.Shared // the new state; the last one for DELETED
	prev *storage.Shared // the state before, nil for ADDED
	rv   int64
}

// Cacher is the watch cache of one resource.
type Cacher struct {
	cfg Config

	mu    sync.RWMutex
	cond  *sync.Cond // broadcast when rv or ready changes
	ready bool
	objs  map[string]*storage.Shared // by "namespace/name"
	rv    int64                      // the revision the cache reflects
	// sorted is every object as an ADDED event, sorted by key, built
	// when first needed after a change and never modified after: lists
	// and watches from "0" share it instead of sorting per request under
	// the lock (2,000 watches at once were a second of lock for others).
	sorted []event
	// window holds the events after windowStart, oldest first.
	window      []event
	windowStart int64
	watchers    map[*cacheWatcher]struct{}
	// written is the revision of the last write through this cache: reads
	// from the cache wait until it reflects it, so that a client reads its
	// own writes even at resourceVersion "0".
	written int64

	// progress is set when the store reports exact watch progress: then
	// the cache knows it is current, and serves consistent lists.
	progress progressReporter
	// revisions shares etcd's current revision among consistent reads;
	// progressWanted asks progressLoop for a progress notification.
	revisions      revisionBatch
	progressWanted chan struct{}

	cancel context.CancelFunc
	done   chan struct{}
}

// progressReporter is a store whose watches report their progress (the
// etcd store): the cache then learns that it reflects etcd's current
// revision even when nothing changed in its range.
type progressReporter interface {
	CurrentRevision(ctx context.Context) (int64, error)
	RequestProgress(ctx context.Context) error
	ProgressIsExact(ctx context.Context) bool
}

var _ storage.Interface = (*Cacher)(nil)

// New starts the cache of cfg.Storage; Stop ends it.
func New(cfg Config) *Cacher {
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.WatchBufferSize <= 0 {
		cfg.WatchBufferSize = DefaultWatchBufferSize
	}
	if cfg.WatchOverloadTimeout <= 0 {
		cfg.WatchOverloadTimeout = DefaultWatchOverloadTimeout
	}
	if cfg.BookmarkInterval <= 0 {
		cfg.BookmarkInterval = DefaultBookmarkInterval
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cacher{cfg: cfg, objs: map[string]*storage.Shared{}, watchers: map[*cacheWatcher]struct{}{}, cancel: cancel, done: make(chan struct{}), progressWanted: make(chan struct{}, 1)}
	c.cond = sync.NewCond(&c.mu)
	c.revisions.base = ctx
	go c.run(ctx)
	return c
}

// Stop ends the cache's etcd watch and every watch it serves.
func (c *Cacher) Stop() {
	c.cancel()
	<-c.done
	c.mu.Lock()
	ws := make([]*cacheWatcher, 0, len(c.watchers))
	for w := range c.watchers {
		ws = append(ws, w)
	}
	c.mu.Unlock()
	for _, w := range ws {
		w.Stop()
	}
}

// run lists, then follows the etcd watch from the list's revision; on a
// failed watch it watches again from where the cache is, and lists again
// only when etcd has compacted that revision away.
func (c *Cacher) run(ctx context.Context) {
	defer close(c.done)
	defer func() { // wake readers waiting for a revision
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	}()
	if p, ok := c.cfg.Storage.(progressReporter); ok && p.ProgressIsExact(ctx) {
		c.mu.Lock()
		c.progress = p
		c.mu.Unlock()
		go c.progressLoop(ctx, p)
	}
	backoff := 100 * time.Millisecond
	needList := true
	for ctx.Err() == nil {
		if needList {
			if err := c.list(ctx); err != nil {
				klog.FromContext(ctx).V(2).Info("Listing for the watch cache failed; retrying", "resource", c.cfg.Resource, "err", err)
				sleep(ctx, backoff)
				continue
			}
			needList = false
		}
		err := c.follow(ctx)
		if ctx.Err() != nil {
			return
		}
		if storage.IsResourceExpired(err) {
			needList = true
			continue
		}
		klog.FromContext(ctx).V(2).Info("The watch cache's etcd watch ended; watching again", "resource", c.cfg.Resource, "err", err)
		sleep(ctx, backoff)
	}
}

// list replaces the cache's content with a quorum list. Watchers cannot be
// told what they missed: they are ended with 410 Gone, to list again.
func (c *Cacher) list(ctx context.Context) error {
	items, rv, err := c.listAll(ctx)
	if err != nil {
		return err
	}
	objs := make(map[string]*storage.Shared, len(items))
	for _, obj := range items {
		k, err := keyOf(obj)
		if err != nil {
			return err
		}
		objs[k] = storage.NewShared(obj)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.objs, c.rv, c.window, c.windowStart, c.sorted = objs, rv, nil, rv, nil
	for w := range c.watchers {
		w.fail(storage.Errorf(storage.ErrCodeResourceExpired, "", rv, "the watch cache had to list again: watch again from a new list"))
		delete(c.watchers, w)
	}
	c.ready = true
	c.cond.Broadcast()
	metrics.WatchCacheInitialized(c.cfg.Resource.String(), c.cfg.Window)
	return nil
}

// listAll reads every object of the resource with a quorum read.
func (c *Cacher) listAll(ctx context.Context) ([]runtime.Object, int64, error) {
	var out []runtime.Object
	var rv int64
	var cont string
	for {
		list := c.cfg.NewListFunc()
		opts := storage.ListOptions{Recursive: true, Limit: 1000, Continue: cont}
		if err := c.cfg.Storage.GetList(ctx, storage.Key{}, opts, list); err != nil {
			return nil, 0, err
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, items...)
		lm, err := meta.ListAccessor(list)
		if err != nil {
			return nil, 0, err
		}
		if rv == 0 {
			if rv, err = storage.ParseResourceVersion(lm.GetResourceVersion()); err != nil {
				return nil, 0, err
			}
		}
		if lm.GetContinue() == "" {
			return out, rv, nil
		}
		cont = lm.GetContinue()
	}
}

// follow applies the etcd watch from the cache's revision until it fails.
func (c *Cacher) follow(ctx context.Context) error {
	c.mu.RLock()
	from, progress := c.rv, c.progress != nil
	c.mu.RUnlock()
	w, err := c.cfg.Storage.Watch(ctx, storage.Key{}, storage.ListOptions{
		Recursive: true, ResourceVersion: storage.FormatResourceVersion(from), ProgressNotify: progress,
	})
	if err != nil {
		return err
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return errors.New("the etcd watch closed")
			}
			if ev.Type == watch.Error {
				return statusError(ev.Object)
			}
			if ev.Type == watch.Bookmark {
				c.advance(ev.Object)
				continue
			}
			if err := c.apply(ev); err != nil {
				return err
			}
		}
	}
}

// statusError turns a watch's ERROR event back into a storage error, so
// that an expired revision is recognized.
func statusError(obj runtime.Object) error {
	st, ok := obj.(*metav1.Status)
	if !ok {
		return fmt.Errorf("watch error: %v", obj)
	}
	if st.Code == 410 {
		return storage.Errorf(storage.ErrCodeResourceExpired, "", 0, "%s", st.Message)
	}
	return fmt.Errorf("watch error %d: %s", st.Code, st.Message)
}

// apply records one event and hands it to every watcher.
func (c *Cacher) apply(ev watch.Event) error {
	k, err := keyOf(ev.Object)
	if err != nil {
		return err
	}
	rv, err := storage.ObjectResourceVersion(ev.Object)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := event{typ: ev.Type, key: k, obj: storage.NewShared(ev.Object), prev: c.objs[k], rv: rv}
	if ev.Type == watch.Deleted {
		delete(c.objs, k)
	} else {
		c.objs[k] = e.obj
	}
	c.sorted = nil
	c.rv = rv
	if len(c.window) >= c.cfg.Window {
		// Drop an eighth at once, so that the copy is amortized; every
		// event after windowStart stays.
		n := 1 + len(c.window)/8
		c.windowStart = c.window[n-1].rv
		c.window = slices.Delete(c.window, 0, n)
	}
	c.window = append(c.window, e)
	for w := range c.watchers {
		w.dispatch(e)
	}
	c.cond.Broadcast()
	metrics.WatchCacheEvent(c.cfg.Resource.String(), rv, len(c.watchers))
	return nil
}

// advance records a progress notification: the cache reflects every
// change up to the bookmark's revision.
func (c *Cacher) advance(obj runtime.Object) {
	rv, err := storage.ObjectResourceVersion(obj)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.progress != nil && rv > c.rv {
		c.rv = rv
		c.cond.Broadcast()
	}
}

// waitFor waits until the cache is ready and reflects revision rv and the
// writes made through it, for at most waitForResourceVersion; false if it
// does not. c.mu is held.
func (c *Cacher) waitFor(ctx context.Context, rv int64) bool {
	return c.wait(ctx, max(rv, c.written))
}

// wait waits until the cache is ready and reflects revision rv, as waitFor.
func (c *Cacher) wait(ctx context.Context, rv int64) bool {
	deadline := time.Now().Add(waitForResourceVersion)
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	timer := time.AfterFunc(waitForResourceVersion, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer timer.Stop()
	for !c.ready || c.rv < rv {
		if ctx.Err() != nil || time.Now().After(deadline) {
			return false
		}
		select {
		case <-c.done:
			return false
		default:
		}
		c.cond.Wait()
	}
	return true
}

// wrote records the revision of a write through the cache.
func (c *Cacher) wrote(obj runtime.Object) {
	rv, err := storage.ObjectResourceVersion(obj)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.written = max(c.written, rv)
	c.mu.Unlock()
}

// sortedLocked returns every object as an ADDED event, sorted by key;
// c.mu is held. The slice is shared: never modify it.
func (c *Cacher) sortedLocked() []event {
	if c.sorted == nil {
		all := make([]event, 0, len(c.objs))
		for k, obj := range c.objs {
			all = append(all, event{typ: watch.Added, key: k, obj: obj})
		}
		slices.SortFunc(all, func(a, b event) int { return strings.Compare(a.key, b.key) })
		c.sorted = all
	}
	return c.sorted
}

// checkKey refuses a key the store would refuse.
func (c *Cacher) checkKey(k storage.Key, recursive bool) error {
	var err error
	if recursive {
		_, err = c.cfg.Keys.CollectionPrefix(k)
	} else {
		_, err = c.cfg.Keys.ObjectKey(k)
	}
	return err
}

// keyOf is the cache key of obj: "namespace/name".
func keyOf(obj runtime.Object) (string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return "", err
	}
	return m.GetNamespace() + "/" + m.GetName(), nil
}

// keyFilter reports whether cache key k is under k of a request.
func keyFilter(k storage.Key, recursive bool) func(string) bool {
	switch {
	case !recursive:
		want := k.Namespace + "/" + k.Name
		return func(key string) bool { return key == want }
	case k.Namespace != "":
		prefix := k.Namespace + "/"
		return func(key string) bool { return len(key) > len(prefix) && key[:len(prefix)] == prefix }
	default:
		return func(string) bool { return true }
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
