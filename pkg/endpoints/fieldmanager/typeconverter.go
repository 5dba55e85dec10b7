package fieldmanager

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	smdschema "sigs.k8s.io/structured-merge-diff/v6/schema"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// goTypedConverter is the type converter of a set of OpenAPI models that
// does not validate Go-typed objects against their schema.
//
// Every write converts the stored and the new object to typed values, and
// validating them was half of what recording managedFields cost an update
// (a walk of the whole object against its schema). For a built-in Go type
// that walk cannot find anything the rest of the update would not: the
// schema is generated from the same Go types, so a value cannot have the
// wrong type, and an associative list item without its key (or a
// duplicate) fails the comparison that follows just as it fails
// validation. Unstructured objects (custom resources, apply patches) may
// hold anything and are validated as before.
type goTypedConverter struct {
	validating managedfields.TypeConverter

	mu    sync.RWMutex
	types map[schema.GroupVersionKind]typeOf
}

// typeOf locates a kind's type in the models' schema.
type typeOf struct {
	schema *smdschema.Schema
	ref    smdschema.TypeRef
}

var _ managedfields.TypeConverter = (*goTypedConverter)(nil)

func (c *goTypedConverter) ObjectToTyped(obj runtime.Object, opts ...typed.ValidationOptions) (*typed.TypedValue, error) {
	if _, ok := obj.(*unstructured.Unstructured); ok {
		return c.validating.ObjectToTyped(obj, opts...)
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	c.mu.RLock()
	t, known := c.types[gvk]
	c.mu.RUnlock()
	if !known {
		// The first object of a kind is validated, which also finds
		// where the kind's type is in the schema.
		tv, err := c.validating.ObjectToTyped(obj, opts...)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.types[gvk] = typeOf{schema: tv.Schema(), ref: tv.TypeRef()}
		c.mu.Unlock()
		return tv, nil
	}
	v, err := value.NewValueReflect(obj)
	if err != nil {
		return nil, fmt.Errorf("reading %s as a typed value: %w", gvk, err)
	}
	//nolint:staticcheck // validation is skipped on purpose, see goTypedConverter.
	return typed.AsTypedUnvalidated(v, t.schema, t.ref), nil
}

func (c *goTypedConverter) TypedToObject(v *typed.TypedValue) (runtime.Object, error) {
	return c.validating.TypedToObject(v)
}
