package cacher

import (
	"context"
	"reflect"
	"slices"
	"strings"

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
	obj, served, err := c.getFromCache(ctx, key, opts)
	switch {
	case err != nil:
		return err
	case !served:
		return c.cfg.Storage.Get(ctx, key, opts, out)
	case obj == nil && opts.IgnoreNotFound:
		return storage.Zero(out)
	case obj == nil:
		return storage.NewError(storage.ErrCodeNotFound, key.String(), 0, nil)
	}
	return copyInto(obj.Object, out)
}

// GetShared implements storage.SharedReader: Get's object, shared.
func (c *Cacher) GetShared(ctx context.Context, key storage.Key, opts storage.GetOptions) (*storage.Shared, error) {
	obj, served, err := c.getFromCache(ctx, key, opts)
	switch {
	case err != nil:
		return nil, err
	case !served:
		out := c.cfg.NewFunc()
		if err := c.cfg.Storage.Get(ctx, key, opts, out); err != nil {
			return nil, err
		}
		return storage.NewOwn(out), nil
	case obj == nil:
		return nil, storage.NewError(storage.ErrCodeNotFound, key.String(), 0, nil)
	}
	return obj, nil
}

// getFromCache reads key from the cache once it may serve opts: the object
// (nil when there is none) and true, or false when etcd must serve it.
func (c *Cacher) getFromCache(ctx context.Context, key storage.Key, opts storage.GetOptions) (*storage.Shared, bool, error) {
	if c.checkKey(key, false) != nil {
		return nil, false, nil // etcd's error
	}
	if opts.ResourceVersion == "" {
		ok, err := c.lockConsistent(ctx)
		if err != nil || !ok {
			return nil, false, err
		}
	} else {
		rv, err := storage.ParseResourceVersion(opts.ResourceVersion)
		if err != nil {
			return nil, false, nil // etcd's error
		}
		c.mu.Lock()
		if !c.waitFor(ctx, rv) {
			c.mu.Unlock() // etcd says whether N is too large
			return nil, false, nil
		}
	}
	obj := c.objs[key.Namespace+"/"+key.Name]
	c.mu.Unlock()
	return obj, true, nil
}

// GetList implements storage.Interface. A list at resourceVersion "0", or
// not older than N, or the latest ("") once the cache knows it reflects
// etcd's current revision, is served from the cache, its first page too:
// the pages after it come from etcd at the revision of the first, which
// holds the same state. Exact lists (and the legacy N with a limit) go to
// etcd.
func (c *Cacher) GetList(ctx context.Context, key storage.Key, opts storage.ListOptions, listObj runtime.Object) error {
	ok, err := c.lockForList(ctx, key, opts)
	if err != nil {
		return err
	}
	if !ok {
		return c.cfg.Storage.GetList(ctx, key, opts, listObj)
	}
	list, err := c.selectLocked(key, opts)
	if err != nil {
		return err
	}
	items := make([]runtime.Object, len(list.Items))
	for i, obj := range list.Items {
		items[i] = obj.DeepCopyObject()
	}
	if err := meta.SetList(listObj, items); err != nil {
		return err
	}
	return storage.SetListMeta(listObj, list.ResourceVersion, list.Continue, list.RemainingItemCount)
}

// ListShared implements storage.SharedReader: GetList's objects, shared.
// A list the cache may serve but cannot yet (it lags behind, or cannot
// tell it is current) is read from etcd here rather than by the caller,
// which would wait for the cache again: the list is then the request's
// own.
func (c *Cacher) ListShared(ctx context.Context, key storage.Key, opts storage.ListOptions) (*storage.SharedList, bool, error) {
	if !c.cacheable(key, opts) {
		return nil, false, nil
	}
	ok, err := c.lockForList(ctx, key, opts)
	if err != nil {
		return nil, false, err
	}
	if ok {
		list, err := c.selectLocked(key, opts)
		return list, err == nil, err
	}
	listObj := c.cfg.NewListFunc()
	if err := c.cfg.Storage.GetList(ctx, key, opts, listObj); err != nil {
		return nil, false, err
	}
	return &storage.SharedList{Own: listObj}, true, nil
}

// cacheable reports whether the cache can serve a list with opts: first
// pages or whole lists at "" (consistent), "0", or not older than N. A
// limit with N and no match reads exactly N, which only etcd keeps.
func (c *Cacher) cacheable(key storage.Key, opts storage.ListOptions) bool {
	switch {
	case opts.Continue != "" || opts.Limit < 0 || c.checkKey(key, opts.Recursive) != nil:
		return false
	case opts.ResourceVersion == "":
		return opts.ResourceVersionMatch == ""
	case opts.ResourceVersionMatch == "":
		return opts.ResourceVersion == "0" || opts.Limit == 0
	}
	return opts.ResourceVersionMatch == metav1.ResourceVersionMatchNotOlderThan
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

// selectLocked returns the objects under key that opts select, sorted by
// key, at the cache's revision, cut to opts.Limit with the continue token
// of the rest; c.mu is held, and released. A namespace is a range of the
// sorted snapshot, and a name in it one lookup.
func (c *Cacher) selectLocked(key storage.Key, opts storage.ListOptions) (*storage.SharedList, error) {
	list := &storage.SharedList{ResourceVersion: c.rv}
	var candidates []event
	if name, ok := selectedName(opts.Predicate); ok && (key.Namespace != "" || !c.cfg.Keys.Namespaced()) {
		if obj, found := c.objs[key.Namespace+"/"+name]; found {
			candidates = []event{{key: key.Namespace + "/" + name, obj: obj}}
		}
	} else {
		candidates = c.sortedLocked()
		if key.Namespace != "" {
			prefix := key.Namespace + "/"
			from, _ := slices.BinarySearchFunc(candidates, prefix, func(e event, p string) int { return strings.Compare(e.key, p) })
			to := from
			for to < len(candidates) && strings.HasPrefix(candidates[to].key, prefix) {
				to++
			}
			candidates = candidates[from:to]
		}
	}
	c.mu.Unlock()
	in := keyFilter(key, opts.Recursive)
	list.Items = make([]*storage.Shared, 0, len(candidates))
	var last string
	for _, e := range candidates {
		if !in(e.key) {
			continue
		}
		if !opts.Predicate.Empty() {
			ok, err := opts.Predicate.Matches(e.obj.Object)
			if err != nil {
				return nil, storage.Errorf(storage.ErrCodeInvalidObject, key.String(), 0, "selecting object: %w", err)
			}
			if !ok {
				continue
			}
		}
		if opts.Limit > 0 && int64(len(list.Items)) == opts.Limit {
			// More after the page: the rest comes from etcd, at
			// this revision, from after the page's last key.
			start := strings.TrimPrefix(last, key.Namespace+"/") + "\x00"
			cont, err := storage.EncodeContinue(start, list.ResourceVersion)
			if err != nil {
				return nil, err
			}
			list.Continue = cont
			if opts.Predicate.Empty() {
				// As etcd counts them: every key after the page.
				n := int64(0)
				for _, e := range candidates {
					if e.key > last && in(e.key) {
						n++
					}
				}
				list.RemainingItemCount = &n
			}
			break
		}
		list.Items = append(list.Items, e.obj)
		last = e.key
	}
	return list, nil
}

// selectedName is the name a predicate selects with metadata.name=NAME.
func selectedName(p storage.SelectionPredicate) (string, bool) {
	if p.Field == nil {
		return "", false
	}
	return p.Field.RequiresExactMatch("metadata.name")
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
	w.shared, w.bookmarks = opts.Shared, opts.Bookmarks
	initial := rv == 0 // the legacy rule: "" and "0" send the state first
	if opts.SendInitialEvents != nil {
		initial = *opts.SendInitialEvents
	}
	var latest int64
	if !initial && opts.ResourceVersion == "" {
		// From the latest revision, which the cache may not reflect yet:
		// the watcher skips what the cache applies up to it.
		if p, ok := c.cfg.Storage.(progressReporter); ok {
			if latest, err = c.currentRevision(ctx, p); err != nil {
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
