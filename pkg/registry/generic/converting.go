package generic

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Converting serves a resource whose objects are stored as those of
// another version or group, as kube-apiserver serves events.k8s.io/v1
// Events from the core ones and autoscaling/v1 HorizontalPodAutoscalers
// from v2: every object is converted on its way in and out of Stored,
// which validates and admits the stored form.
type Converting struct {
	Stored *Store
	// NewServed and NewServedList return the served version's empty
	// object and list.
	NewServed, NewServedList func() runtime.Object
	// ToStored converts a served object; an error is the client's (a
	// wrong kind). FromStored converts a stored one.
	ToStored   func(runtime.Object) (runtime.Object, error)
	FromStored func(runtime.Object) runtime.Object
	// Selector, when set, rewrites a field selector of the served
	// version into the stored one's field names.
	Selector func(*metav1.ListOptions) (*metav1.ListOptions, error)
}

var (
	_ rest.Getter            = Converting{}
	_ rest.Lister            = Converting{}
	_ rest.Watcher           = Converting{}
	_ rest.Creater           = Converting{}
	_ rest.Updater           = Converting{}
	_ rest.GracefulDeleter   = Converting{}
	_ rest.CollectionDeleter = Converting{}
)

// StorageVersion implements rest.StorageVersioner: objects are stored as
// the stored version's.
func (c Converting) StorageVersion() schema.GroupVersionKind { return c.Stored.StorageVersion() }

// New returns an empty served object.
func (c Converting) New() runtime.Object { return c.NewServed() }

// NewList returns an empty served list.
func (c Converting) NewList() runtime.Object { return c.NewServedList() }

func (c Converting) selector(opts *metav1.ListOptions) (*metav1.ListOptions, error) {
	if c.Selector == nil || opts == nil {
		return opts, nil
	}
	return c.Selector(opts)
}

// Get reads a stored object and converts it.
func (c Converting) Get(ctx context.Context, ns, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	obj, err := c.Stored.Get(ctx, ns, name, opts)
	if err != nil {
		return nil, err
	}
	return c.FromStored(obj), nil
}

// List lists the stored objects and converts each.
func (c Converting) List(ctx context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, error) {
	opts, err := c.selector(opts)
	if err != nil {
		return nil, err
	}
	list, err := c.Stored.List(ctx, ns, opts)
	if err != nil {
		return nil, err
	}
	return c.convertList(list)
}

func (c Converting) convertList(list runtime.Object) (runtime.Object, error) {
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := c.NewServedList()
	for i := range items {
		items[i] = c.FromStored(items[i])
	}
	if err := meta.SetList(out, items); err != nil {
		return nil, err
	}
	from, err := meta.ListAccessor(list)
	if err != nil {
		return nil, err
	}
	to, err := meta.ListAccessor(out)
	if err != nil {
		return nil, err
	}
	to.SetResourceVersion(from.GetResourceVersion())
	to.SetContinue(from.GetContinue())
	to.SetRemainingItemCount(from.GetRemainingItemCount())
	return out, nil
}

// Watch watches the stored objects and converts each event's.
func (c Converting) Watch(ctx context.Context, ns string, opts *metav1.ListOptions) (watch.Interface, error) {
	opts, err := c.selector(opts)
	if err != nil {
		return nil, err
	}
	w, err := c.Stored.Watch(ctx, ns, opts)
	if err != nil {
		return nil, err
	}
	return ConvertWatch(w, func(obj runtime.Object) (runtime.Object, error) { return c.FromStored(obj), nil },
		func(obj runtime.Object) runtime.Object { return ServedBookmark(c, obj) }), nil
}

// ServedBookmark is a bookmark's object as c serves it: a typed client's
// reflector refuses an object of another type, then restarts its watch.
func ServedBookmark(c Converting, obj runtime.Object) runtime.Object {
	out := c.NewServed()
	from, err1 := meta.Accessor(obj)
	to, err2 := meta.Accessor(out)
	if err1 == nil && err2 == nil {
		to.SetResourceVersion(from.GetResourceVersion())
		to.SetAnnotations(from.GetAnnotations())
	}
	return out
}

// ConvertWatch returns in with each object event's object converted. A
// conversion that fails ends the watch with an ERROR event carrying the
// error's status. bookmark, when set, converts a bookmark's object (which
// holds only a resourceVersion); nil passes bookmarks as they are.
func ConvertWatch(in watch.Interface, convert func(runtime.Object) (runtime.Object, error), bookmark func(runtime.Object) runtime.Object) watch.Interface {
	cw := &convertedWatch{in: in, out: make(chan watch.Event), stop: make(chan struct{})}
	go cw.loop(convert, bookmark)
	return cw
}

// convertedWatch converts each event of in. Unlike apimachinery's
// watch.Filter, Stop also ends a send no one reads any more, so a client
// that goes away leaves no goroutine behind.
type convertedWatch struct {
	in   watch.Interface
	out  chan watch.Event
	stop chan struct{}
	once sync.Once
}

func (w *convertedWatch) loop(convert func(runtime.Object) (runtime.Object, error), bookmark func(runtime.Object) runtime.Object) {
	defer close(w.out)
	for {
		select {
		case <-w.stop:
			return
		case e, ok := <-w.in.ResultChan():
			if !ok {
				return
			}
			failed := false
			if e.Type == watch.Bookmark && bookmark != nil && e.Object != nil {
				e.Object = bookmark(e.Object)
			}
			if e.Type != watch.Error && e.Type != watch.Bookmark && e.Object != nil {
				obj, err := convert(e.Object)
				if err != nil {
					st := apierrors.NewInternalError(err).Status()
					e, failed = watch.Event{Type: watch.Error, Object: &st}, true
				} else {
					e.Object = obj
				}
			}
			select {
			case w.out <- e:
			case <-w.stop:
				return
			}
			if failed {
				w.Stop()
				return
			}
		}
	}
}

// Stop ends the watch and its conversion.
func (w *convertedWatch) Stop() {
	w.once.Do(func() {
		close(w.stop)
		w.in.Stop()
	})
}

// ResultChan returns the converted events.
func (w *convertedWatch) ResultChan() <-chan watch.Event { return w.out }

// Create converts obj and stores it.
func (c Converting) Create(ctx context.Context, ns string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
	stored, err := c.ToStored(obj)
	if err != nil {
		return nil, err
	}
	out, err := c.Stored.Create(ctx, ns, stored, dryRun)
	if err != nil {
		return nil, err
	}
	return c.FromStored(out), nil
}

// Update hands update the served form of the current object and stores
// the converted result.
func (c Converting) Update(ctx context.Context, ns, name string, update rest.UpdateFunc, dryRun, forceAllowCreate bool) (runtime.Object, bool, error) {
	out, created, err := c.Stored.Update(ctx, ns, name, func(ctx context.Context, current runtime.Object) (runtime.Object, error) {
		var cur runtime.Object
		if current != nil {
			cur = c.FromStored(current)
		}
		next, err := update(ctx, cur)
		if err != nil {
			return nil, err
		}
		return c.ToStored(next)
	}, dryRun, forceAllowCreate)
	if err != nil {
		return nil, false, err
	}
	return c.FromStored(out), created, nil
}

// Delete deletes the stored object; an object in the answer is converted.
func (c Converting) Delete(ctx context.Context, ns, name string, opts *metav1.DeleteOptions, dryRun bool) (runtime.Object, bool, error) {
	out, deleted, err := c.Stored.Delete(ctx, ns, name, opts, dryRun)
	if err != nil {
		return nil, false, err
	}
	if _, isStatus := out.(*metav1.Status); !isStatus {
		out = c.FromStored(out)
	}
	return out, deleted, nil
}

// DeleteCollection deletes what the served selectors select.
func (c Converting) DeleteCollection(ctx context.Context, ns string, listOpts *metav1.ListOptions, opts *metav1.DeleteOptions, dryRun bool) (runtime.Object, error) {
	listOpts, err := c.selector(listOpts)
	if err != nil {
		return nil, err
	}
	out, err := c.Stored.DeleteCollection(ctx, ns, listOpts, opts, dryRun)
	if err != nil {
		return nil, err
	}
	return c.convertList(out)
}

// KindError is what a ToStored function answers for an object of another
// type than the served one.
func KindError(want string, got runtime.Object) error {
	return fmt.Errorf("not %s: %T", want, got)
}

// Table prints served objects with the stored type's table, as kube
// prints every version of a resource alike.
func (c Converting) Table() rest.TableConvertor { return convertingTable{c} }

type convertingTable struct{ c Converting }

func (t convertingTable) ConvertToTable(ctx context.Context, obj runtime.Object, opts *metav1.TableOptions) (*metav1.Table, error) {
	stored, err := t.toStored(obj)
	if err != nil {
		return nil, err
	}
	table := t.c.Stored.Type.Table
	if table == nil {
		return nil, fmt.Errorf("%s has no table", t.c.Stored.Type.Info.Resource)
	}
	return table.ConvertToTable(ctx, stored, opts)
}

func (t convertingTable) toStored(obj runtime.Object) (runtime.Object, error) {
	if !meta.IsListType(obj) {
		return t.c.ToStored(obj)
	}
	items, err := meta.ExtractList(obj)
	if err != nil {
		return nil, err
	}
	for i := range items {
		if items[i], err = t.c.ToStored(items[i]); err != nil {
			return nil, err
		}
	}
	out := t.c.Stored.Type.NewList()
	if err := meta.SetList(out, items); err != nil {
		return nil, err
	}
	if from, err := meta.ListAccessor(obj); err == nil {
		if to, err := meta.ListAccessor(out); err == nil {
			to.SetResourceVersion(from.GetResourceVersion())
			to.SetContinue(from.GetContinue())
			to.SetRemainingItemCount(from.GetRemainingItemCount())
		}
	}
	return out, nil
}
