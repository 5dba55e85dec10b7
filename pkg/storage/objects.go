package storage

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
)

// Zero empties out, a non-nil pointer, for a read that found nothing or
// before decoding into it.
func Zero(out runtime.Object) error {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return Errorf(ErrCodeInvalidObject, "", 0, "output object must be a non-nil pointer, got %T", out)
	}
	v.Elem().Set(reflect.Zero(v.Elem().Type()))
	return nil
}
