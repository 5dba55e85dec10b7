package storage

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

// Interface keeps the objects of one resource. Objects are runtime.Objects
// with Kubernetes object metadata; their resourceVersion is the backend's
// revision of their key and is never stored. Every call takes a context
// whose deadline bounds it (a backend default applies when it has none);
// every error is an *Error or the context's own error.
type Interface interface {
	// Create stores obj under key if the key does not exist, and decodes the
	// stored object into out (which may be obj) with its resourceVersion set.
	// obj must not carry a resourceVersion. A present key is
	// ErrCodeAlreadyExists.
	Create(ctx context.Context, key Key, obj, out runtime.Object) error

	// Get decodes the object at key into out. opts.ResourceVersion "" is a
	// quorum read of the latest state; "0" accepts any state the backend
	// has; "N" requires state at least as new as N
	// (ErrCodeTooLargeResourceVersion otherwise). A missing key is
	// ErrCodeNotFound unless opts.IgnoreNotFound, when out is left as the
	// zero object.
	Get(ctx context.Context, key Key, opts GetOptions, out runtime.Object) error

	// GetList decodes into listObj (a pointer to a list type with an Items
	// slice) the objects under key that opts.Predicate selects: the
	// collection of key when opts.Recursive, else the one object at key.
	// See ListOptions for resourceVersion and paging semantics.
	GetList(ctx context.Context, key Key, opts ListOptions, listObj runtime.Object) error

	// GuaranteedUpdate reads the object at key, calls tryUpdate with it and
	// writes the result if the key has not changed since the read (a
	// compare-and-swap on its revision), calling tryUpdate again with the
	// fresh object until a write succeeds. No update is lost. The stored
	// object is decoded into dest. tryUpdate must not modify its input; it
	// may be called several times. A result equal to the input is not
	// written. See UpdateOptions for preconditions and creating on update.
	GuaranteedUpdate(ctx context.Context, key Key, dest runtime.Object, opts UpdateOptions, tryUpdate UpdateFunc) error

	// Delete removes the object at key if opts' preconditions hold, and
	// decodes its last state into out, with the resourceVersion of the
	// deletion. A missing key is ErrCodeNotFound.
	Delete(ctx context.Context, key Key, out runtime.Object, opts DeleteOptions) error

	// Watch streams changes under key (its collection when opts.Recursive)
	// after opts.ResourceVersion, in revision order, as ADDED, MODIFIED and
	// DELETED events whose objects opts.Predicate selects; DELETED carries
	// the last state. With resourceVersion "" or "0" it first sends the
	// current objects as ADDED. A compacted start revision, a consumer that
	// falls behind, or a failure of the backend ends the watch with one
	// ERROR event carrying a *metav1.Status. Stop releases everything.
	Watch(ctx context.Context, key Key, opts ListOptions) (watch.Interface, error)

	// Count returns the number of objects under key (its collection when
	// key.Name is empty).
	Count(ctx context.Context, key Key) (int64, error)
}

// UpdateFunc computes the new state of an object from its current one (a
// fresh empty object when the key is missing and IgnoreNotFound is set). It
// returns an error to abort the update; that error is returned unchanged.
type UpdateFunc func(input runtime.Object) (output runtime.Object, err error)

// ValidateObjectFunc checks an object before a write is allowed (for
// example admission on delete); an error aborts the call unchanged.
type ValidateObjectFunc func(ctx context.Context, obj runtime.Object) error

// Preconditions must hold for an update or delete to go ahead; a nil field
// is not checked. A failed precondition is ErrCodeConflict.
type Preconditions struct {
	UID             *types.UID
	ResourceVersion *string
}

// Check compares the preconditions with obj's metadata; key names the
// object in the error.
func (p *Preconditions) Check(key string, obj runtime.Object) error {
	if p == nil {
		return nil
	}
	m, err := metaAccessor(obj)
	if err != nil {
		return err
	}
	if p.UID != nil && *p.UID != m.GetUID() {
		return Errorf(ErrCodeConflict, key, 0,
			"precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, m.GetUID())
	}
	if p.ResourceVersion != nil && *p.ResourceVersion != m.GetResourceVersion() {
		return Errorf(ErrCodeConflict, key, 0,
			"precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v",
			*p.ResourceVersion, m.GetResourceVersion())
	}
	return nil
}

// GetOptions tune Get.
type GetOptions struct {
	// ResourceVersion: "" quorum read, "0" any state, "N" not older than N.
	ResourceVersion string
	// IgnoreNotFound returns no error and a zero object for a missing key.
	IgnoreNotFound bool
}

// ListOptions tune GetList and Watch.
type ListOptions struct {
	// ResourceVersion and ResourceVersionMatch follow kube-apiserver:
	// GetList with "" reads the latest state with a quorum read; "0" any
	// state; "N" state not older than N, except that with a Limit and no
	// match it reads exactly N (the legacy paging rule); Match "NotOlderThan"
	// or "Exact" makes the rule explicit. Watch starts after ResourceVersion;
	// "" and "0" start with the current objects as ADDED events.
	ResourceVersion      string
	ResourceVersionMatch metav1.ResourceVersionMatch
	// Limit caps the items of one page (0: no limit); Continue is the token
	// of the previous page's list. Pages of one list are read at the same
	// revision, so together they hold every selected object of that
	// snapshot exactly once.
	Limit    int64
	Continue string
	// Predicate selects objects (the zero value selects all).
	Predicate SelectionPredicate
	// Recursive lists or watches the collection of the key (all objects,
	// or one namespace) rather than one object.
	Recursive bool
	// ProgressNotify (watches only) sends a BOOKMARK, an empty object
	// carrying the backend's revision, whenever the backend reports that
	// the watch has seen every change up to that revision: a cache learns
	// so that it is current even when nothing changed in its range.
	ProgressNotify bool
	// Shared (watches only) is the caller's promise not to modify the
	// events' objects: a store that shares its objects (the watch cache)
	// then sends them as *Shared instead of a copy per watcher.
	Shared bool
	// SendInitialEvents (watches only), when set, replaces the legacy
	// rule for what a watch starts with (kube's WatchList): true sends
	// the state at ResourceVersion ("" the latest, "0" any, "N" not older
	// than N) as ADDED events first; false sends none and starts after
	// ResourceVersion ("" and "0": now). With InitialEventsEnd the initial
	// events end with a BOOKMARK at their revision, annotated
	// InitialEventsEndAnnotation, so that the client knows it has the
	// whole state.
	SendInitialEvents *bool
	InitialEventsEnd  bool
	// Bookmarks (watches only): the consumer takes BOOKMARK events, which
	// a store may send when it knows the watch has seen every change up
	// to a revision (kube's allowWatchBookmarks).
	Bookmarks bool
}

// InitialEventsEndAnnotation marks the BOOKMARK that ends a watch's
// initial events.
const InitialEventsEndAnnotation = metav1.InitialEventsAnnotationKey

// UpdateOptions tune GuaranteedUpdate.
type UpdateOptions struct {
	// IgnoreNotFound passes a new empty object to tryUpdate when the key is
	// missing, creating the object; otherwise a missing key is
	// ErrCodeNotFound.
	IgnoreNotFound bool
	// Preconditions are checked against the current object before every
	// attempt.
	Preconditions *Preconditions
}

// DeleteOptions tune Delete.
type DeleteOptions struct {
	// Preconditions are checked against the current object.
	Preconditions *Preconditions
	// Validate, if set, is called with the current object before deleting.
	Validate ValidateObjectFunc
}

func metaAccessor(obj runtime.Object) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if ok {
		return m, nil
	}
	return nil, NewError(ErrCodeInvalidObject, "", 0, fmt.Errorf("%T has no object metadata", obj))
}
