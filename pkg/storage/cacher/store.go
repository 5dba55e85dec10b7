package cacher

import (
	"context"
	"reflect"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/apiserver/apiserver/pkg/storage"
)

// Create implements storage.Interface: a write goes to etcd.
func (c *Cacher) Create(ctx context.Context, key storage.Key, obj, out runtime.Object) error {
	err := c.cfg.Storage.Create(ctx, key, obj, out)
	if err == nil {
		c.wrote(out)
	}
	return err
}

// GuaranteedUpdate implements storage.Interface: a write goes to etcd.
func (c *Cacher) GuaranteedUpdate(ctx context.Context, key storage.Key, dest runtime.Object, opts storage.UpdateOptions, tryUpdate storage.UpdateFunc) error {
	err := c.cfg.Storage.GuaranteedUpdate(ctx, key, dest, opts, tryUpdate)
	if err == nil {
		c.wrote(dest)
	}
	return err
}

// Delete implements storage.Interface: a write goes to etcd.
func (c *Cacher) Delete(ctx context.Context, key storage.Key, out runtime.Object, opts storage.DeleteOptions) error {
	err := c.cfg.Storage.Delete(ctx, key, out, opts)
	if err == nil {
		c.wrote(out)
	}
	return err
}

// Count implements storage.Interface, from etcd.
func (c *Cacher) Count(ctx context.Context, key storage.Key) (int64, error) {
	return c.cfg.Storage.Count(ctx, key)
}

// Get implements storage.Interface. resourceVersion "0" or "N" reads the
// cache once it reflects N; "" is a quorum read from etcd.
func (c *Cacher) Get(ctx context.Context, key storage.Key, opts storage.GetOptions, out runtime.Object) error {
	if opts.ResourceVersion == "" {
		return c.cfg.Storage.Get(ctx, key, opts, out)
	}
	rv, err := storage.ParseResourceVersion(opts.ResourceVersion)
	if err != nil || c.checkKey(key, false) != nil {
		return c.cfg.Storage.Get(ctx, key, opts, out) // its error
	}
	c.mu.Lock()
	if !c.waitFor(ctx, rv) {
		c.mu.Unlock()
		return c.cfg.Storage.Get(ctx, key, opts, out) // etcd says whether N is too large
	}
	obj, ok := c.objs[key.Namespace+"/"+key.Name]
	c.mu.Unlock()
	if !ok {
		if opts.IgnoreNotFound {
			return storage.Zero(out)
		}
		return storage.NewError(storage.ErrCodeNotFound, key.String(), 0, nil)
	}
	return copyInto(obj, out)
}

// GetList implements storage.Interface. A list at resourceVersion "0", or
// not older than N, without paging, is served from the cache; quorum
// ("") lists, exact ones and pages go to etcd.
func (c *Cacher) GetList(ctx context.Context, key storage.Key, opts storage.ListOptions, listObj runtime.Object) error {
	if opts.ResourceVersion == "" && opts.ResourceVersionMatch == "" && opts.Continue == "" && opts.Limit == 0 {
		return c.consistentList(ctx, key, opts, listObj)
	}
	fromCache := opts.Continue == "" && opts.Limit == 0 && opts.ResourceVersion != "" &&
		(opts.ResourceVersionMatch == "" || opts.ResourceVersionMatch == metav1.ResourceVersionMatchNotOlderThan)
	rv, err := storage.ParseResourceVersion(opts.ResourceVersion)
	if !fromCache || err != nil || c.checkKey(key, opts.Recursive) != nil {
		return c.cfg.Storage.GetList(ctx, key, opts, listObj) // or its error
	}
	c.mu.Lock()
	if !c.waitFor(ctx, rv) {
		c.mu.Unlock()
		return c.cfg.Storage.GetList(ctx, key, opts, listObj)
	}
	return c.listLocked(key, opts, listObj)
}

// progressInterval is how often a consistent list that waits for the cache
// asks etcd for progress again.
const progressInterval = 20 * time.Millisecond

// consistentList serves a quorum list from the cache once the cache has
// caught up with etcd's current revision, which it learns by asking its
// etcd watch for progress, as kube-apiserver 1.31 does; from etcd when the
// store cannot tell progress exactly, or the cache does not catch up soon.
func (c *Cacher) consistentList(ctx context.Context, key storage.Key, opts storage.ListOptions, listObj runtime.Object) error {
	c.mu.RLock()
	p := c.progress
	c.mu.RUnlock()
	if p == nil || c.checkKey(key, opts.Recursive) != nil {
		return c.cfg.Storage.GetList(ctx, key, opts, listObj)
	}
	rev, err := p.CurrentRevision(ctx)
	if err != nil {
		return err
	}
	c.mu.RLock()
	behind := c.rv < rev
	c.mu.RUnlock()
	if behind {
		// etcd answers a progress request only for a watch that has sent
		// everything so far: ask again until the cache has caught up.
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			t := time.NewTicker(progressInterval)
			defer t.Stop()
			for {
				_ = p.RequestProgress(ctx)
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	c.mu.Lock()
	if !c.waitFor(ctx, rev) {
		c.mu.Unlock()
		return c.cfg.Storage.GetList(ctx, key, opts, listObj)
	}
	return c.listLocked(key, opts, listObj)
}

// listLocked lists from the cache; c.mu is held, and released.
func (c *Cacher) listLocked(key storage.Key, opts storage.ListOptions, listObj runtime.Object) error {
	in := keyFilter(key, opts.Recursive)
	var keys []string
	for k := range c.objs {
		if in(k) {
			keys = append(keys, k)
		}
	}
	objs := make([]runtime.Object, 0, len(keys))
	slices.Sort(keys)
	for _, k := range keys {
		objs = append(objs, c.objs[k])
	}
	listRV := c.rv
	c.mu.Unlock()
	items := make([]runtime.Object, 0, len(objs))
	for _, obj := range objs {
		ok, err := opts.Predicate.Matches(obj)
		if err != nil {
			return storage.Errorf(storage.ErrCodeInvalidObject, key.String(), 0, "selecting object: %w", err)
		}
		if ok {
			items = append(items, obj.DeepCopyObject())
		}
	}
	if err := meta.SetList(listObj, items); err != nil {
		return err
	}
	return storage.SetListMeta(listObj, listRV, "", nil)
}

// Watch implements storage.Interface, from the cache: from "" or "0" the
// current objects first, as ADDED; from N the events after N while the
// window holds them, and from etcd when it no longer does (which answers
// 410 Gone once it compacted N away).
func (c *Cacher) Watch(ctx context.Context, key storage.Key, opts storage.ListOptions) (watch.Interface, error) {
	if opts.Continue != "" || opts.ResourceVersionMatch != "" {
		return nil, storage.Errorf(storage.ErrCodeInvalidRequest, key.String(), 0, "watch takes neither continue nor resourceVersionMatch")
	}
	rv, err := storage.ParseResourceVersion(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	if err := c.checkKey(key, opts.Recursive); err != nil {
		return nil, err
	}
	w := newCacheWatcher(ctx, c, keyFilter(key, opts.Recursive), opts.Predicate, key.Name)
	c.mu.Lock()
	defer c.mu.Unlock()
	// A watch needs the cache ready, not caught up: what it lags behind
	// comes as events.
	if !c.wait(ctx, 0) {
		err := ctx.Err()
		if err == nil {
			err = storage.Errorf(storage.ErrCodeUnavailable, key.String(), 0, "the watch cache of %s is not ready", c.cfg.Resource)
		}
		w.start(nil, err)
		return w, nil
	}
	switch {
	case rv == 0:
		var initial []event
		for k, obj := range c.objs {
			if w.in(k) {
				initial = append(initial, event{typ: watch.Added, key: k, obj: obj})
			}
		}
		slices.SortFunc(initial, func(a, b event) int {
			switch {
			case a.key < b.key:
				return -1
			case a.key > b.key:
				return 1
			}
			return 0
		})
		w.after = c.rv
		c.watchers[w] = struct{}{}
		w.start(initial, nil)
	case rv < c.windowStart:
		// Older than the window (a replica that started since, a long
		// pause): etcd serves it while it has not compacted the revision,
		// and answers 410 Gone once it has.
		w.cancel()
		return c.cfg.Storage.Watch(ctx, key, opts)
	default:
		var replay []event
		for _, e := range c.window {
			if e.rv > rv {
				replay = append(replay, e)
			}
		}
		w.after = rv
		c.watchers[w] = struct{}{}
		w.start(replay, nil)
	}
	return w, nil
}

// forget drops a watcher that ended.
func (c *Cacher) forget(w *cacheWatcher) {
	c.mu.Lock()
	delete(c.watchers, w)
	c.mu.Unlock()
}

// copyInto copies obj, which the cache shares, into out, a pointer to the
// same type.
func copyInto(obj, out runtime.Object) error {
	dst, src := reflect.ValueOf(out), reflect.ValueOf(obj.DeepCopyObject())
	if dst.Kind() != reflect.Pointer || dst.Type() != src.Type() {
		return storage.Errorf(storage.ErrCodeInvalidObject, "", 0, "cannot read a %T into a %T", obj, out)
	}
	dst.Elem().Set(src.Elem())
	return nil
}

// WithWrites returns the cache as seen by another store of the same
// resource (a subresource's): its writes go to s, its reads and watches to
// the cache, which waits for those writes too.
func (c *Cacher) WithWrites(s storage.Interface) storage.Interface {
	if s == c.cfg.Storage {
		return c
	}
	return &writeThrough{Cacher: c, writes: s}
}

// writeThrough is a cache whose writes go to another store.
type writeThrough struct {
	*Cacher
	writes storage.Interface
}

func (w *writeThrough) Create(ctx context.Context, key storage.Key, obj, out runtime.Object) error {
	err := w.writes.Create(ctx, key, obj, out)
	if err == nil {
		w.wrote(out)
	}
	return err
}

func (w *writeThrough) GuaranteedUpdate(ctx context.Context, key storage.Key, dest runtime.Object, opts storage.UpdateOptions, tryUpdate storage.UpdateFunc) error {
	err := w.writes.GuaranteedUpdate(ctx, key, dest, opts, tryUpdate)
	if err == nil {
		w.wrote(dest)
	}
	return err
}

func (w *writeThrough) Delete(ctx context.Context, key storage.Key, out runtime.Object, opts storage.DeleteOptions) error {
	err := w.writes.Delete(ctx, key, out, opts)
	if err == nil {
		w.wrote(out)
	}
	return err
}
