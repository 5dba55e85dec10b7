package rest

import (
	"context"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/apiserver/apiserver/pkg/storage"
)

// Storage is what every served resource or subresource implements: it
// makes the empty object its request bodies decode into. What else it
// serves is the set of verb interfaces below that it implements; the
// handlers ask for nothing more, so a create-only review, a subresource
// such as scale, or a proxy plugs in beside the generic store.
type Storage interface {
	New() runtime.Object
}

// StorageVersioner is storage that keeps its objects in etcd as one kind:
// discovery publishes a hash of that kind (storageVersionHash), as
// kube-apiserver does, so that clients see when it changes.
type StorageVersioner interface {
	StorageVersion() schema.GroupVersionKind
}

// Getter serves get.
type Getter interface {
	Get(ctx context.Context, namespace, name string, opts *metav1.GetOptions) (runtime.Object, error)
}

// Lister serves list.
type Lister interface {
	NewList() runtime.Object
	List(ctx context.Context, namespace string, opts *metav1.ListOptions) (runtime.Object, error)
}

// Watcher serves watch.
type Watcher interface {
	Watch(ctx context.Context, namespace string, opts *metav1.ListOptions) (watch.Interface, error)
}

// SharedReader lists and watches without a copy of the objects per
// request, for a caller that only encodes them: the handlers, which then
// encode each object once for every client (storage.Shared).
type SharedReader interface {
	// GetShared reads as Get does; ok is false when the object is not
	// shared: use Get then.
	GetShared(ctx context.Context, namespace, name string, opts *metav1.GetOptions) (obj *storage.Shared, ok bool, err error)
	// ListShared selects as List does; ok is false when the objects are
	// not shared (not served from the watch cache): use List then.
	ListShared(ctx context.Context, namespace string, opts *metav1.ListOptions) (list *storage.SharedList, ok bool, err error)
	// WatchShared watches as Watch does; an event's object may be a
	// *storage.Shared, which must not be modified.
	WatchShared(ctx context.Context, namespace string, opts *metav1.ListOptions) (watch.Interface, error)
}

// Creater serves create.
type Creater interface {
	Create(ctx context.Context, namespace string, obj runtime.Object, dryRun bool) (runtime.Object, error)
}

// NamedCreater serves create on a subresource of an existing object, as
// POST <object>/<subresource> (serviceaccounts/token): name is the
// object's.
type NamedCreater interface {
	CreateNamed(ctx context.Context, namespace, name string, obj runtime.Object, dryRun bool) (runtime.Object, error)
}

// UpdateFunc computes the new object from the current one (nil when the
// object does not exist and the update may create it). An Updater calls it
// again with the fresh object when another write got there first, so it
// must not keep state between calls.
type UpdateFunc func(ctx context.Context, current runtime.Object) (runtime.Object, error)

// Updater serves update, and with Getter, patch: a patch is an update whose
// new object is computed from the current one.
type Updater interface {
	// Update replaces namespace/name with what update returns. created
	// reports whether the update created the object.
	Update(ctx context.Context, namespace, name string, update UpdateFunc, dryRun, forceAllowCreate bool) (obj runtime.Object, created bool, err error)
}

// GracefulDeleter serves delete. deleted reports whether the object is
// gone rather than only marked for deletion (finalizers).
type GracefulDeleter interface {
	Delete(ctx context.Context, namespace, name string, opts *metav1.DeleteOptions, dryRun bool) (obj runtime.Object, deleted bool, err error)
}

// CollectionDeleter serves deletecollection.
type CollectionDeleter interface {
	DeleteCollection(ctx context.Context, namespace string, listOpts *metav1.ListOptions, opts *metav1.DeleteOptions, dryRun bool) (runtime.Object, error)
}

// VerbsOf returns the verbs storage implements, in the order discovery
// lists them. patch needs both a getter and an updater.
func VerbsOf(s Storage) []string {
	if _, ok := s.(Connecter); ok {
		// Any method may be handed over; the declaration narrows them.
		return []string{"create", "delete", "get", "patch", "update"}
	}
	var verbs []string
	add := func(ok bool, verb string) {
		if ok {
			verbs = append(verbs, verb)
		}
	}
	_, creater := s.(Creater)
	_, namedCreater := s.(NamedCreater)
	_, deleter := s.(GracefulDeleter)
	_, collection := s.(CollectionDeleter)
	_, getter := s.(Getter)
	_, lister := s.(Lister)
	_, updater := s.(Updater)
	_, watcher := s.(Watcher)
	add(creater || namedCreater, "create")
	add(deleter, "delete")
	add(collection, "deletecollection")
	add(getter, "get")
	add(lister, "list")
	add(getter && updater, "patch")
	add(updater, "update")
	add(watcher, "watch")
	return verbs
}

// Connecter serves a subresource that answers with an exchange of its own
// rather than an object: a Pod's log stream, exec session or proxy. The
// handler authorizes and routes the request as any other, then hands it to
// the http.Handler Connect returns; an error is answered as a Status.
// Its verbs are those its declaration names.
type Connecter interface {
	Connect(ctx context.Context, namespace, name string, r *http.Request) (http.Handler, error)
}
