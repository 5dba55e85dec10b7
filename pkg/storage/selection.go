package storage

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// AttrFunc returns the labels and fields of an object that selectors are
// matched against.
type AttrFunc func(obj runtime.Object) (labels.Set, fields.Set, error)

// SelectionPredicate selects objects by label and field. The zero value
// selects everything. Registries give a GetAttrs that exposes the fields a
// resource supports (such as spec.nodeName); DefaultAttrs offers
// metadata.name and metadata.namespace.
type SelectionPredicate struct {
	Label    labels.Selector
	Field    fields.Selector
	GetAttrs AttrFunc
}

// Everything selects every object.
var Everything = SelectionPredicate{}

// Empty reports whether the predicate selects everything, so that objects
// need not be inspected.
func (p SelectionPredicate) Empty() bool {
	return (p.Label == nil || p.Label.Empty()) && (p.Field == nil || p.Field.Empty())
}

// Matches reports whether obj is selected.
func (p SelectionPredicate) Matches(obj runtime.Object) (bool, error) {
	if p.Empty() {
		return true, nil
	}
	attrs := p.GetAttrs
	if attrs == nil {
		attrs = DefaultAttrs
	}
	ls, fs, err := attrs(obj)
	if err != nil {
		return false, err
	}
	if p.Label != nil && !p.Label.Matches(ls) {
		return false, nil
	}
	if p.Field != nil && !p.Field.Matches(fs) {
		return false, nil
	}
	return true, nil
}

// DefaultAttrs returns an object's labels, and metadata.name and
// metadata.namespace as fields.
func DefaultAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil, fmt.Errorf("reading object metadata: %w", err)
	}
	fs := fields.Set{"metadata.name": m.GetName()}
	if ns := m.GetNamespace(); ns != "" {
		fs["metadata.namespace"] = ns
	}
	return labels.Set(m.GetLabels()), fs, nil
}
