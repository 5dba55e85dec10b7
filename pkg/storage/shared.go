package storage

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Shared is one state of an object held by the watch cache and handed to
// every reader that promised not to modify it (ListOptions.Shared): a
// thousand watchers, or fifty lists, cost no copy of it. It remembers its
// encodings, so that they cost one encoding too.
//
// It is a runtime.Object only to travel in a watch.Event: it has no kind
// of its own, and DeepCopyObject returns a private copy of the object,
// not of the wrapper.
type Shared struct {
	// Object must not be modified.
	Object runtime.Object

	// own marks an object read for one request only (from etcd, when the
	// cache could not serve it): encoded in place, without a copy, and
	// not remembered.
	own bool

	mu        sync.Mutex
	encodings []encoding
}

// encoding is one remembered encoding of a Shared object.
type encoding struct {
	key  any
	data []byte
}

// maxEncodings bounds what one object remembers: an encoding per way it
// is served (JSON, protobuf; two versions of a custom resource) is a few.
const maxEncodings = 4

// NewShared wraps obj, which nobody modifies from now on.
func NewShared(obj runtime.Object) *Shared { return &Shared{Object: obj} }

// NewOwn wraps obj, read for one request, which nobody else sees: its
// encoding may modify it and is not remembered.
func NewOwn(obj runtime.Object) *Shared { return &Shared{Object: obj, own: true} }

// Encoded returns the encoding of the object named by key, made by encode
// the first time. encode receives a private copy, which it may modify
// (set its kind, apply read-time defaults) before encoding. Concurrent
// first calls may both encode; the bytes are the same.
func (s *Shared) Encoded(key any, encode func(runtime.Object) ([]byte, error)) ([]byte, error) {
	if s.own {
		return encode(s.Object)
	}
	s.mu.Lock()
	for _, e := range s.encodings {
		if e.key == key {
			s.mu.Unlock()
			return e.data, nil
		}
	}
	s.mu.Unlock()
	data, err := encode(s.Object.DeepCopyObject())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.encodings) == maxEncodings {
		// A key no longer served (a custom resource whose definition
		// changed) makes way, oldest first.
		s.encodings = append(s.encodings[:0], s.encodings[1:]...)
	}
	s.encodings = append(s.encodings, encoding{key: key, data: data})
	s.mu.Unlock()
	return data, nil
}

// GetObjectKind is empty: the shared object's kind must not be set.
func (s *Shared) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject returns a copy of the object, which the caller owns.
func (s *Shared) DeepCopyObject() runtime.Object { return s.Object.DeepCopyObject() }

// SharedList is a list of shared objects: what GetList would fill a list
// object with.
type SharedList struct {
	Items           []*Shared
	ResourceVersion int64
	// Continue and RemainingItemCount are set for a page with more after
	// it, as GetList sets them.
	Continue           string
	RemainingItemCount *int64
	// Own, when set, is instead the list GetList read from etcd for this
	// request, the cache not serving it: encode it as any list, in one
	// pass (object by object was a fifth slower).
	Own runtime.Object
}

// SharedReader is a store that reads without copying: the watch cache.
type SharedReader interface {
	// GetShared reads as Get does, the object shared.
	GetShared(ctx context.Context, key Key, opts GetOptions) (*Shared, error)
	// ListShared selects as GetList does, with the objects the store
	// shares, sorted by namespace and name. ok is false when GetList
	// would not serve opts from memory: read with GetList then.
	ListShared(ctx context.Context, key Key, opts ListOptions) (list *SharedList, ok bool, err error)
}
