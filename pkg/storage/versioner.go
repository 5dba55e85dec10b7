package storage

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// A resourceVersion is an etcd revision written in decimal. These helpers
// are the only code that reads or writes it on objects, so that it is never
// stored: it is cleared before encoding and set from ModRevision on decode.

// ParseResourceVersion parses a resourceVersion; "" is 0. A negative or
// non-numeric value is an ErrCodeInvalidRequest error.
func ParseResourceVersion(rv string) (int64, error) {
	if rv == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || v < 0 {
		return 0, Errorf(ErrCodeInvalidRequest, "", 0, "resourceVersion %q is not a non-negative integer", rv)
	}
	return v, nil
}

// FormatResourceVersion writes rv in decimal; 0 is "".
func FormatResourceVersion(rv int64) string {
	if rv == 0 {
		return ""
	}
	return strconv.FormatInt(rv, 10)
}

// ObjectResourceVersion returns obj's resourceVersion as a revision.
func ObjectResourceVersion(obj runtime.Object) (int64, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return 0, NewError(ErrCodeInvalidObject, "", 0, err)
	}
	return ParseResourceVersion(m.GetResourceVersion())
}

// SetObjectResourceVersion sets obj's resourceVersion to rv.
func SetObjectResourceVersion(obj runtime.Object, rv int64) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return NewError(ErrCodeInvalidObject, "", 0, err)
	}
	m.SetResourceVersion(FormatResourceVersion(rv))
	return nil
}

// PrepareObjectForStorage clears the fields storage derives instead of
// storing: resourceVersion and selfLink.
func PrepareObjectForStorage(obj runtime.Object) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return NewError(ErrCodeInvalidObject, "", 0, err)
	}
	m.SetResourceVersion("")
	m.SetSelfLink("")
	return nil
}

// SetListMeta sets a list's resourceVersion, continue token and, when
// remaining is not nil, its remainingItemCount.
func SetListMeta(list runtime.Object, rv int64, cont string, remaining *int64) error {
	m, err := meta.ListAccessor(list)
	if err != nil {
		return NewError(ErrCodeInvalidObject, "", 0, fmt.Errorf("list object: %w", err))
	}
	m.SetResourceVersion(FormatResourceVersion(rv))
	m.SetContinue(cont)
	m.SetRemainingItemCount(remaining)
	return nil
}

// InitialEventsEnd returns the BOOKMARK event that ends a watch's initial
// events at revision rv: obj, empty, with the revision and the annotation.
func InitialEventsEnd(obj runtime.Object, rv int64) (watch.Event, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return watch.Event{}, NewError(ErrCodeInvalidObject, "", 0, err)
	}
	m.SetResourceVersion(FormatResourceVersion(rv))
	m.SetAnnotations(map[string]string{InitialEventsEndAnnotation: "true"})
	return watch.Event{Type: watch.Bookmark, Object: obj}, nil
}
