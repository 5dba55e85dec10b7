package etcd3

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/storage"
)

// syncPageSize is the page size of the initial list of a watch from
// resourceVersion "" or "0".
const syncPageSize = 500

// Watch implements storage.Interface.
//
// One goroutine per watch reads etcd's watch stream, decodes and filters
// each event and queues it in a channel of WatchBufferSize events. A
// consumer that lets that buffer fill and not drain below half within
// WatchOverloadTimeout is cut off: the etcd watch is cancelled, and after
// the events already queued the consumer receives an ERROR event (429,
// ErrCodeWatchTooSlow) and the channel closes. Memory is so bounded by the
// buffer, one etcd response, and what etcd sends during the timeout.
func (s *Store) Watch(ctx context.Context, k storage.Key, opts storage.ListOptions) (watch.Interface, error) {
	key, end, err := s.keyRange(k, opts.Recursive)
	if err != nil {
		return nil, err
	}
	if opts.Continue != "" || opts.ResourceVersionMatch != "" {
		return nil, storage.Errorf(storage.ErrCodeInvalidRequest, key, 0, "watch takes neither continue nor resourceVersionMatch")
	}
	rev, err := storage.ParseResourceVersion(opts.ResourceVersion)
	if err != nil {
		return nil, withKey(err, key)
	}
	initial := rev == 0 // the legacy rule: "" and "0" send the state first
	if opts.SendInitialEvents != nil {
		initial = *opts.SendInitialEvents
		if !initial && rev == 0 {
			// Start now, without the state.
			if rev, err = s.CurrentRevision(ctx); err != nil {
				return nil, err
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &watcher{
		s:            s,
		key:          key,
		end:          end,
		name:         k.Name,
		pred:         opts.Predicate,
		rev:          rev,
		initial:      initial,
		endInitial:   initial && opts.InitialEventsEnd,
		serializable: opts.ResourceVersion == "0",
		progress:     opts.ProgressNotify,
		cancel:       cancel,
		result:       make(chan watch.Event, s.watchBuffer),
		done:         make(chan struct{}),
	}
	go w.run(ctx)
	return w, nil
}

type watcher struct {
	s            *Store
	key, end     string // end is "" for a single key
	name         string
	pred         storage.SelectionPredicate
	rev          int64 // events after this revision
	initial      bool  // sync first: the state, as ADDED events
	endInitial   bool  // then a BOOKMARK that ends them
	serializable bool
	progress     bool // relay etcd's progress notifications as bookmarks

	cancel context.CancelFunc
	result chan watch.Event
	done   chan struct{}
}

var _ watch.Interface = (*watcher)(nil)

// Stop ends the watch and waits until its goroutine has exited.
func (w *watcher) Stop() {
	w.cancel()
	<-w.done
}

// ResultChan returns the events; it is closed when the watch ends.
func (w *watcher) ResultChan() <-chan watch.Event { return w.result }

func (w *watcher) run(ctx context.Context) {
	defer close(w.done)
	defer close(w.result)
	defer w.cancel()
	if w.initial {
		// The state now is not older than any revision asked for.
		rev, err := w.sync(ctx)
		if err != nil {
			w.fail(ctx, err)
			return
		}
		w.rev = rev
		if w.endInitial {
			ev, err := storage.InitialEventsEnd(w.s.newFunc(), rev)
			if err != nil {
				w.fail(ctx, err)
				return
			}
			select {
			case w.result <- ev:
			case <-ctx.Done():
				return
			}
		}
	}
	if err := w.stream(ctx); err != nil {
		w.fail(ctx, err)
	}
}

// sync sends the current objects as ADDED events and returns the revision
// they were read at.
func (w *watcher) sync(ctx context.Context) (int64, error) {
	ops := []clientv3.OpOption{clientv3.WithLimit(syncPageSize)}
	if w.end != "" {
		ops = append(ops, clientv3.WithRange(w.end))
	}
	if w.serializable {
		ops = append(ops, clientv3.WithSerializable())
	}
	var rev int64
	from := w.key
	for {
		rctx, cancel := withTimeout(ctx, w.s.requestTimeout)
		resp, err := w.s.client.KV.Get(rctx, from, ops...)
		cancel()
		if err != nil {
			return 0, interpretError(err, w.key, rev)
		}
		if rev == 0 {
			rev = resp.Header.Revision
			ops = append(ops, clientv3.WithRev(rev))
		}
		for _, kv := range resp.Kvs {
			obj := w.s.newFunc()
			if err := w.s.decode(string(kv.Key), kv.Value, obj, kv.ModRevision); err != nil {
				return 0, err
			}
			if ok, err := w.matches(string(kv.Key), obj); err != nil {
				return 0, err
			} else if !ok {
				continue
			}
			select {
			case w.result <- watch.Event{Type: watch.Added, Object: obj}:
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return rev, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// stream relays etcd's watch from w.rev+1 until ctx ends or it fails.
func (w *watcher) stream(ctx context.Context) error {
	ops := []clientv3.OpOption{clientv3.WithRev(w.rev + 1), clientv3.WithPrevKV()}
	if w.end != "" {
		ops = append(ops, clientv3.WithRange(w.end))
	}
	if w.progress {
		ops = append(ops, clientv3.WithProgressNotify())
	}
	// The etcd watch ends with stream, before an error is sent.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wch := w.s.client.Watcher.Watch(clientv3.WithRequireLeader(wctx), w.key, ops...)
	var (
		held     []watch.Event // events that did not fit in the buffer
		overload <-chan time.Time
		timer    *time.Timer
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		recv, out := wch, chan<- watch.Event(nil)
		var next watch.Event
		if len(held) > 0 {
			recv, out, next = nil, w.result, held[0]
		}
		select {
		case <-ctx.Done():
			return nil
		case resp, ok := <-recv:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return storage.Errorf(storage.ErrCodeUnavailable, w.key, w.rev, "etcd closed the watch")
			}
			evs, err := w.events(resp)
			if err != nil {
				return err
			}
			if overload != nil && len(w.result) <= cap(w.result)/2 {
				timer.Stop() // the consumer caught up since the last overload
				overload = nil
			}
			held = w.offer(evs)
			if len(held) > 0 && overload == nil {
				timer = time.NewTimer(w.s.watchOverload)
				overload = timer.C
			}
		case out <- next:
			held = w.offer(held[1:])
		case <-overload:
			if len(held) == 0 && len(w.result) <= cap(w.result)/2 {
				overload = nil
				continue
			}
			klog.FromContext(ctx).Info("Closing watch of a consumer that fell behind",
				"key", w.key, "buffer", cap(w.result), "timeout", w.s.watchOverload)
			return storage.Errorf(storage.ErrCodeWatchTooSlow, w.key, w.rev,
				"the consumer kept more than %d events unread for %s; watch again from the last resourceVersion received",
				cap(w.result)/2, w.s.watchOverload)
		}
	}
}

// offer queues as many events as fit without blocking and returns the rest.
func (w *watcher) offer(evs []watch.Event) []watch.Event {
	for i, ev := range evs {
		select {
		case w.result <- ev:
		default:
			return evs[i:]
		}
	}
	return nil
}

// events turns one etcd watch response into the events the consumer sees.
func (w *watcher) events(resp clientv3.WatchResponse) ([]watch.Event, error) {
	if err := resp.Err(); err != nil {
		if resp.CompactRevision != 0 {
			return nil, storage.Errorf(storage.ErrCodeResourceExpired, w.key, w.rev,
				"too old resource version: %d (%d)", w.rev, resp.CompactRevision)
		}
		return nil, interpretError(err, w.key, w.rev)
	}
	if resp.IsProgressNotify() {
		if !w.progress || resp.Header.Revision <= w.rev {
			return nil, nil
		}
		w.rev = resp.Header.Revision
		obj := w.s.newFunc()
		if err := storage.SetObjectResourceVersion(obj, w.rev); err != nil {
			return nil, err
		}
		return []watch.Event{{Type: watch.Bookmark, Object: obj}}, nil
	}
	evs := make([]watch.Event, 0, len(resp.Events))
	for _, e := range resp.Events {
		ev, ok, err := w.transform(e)
		if err != nil {
			return nil, err
		}
		if ok {
			evs = append(evs, ev)
		}
		w.rev = e.Kv.ModRevision
	}
	return evs, nil
}

// transform decodes one etcd event and applies the predicate: an update
// that makes an object match is ADDED, one that makes it stop matching is
// DELETED. Objects carry the event's revision, DELETED ones their last
// state.
func (w *watcher) transform(e *clientv3.Event) (watch.Event, bool, error) {
	key, rev := string(e.Kv.Key), e.Kv.ModRevision
	var cur, old runtime.Object
	if e.Type == clientv3.EventTypePut {
		cur = w.s.newFunc()
		if err := w.s.decode(key, e.Kv.Value, cur, rev); err != nil {
			return watch.Event{}, false, err
		}
		if e.IsCreate() {
			ok, err := w.matches(key, cur)
			return watch.Event{Type: watch.Added, Object: cur}, ok, err
		}
		if w.pred.Empty() {
			return watch.Event{Type: watch.Modified, Object: cur}, true, nil
		}
	}
	if e.PrevKv == nil {
		return watch.Event{}, false, storage.Errorf(storage.ErrCodeInternal, key, rev, "etcd sent no previous state for a %s event", e.Type)
	}
	old = w.s.newFunc()
	if err := w.s.decode(key, e.PrevKv.Value, old, rev); err != nil {
		return watch.Event{}, false, err
	}
	oldOK, err := w.matches(key, old)
	if err != nil || cur == nil {
		return watch.Event{Type: watch.Deleted, Object: old}, oldOK, err
	}
	curOK, err := w.matches(key, cur)
	switch {
	case err != nil:
		return watch.Event{}, false, err
	case curOK && oldOK:
		return watch.Event{Type: watch.Modified, Object: cur}, true, nil
	case curOK:
		return watch.Event{Type: watch.Added, Object: cur}, true, nil
	case oldOK:
		return watch.Event{Type: watch.Deleted, Object: old}, true, nil
	}
	return watch.Event{}, false, nil
}

func (w *watcher) matches(key string, obj runtime.Object) (bool, error) {
	ok, err := w.pred.Matches(obj)
	if err != nil {
		return false, storage.Errorf(storage.ErrCodeInvalidObject, key, 0, "selecting object: %w", err)
	}
	return ok, nil
}

// fail sends err as the watch's last event, an ERROR with a Status, unless
// the watch was stopped.
func (w *watcher) fail(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	status := storage.ToStatusError(err, w.s.resource, w.name).Status()
	klog.FromContext(ctx).V(2).Info("Watch ended with an error", "key", w.key, "err", err)
	select {
	case w.result <- watch.Event{Type: watch.Error, Object: &status}:
	case <-ctx.Done():
	}
}
