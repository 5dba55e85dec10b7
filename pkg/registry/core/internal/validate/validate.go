// Package validate holds the validation rules the core types share, with
// the messages kube-apiserver 1.31 gives.
package validate

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxDataSize bounds the values of a ConfigMap or a Secret together: 1 MiB,
// kube's core.MaxSecretSize, which keeps an object well under etcd's 1.5 MiB
// request limit.
const MaxDataSize = 1 << 20

// ImmutableWhenSetMsg is the detail of a change refused because the object
// has immutable: true.
const ImmutableWhenSetMsg = "field is immutable when `immutable` is set"

// SortedKeys returns the keys of m in order, so that errors come out in a
// stable order (kube-apiserver's follow map order, which varies).
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ConfigKey returns the errors of key as a key of fld (data or binaryData),
// reported at fld[key].
func ConfigKey(fld *field.Path, key string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsConfigMapKey(key) {
		errs = append(errs, field.Invalid(fld.Key(key), key, msg))
	}
	return errs
}

// TooLarge is the error of data over MaxDataSize bytes. Its message is
// kube-apiserver 1.31's, "must have at most 1048576 bytes"; apimachinery's
// field.TooLong now words it differently.
func TooLarge(fld *field.Path) *field.Error {
	return &field.Error{
		Type:     field.ErrorTypeTooLong,
		Field:    fld.String(),
		BadValue: "<value omitted>",
		Detail:   fmt.Sprintf("must have at most %d bytes", MaxDataSize),
	}
}

// Immutable returns the errors of an update of an object that had
// immutable: true: it must stay true, and each of changed (the paths whose
// value differs from the old object) is forbidden.
func Immutable(oldImmutable, newImmutable *bool, changed ...*field.Path) field.ErrorList {
	if oldImmutable == nil || !*oldImmutable {
		return nil
	}
	var errs field.ErrorList
	if newImmutable == nil || !*newImmutable {
		errs = append(errs, field.Forbidden(field.NewPath("immutable"), ImmutableWhenSetMsg))
	}
	for _, p := range changed {
		errs = append(errs, field.Forbidden(p, ImmutableWhenSetMsg))
	}
	return errs
}
