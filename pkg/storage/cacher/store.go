package cacher

import (
	"context"
	"reflect"

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
// cache once it reflects N, "" once it reflects etcd's current revision
// (or etcd, when the cache cannot tell it does).
func (c *Cacher) Get(ctx context.Context, key storage.Key, opts storage.GetOptions, out runtime.Object) error {
	if c.checkKey(key, false) != nil {
		return c.cfg.Storage.Get(ctx, key, opts, out) // its error
	}
	var ok bool
	if opts.ResourceVersion == "" {
		var err error
		if ok, err = c.lockConsistent(ctx); err != nil {
			return err
		}
	} else {
		rv, err := storage.ParseResourceVersion(opts.ResourceVersion)
		if err != nil {
			return c.cfg.Storage.Get(ctx, key, opts, out) // its error
		}
		c.mu.Lock()
		if ok = c.waitFor(ctx, rv); !ok {
			c.mu.Unlock() // etcd says whether N is too large
		}
	}
	if !ok {
		return c.cfg.Storage.Get(ctx, key, opts, out)
	}
	obj, found := c.objs[key.Namespace+"/"+key.Name]
	c.mu.Unlock()
	if !found {
		if opts.IgnoreNotFound {
			return storage.Zero(out)
		}
		return storage.NewError(storage.ErrCodeNotFound, key.String(), 0, nil)
	}
	return copyInto(obj.Object, out)
}

// GetList implements storage.Interface. A list at resourceVersion "0", or
// not older than N, or the latest ("") once the cache knows it reflects
// etcd's current revision, without paging, is served from the cache;
// exact lists and pages go to etcd.
func (c *Cacher) GetList(ctx context.Context, key storage.Key, opts storage.ListOptions, listObj runtime.Object) error {
	ok, err := c.lockForList(ctx, key, opts)
	if err != nil {
		return err
	}
	if !ok {
		return c.cfg.Storage.GetList(ctx, key, opts, listObj)
	}
	return c.listLocked(key, opts, listObj)
}

// ListShared implements storage.SharedLister: GetList's objects, shared.
// A list the cache may serve but cannot yet (it lags behind) is read from
// etcd here rather than by the caller, which would wait for the cache
// again; its objects are then the request's own.
func (c *Cacher) ListShared(ctx context.Context, key storage.Key, opts storage.ListOptions) ([]*storage.Shared, int64, bool, error) {
	if !c.cacheable(key, opts) {
		return nil, 0, false, nil
	}
	ok, err := c.lockForList(ctx, key, opts)
	if err != nil {
		return nil, 0, false, err
	}
	if ok {
		items, rv, err := c.selectLocked(key, opts)
		return items, rv, err == nil, err
	}
	list := c.cfg.NewListFunc()
	if err := c.cfg.Storage.GetList(ctx, key, opts, list); err != nil {
		return nil, 0, false, err
	}
	objs, err := meta.ExtractList(list)
	if err != nil {
		return nil, 0, false, err
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return nil, 0, false, err
	}
	rv, err := storage.ParseResourceVersion(lm.GetResourceVersion())
	if err != nil {
		return nil, 0, false, err
	}
	items := make([]*storage.Shared, len(objs))
	for i, obj := range objs {
		items[i] = storage.NewShared(obj)
	}
	return items, rv, true, nil
}

// cacheable reports whether the cache can serve a list with opts: whole
// lists at "" (consistent), "0", or not older than N.
func (c *Cacher) cacheable(key storage.Key, opts storage.ListOptions) bool {
	switch {
	case opts.Continue != "" || opts.Limit != 0 || c.checkKey(key, opts.Recursive) != nil:
		return false
	case opts.ResourceVersion == "":
		return opts.ResourceVersionMatch == ""
	}
	return opts.ResourceVersionMatch == "" || opts.ResourceVersionMatch == metav1.ResourceVersionMatchNotOlderThan
}

// lockForList waits until the cache may serve a list with opts and
// returns true with c.mu held; false when etcd serves it.
func (c *Cacher) lockForList(ctx context.Context, key storage.Key, opts storage.ListOptions) (bool, error) {
	if !c.cacheable(key, opts) {
		return false, nil
	}
	if opts.ResourceVersion == "" {
		return c.lockConsistent(ctx)
	}
	rv, err := storage.ParseResourceVersion(opts.ResourceVersion)
	if err != nil {
		return false, nil // etcd's error
	}
	c.mu.Lock()
	if !c.waitFor(ctx, rv) {
		c.mu.Unlock()
		return false, nil
	}
	return true, nil
}

// listLocked lists from the cache; c.mu is held, and released.
func (c *Cacher) listLocked(key storage.Key, opts storage.ListOptions, listObj runtime.Object) error {
	selected, listRV, err := c.selectLocked(key, opts)
	if err != nil {
		return err
	}
	items := make([]runtime.Object, len(selected))
	for i, obj := range selected {
		items[i] = obj.DeepCopyObject()
	}
	if err := meta.SetList(listObj, items); err != nil {
		return err
	}
	return storage.SetListMeta(listObj, listRV, "", nil)
}

// selectLocked returns the objects under key that opts select, sorted by
// key, and the cache's revision; c.mu is held, and released.
func (c *Cacher) selectLocked(key storage.Key, opts storage.ListOptions) ([]*storage.Shared, int64, error) {
	all, listRV := c.sortedLocked(), c.rv
	c.mu.Unlock()
	in := keyFilter(key, opts.Recursive)
	selected := make([]*storage.Shared, 0, len(all))
	for _, e := range all {
		if !in(e.key) {
			continue
		}
		if !opts.Predicate.Empty() {
			ok, err := opts.Predicate.Matches(e.obj.Object)
			if err != nil {
				return nil, 0, storage.Errorf(storage.ErrCodeInvalidObject, key.String(), 0, "selecting object: %w", err)
			}
			if !ok {
				continue
			}
		}
		selected = append(selected, e.obj)
	}
	return selected, listRV, nil
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
	w.shared = opts.Shared
	initial := rv == 0 // the legacy rule: "" and "0" send the state first
	if opts.SendInitialEvents != nil {
		initial = *opts.SendInitialEvents
	}
	var latest int64
	if !initial && opts.ResourceVersion == "" {
		// From the latest revision, which the cache may not reflect yet:
		// the watcher skips what the cache applies up to it.
		if p, ok := c.cfg.Storage.(progressReporter); ok {
			if latest, err = c.revisions.current(ctx, p.CurrentRevision); err != nil {
				w.cancel()
				return nil, err
			}
		}
	}
	locked := false
	switch {
	case initial && opts.SendInitialEvents != nil && opts.ResourceVersion == "":
		// The latest state: once the cache reflects etcd's revision.
		ok, err := c.lockConsistent(ctx)
		if err != nil {
			w.cancel()
			return nil, err
		}
		if !ok {
			w.cancel()
			return c.cfg.Storage.Watch(ctx, key, opts)
		}
		locked = true
	case initial:
		// A state not older than rv, with this server's writes.
		c.mu.Lock()
		if !c.waitFor(ctx, rv) {
			c.mu.Unlock()
			w.cancel()
			return c.cfg.Storage.Watch(ctx, key, opts)
		}
		locked = true
	}
	if !locked {
		c.mu.Lock()
	}
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
	case initial:
		// The watcher skips the objects outside its key range.
		w.after = c.rv
		if opts.InitialEventsEnd {
			w.endInitial = c.rv
		}
		c.watchers[w] = struct{}{}
		w.start(c.sortedLocked(), nil)
	case rv == 0:
		// Without the state: from now.
		w.after = max(c.rv, latest)
		c.watchers[w] = struct{}{}
		w.start(nil, nil)
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
