package cacher

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/storage"
)

// cacheWatcher is one watch served from the cache. The cache hands it
// events without ever waiting (dispatch appends to a queue); its goroutine
// delivers them, each a copy of the cache's object (or the object itself,
// shared, to a consumer that promised not to modify it), through a channel of
// WatchBufferSize events. A consumer that keeps more than that unread for
// WatchOverloadTimeout is cut off with a 429 ERROR after what it was
// already given, so that it can neither hold up the others nor make the
// queue grow for long.
type cacheWatcher struct {
	c    *Cacher
	in   func(key string) bool
	pred storage.SelectionPredicate
	name string
	// shared: the consumer gets the cache's objects, as *storage.Shared.
	shared bool
	// endInitial, when set, is the revision of the BOOKMARK that ends the
	// initial events.
	endInitial int64
	// bookmarks: the consumer takes BOOKMARK events, sent every
	// BookmarkInterval when the cache has moved past the last event.
	bookmarks bool
	// sent is the revision this watch has been given every event up to.
	sent int64
	// after: events at or before this revision are not for this watch.
	after int64

	mu      sync.Mutex
	queue   []event
	failure error
	notify  chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	result chan watch.Event
	done   chan struct{}
}

var _ watch.Interface = (*cacheWatcher)(nil)

func newCacheWatcher(ctx context.Context, c *Cacher, in func(string) bool, pred storage.SelectionPredicate, name string) *cacheWatcher {
	ctx, cancel := context.WithCancel(ctx)
	return &cacheWatcher{
		c: c, in: in, pred: pred, name: name,
		notify: make(chan struct{}, 1),
		ctx:    ctx, cancel: cancel,
		result: make(chan watch.Event, c.cfg.WatchBufferSize),
		done:   make(chan struct{}),
	}
}

// ResultChan returns the events; it is closed when the watch ends.
func (w *cacheWatcher) ResultChan() <-chan watch.Event { return w.result }

// Stop ends the watch and waits for its goroutine.
func (w *cacheWatcher) Stop() {
	w.cancel()
	<-w.done
}

// start runs the watch: first the initial events, then what dispatch
// queues; or, with err, only an ERROR event.
func (w *cacheWatcher) start(initial []event, err error) {
	if err != nil {
		w.failure = err
	}
	go w.run(initial)
}

// dispatch queues e; c.mu is held, so it never blocks.
func (w *cacheWatcher) dispatch(e event) {
	if e.rv <= w.after {
		return
	}
	w.mu.Lock()
	if w.failure == nil {
		w.queue = append(w.queue, e)
	}
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// fail ends the watch with err after what it was already given.
func (w *cacheWatcher) fail(err error) {
	w.mu.Lock()
	if w.failure == nil {
		w.failure = err
	}
	w.queue = nil
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// backlog is how many events wait to enter the result channel.
func (w *cacheWatcher) backlog() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

func (w *cacheWatcher) run(initial []event) {
	defer close(w.done)
	defer close(w.result)
	defer w.c.forget(w)
	defer w.cancel()
	// The initial events (the current objects, or the window's events to
	// resume from) are not held against the consumer: the cache holds
	// them anyway.
	for _, e := range initial {
		ev, ok, err := w.translate(e)
		if err != nil {
			w.sendError(err)
			return
		}
		if ok && !w.send(ev, false) {
			return
		}
	}
	if w.endInitial != 0 {
		ev, err := storage.InitialEventsEnd(w.c.cfg.NewFunc(), w.endInitial)
		if err != nil {
			w.sendError(err)
			return
		}
		if !w.send(ev, false) {
			return
		}
	}
	var bookmarks <-chan time.Time
	if w.bookmarks {
		t := time.NewTicker(w.c.cfg.BookmarkInterval)
		defer t.Stop()
		bookmarks = t.C
	}
	w.sent = w.after
	for {
		w.mu.Lock()
		batch, failure := w.queue, w.failure
		w.queue = nil
		w.mu.Unlock()
		for _, e := range batch {
			ev, ok, err := w.translate(e)
			if err != nil {
				w.sendError(err)
				return
			}
			if ok && !w.send(ev, true) {
				return
			}
			w.sent = e.rv
		}
		if failure != nil {
			w.sendError(failure)
			return
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-w.ctx.Done():
			return
		case <-w.notify:
		case <-bookmarks:
			if !w.bookmark() {
				return
			}
		}
	}
}

// bookmark sends a BOOKMARK at the cache's revision when this watch has
// been given every event up to it and it is past the last one sent: so a
// watch of a quiet resource learns of the revisions that progress
// notifications bring, and resumes from a recent one. False if the watch
// ended meanwhile.
func (w *cacheWatcher) bookmark() bool {
	w.c.mu.RLock()
	rv := w.c.rv
	w.c.mu.RUnlock()
	// An event up to rv was queued before rv was read: an empty queue
	// means this watch was given all of them.
	if w.backlog() > 0 || rv <= w.sent {
		return true
	}
	obj := w.c.cfg.NewFunc()
	if err := storage.SetObjectResourceVersion(obj, rv); err != nil {
		return true
	}
	w.sent = rv
	return w.send(watch.Event{Type: watch.Bookmark, Object: obj}, false)
}

// send delivers ev; false if the watch ended meanwhile. With overload, a
// consumer that lets more than the buffer pile up for the overload timeout
// is cut off.
func (w *cacheWatcher) send(ev watch.Event, overload bool) bool {
	select {
	case w.result <- ev:
		return true
	default:
	}
	var timeout <-chan time.Time
	for {
		if overload && timeout == nil && w.backlog() > cap(w.result) {
			t := time.NewTimer(w.c.cfg.WatchOverloadTimeout)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case w.result <- ev:
			return true
		case <-w.ctx.Done():
			return false
		case <-w.notify:
			w.mu.Lock()
			failure := w.failure
			w.mu.Unlock()
			if failure != nil {
				w.sendError(failure)
				return false
			}
		case <-timeout:
			klog.V(2).InfoS("Closing a cached watch whose consumer fell behind", "resource", w.c.cfg.Resource, "buffer", cap(w.result), "timeout", w.c.cfg.WatchOverloadTimeout)
			w.mu.Lock()
			w.queue = nil
			w.mu.Unlock()
			w.sendError(storage.Errorf(storage.ErrCodeWatchTooSlow, "", 0,
				"the consumer kept more than %d events unread for %s; watch again from the last resourceVersion received",
				cap(w.result), w.c.cfg.WatchOverloadTimeout))
			return false
		}
	}
}

// sendError sends err as the watch's last event, unless it was stopped.
func (w *cacheWatcher) sendError(err error) {
	if w.ctx.Err() != nil {
		return
	}
	status := storage.ToStatusError(err, w.c.cfg.Resource, w.name).Status()
	select {
	case w.result <- watch.Event{Type: watch.Error, Object: &status}:
	case <-w.ctx.Done():
	}
}

// translate turns a cache event into what this watch sees, applying its key
// range and predicate: an update that makes an object match is ADDED, one
// that makes it stop matching is DELETED (with the new state, at the
// update's revision). The object is a copy.
func (w *cacheWatcher) translate(e event) (watch.Event, bool, error) {
	if !w.in(e.key) {
		return watch.Event{}, false, nil
	}
	matches := func(obj *storage.Shared) (bool, error) {
		if obj == nil {
			return false, nil
		}
		ok, err := w.pred.Matches(obj.Object)
		if err != nil {
			return false, storage.Errorf(storage.ErrCodeInvalidObject, e.key, e.rv, "selecting object: %w", err)
		}
		return ok, nil
	}
	switch e.typ {
	case watch.Added:
		ok, err := matches(e.obj)
		return watch.Event{Type: watch.Added, Object: w.output(e.obj, ok)}, ok, err
	case watch.Deleted:
		ok, err := matches(e.obj)
		return watch.Event{Type: watch.Deleted, Object: w.output(e.obj, ok)}, ok, err
	}
	if w.pred.Empty() {
		return watch.Event{Type: watch.Modified, Object: w.output(e.obj, true)}, true, nil
	}
	cur, err := matches(e.obj)
	if err != nil {
		return watch.Event{}, false, err
	}
	old, err := matches(e.prev)
	if err != nil {
		return watch.Event{}, false, err
	}
	switch {
	case cur && old:
		return watch.Event{Type: watch.Modified, Object: w.output(e.obj, true)}, true, nil
	case cur:
		return watch.Event{Type: watch.Added, Object: w.output(e.obj, true)}, true, nil
	case old:
		deleted := e.prev.DeepCopyObject()
		if err := storage.SetObjectResourceVersion(deleted, e.rv); err != nil {
			return watch.Event{}, false, err
		}
		if w.shared {
			return watch.Event{Type: watch.Deleted, Object: storage.NewShared(deleted)}, true, nil
		}
		return watch.Event{Type: watch.Deleted, Object: deleted}, true, nil
	}
	return watch.Event{}, false, nil
}

// output is what the watch's consumer gets of obj: the shared object when
// it promised not to modify it, a copy otherwise; nil when not needed.
func (w *cacheWatcher) output(obj *storage.Shared, needed bool) runtime.Object {
	switch {
	case !needed:
		return nil
	case w.shared:
		return obj
	}
	return obj.DeepCopyObject()
}
