package cel

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// opaqueKind describes a Go type that expressions handle as an opaque
// CEL type (kube's quantities, URLs, addresses, formats): its CEL type,
// its equality and, when it has one, its string form.
type opaqueKind[T any] struct {
	typ   *cel.Type
	equal func(a, b T) bool
	str   func(T) string
}

// of wraps v as a CEL value of kind k.
func (k *opaqueKind[T]) of(v T) ref.Val { return opaque[T]{kind: k, v: v} }

// from unwraps a value of kind k.
func (k *opaqueKind[T]) from(v ref.Val) (T, bool) {
	o, ok := v.(opaque[T])
	if !ok || o.kind != k {
		var zero T
		return zero, false
	}
	return o.v, true
}

// opaque is a value of an opaqueKind.
type opaque[T any] struct {
	kind *opaqueKind[T]
	v    T
}

func (o opaque[T]) ConvertToNative(t reflect.Type) (any, error) {
	if reflect.TypeOf(o.v).AssignableTo(t) {
		return o.v, nil
	}
	return nil, fmt.Errorf("type conversion error from %s to %v", o.kind.typ, t)
}

func (o opaque[T]) ConvertToType(t ref.Type) ref.Val {
	switch {
	case t == o.kind.typ:
		return o
	case t == types.TypeType:
		return o.kind.typ
	case t == types.StringType && o.kind.str != nil:
		return types.String(o.kind.str(o.v))
	}
	return types.NewErr("type conversion error from %s to %s", o.kind.typ, t)
}

func (o opaque[T]) Equal(other ref.Val) ref.Val {
	v, ok := o.kind.from(other)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Bool(o.kind.equal(o.v, v))
}

func (o opaque[T]) Type() ref.Type { return o.kind.typ }
func (o opaque[T]) Value() any     { return o.v }
