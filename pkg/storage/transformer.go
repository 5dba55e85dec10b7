package storage

import "context"

// Transformer turns the bytes an object encodes to into what etcd holds,
// and back: encryption at rest. key is the object's etcd key, which a
// transformer may bind the stored value to.
type Transformer interface {
	// TransformToStorage returns what to store for data.
	TransformToStorage(ctx context.Context, data []byte, key string) ([]byte, error)
	// TransformFromStorage returns the data a stored value holds. stale
	// reports a value written otherwise than TransformToStorage writes now
	// (an older key, another provider): rewriting it brings it up to date.
	TransformFromStorage(ctx context.Context, stored []byte, key string) (data []byte, stale bool, err error)
}
