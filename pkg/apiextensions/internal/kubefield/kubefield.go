// Package kubefield builds field errors whose messages are those of
// kube-apiserver 1.31 (k8s.io/apimachinery v0.31), where this module's
// apimachinery v0.34 words some of them differently: TooLong, TooMany, and
// values that are neither strings nor numbers, which 1.31 prints in Go
// syntax (map[string]interface {}{"name":"a"}) and v0.34 as JSON.
package kubefield

import (
	"errors"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TooLong is field.TooLongMaxLength of apimachinery v0.31: "may not be
// longer than N", or no detail for a negative maxLength.
func TooLong(p *field.Path, value any, maxLength int) *field.Error {
	detail := ""
	if maxLength >= 0 {
		detail = fmt.Sprintf("may not be longer than %d", maxLength)
	}
	return &field.Error{Type: field.ErrorTypeTooLong, Field: p.String(), BadValue: value, Detail: detail}
}

// TooMany is field.TooMany of apimachinery v0.31: "must have at most N
// items" (always plural), or "has too many items" for a negative max.
func TooMany(p *field.Path, actual, maxQuantity int) *field.Error {
	detail := "has too many items"
	if maxQuantity >= 0 {
		detail = fmt.Sprintf("must have at most %d items", maxQuantity)
	}
	var bad any = actual
	if actual < 0 {
		bad = omitted{}
	}
	return &field.Error{Type: field.ErrorTypeTooMany, Field: p.String(), BadValue: bad, Detail: detail}
}

// Invalid is field.Invalid with the value rendered as v0.31 renders it.
func Invalid(p *field.Path, value any, detail string) *field.Error {
	return field.Invalid(p, Value(value), detail)
}

// Duplicate is field.Duplicate with the value rendered as v0.31 renders it.
func Duplicate(p *field.Path, value any) *field.Error {
	return field.Duplicate(p, Value(value))
}

// Value returns v as it should be given to a field error so that the
// message reads as in kube-apiserver 1.31: pointers are dereferenced, and
// values other than strings, numbers and booleans print in Go syntax.
func Value(v any) any {
	// v0.31 prints a missing value as the string "null", quoted.
	if v == nil {
		return "null"
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "null"
		}
		v = rv.Elem().Interface()
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Bool, reflect.String:
		return v
	}
	if s, ok := v.(fmt.Stringer); ok {
		return goSyntax{s: s.String()}
	}
	return goSyntax{s: fmt.Sprintf("%#v", v)}
}

// goSyntax is a pre-rendered value. Its JSON encoding fails on purpose:
// apimachinery v0.34 then falls back to String, the v0.31 rendering.
type goSyntax struct{ s string }

var errPreRendered = errors.New("kubefield: value is pre-rendered")

func (g goSyntax) String() string               { return g.s }
func (g goSyntax) MarshalJSON() ([]byte, error) { return nil, errPreRendered }

// omitted renders as no value at all, like v0.31's omitted values.
type omitted struct{}

func (omitted) String() string               { return "<omitted>" }
func (omitted) MarshalJSON() ([]byte, error) { return nil, errPreRendered }

// GoSyntax returns a value that renders as s in a field error message,
// for values kube-apiserver prints from its internal types.
func GoSyntax(s string) any { return goSyntax{s: s} }
