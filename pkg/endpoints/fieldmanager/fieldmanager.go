// Package fieldmanager builds the server-side apply field managers of
// declared resources: apimachinery's managedfields, fed with type
// information from the OpenAPI models of the group version (a custom
// resource's schema included), tracking managedFields on every write and
// merging apply patches.
package fieldmanager

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// MaxManagerLength is kube-apiserver's limit on a field manager's name.
const MaxManagerLength = 128

// TypeConverter returns the type converter of models, or, when the models
// cannot describe the types (Go types without generated definitions), one
// that deduces types from the objects and treats every list as atomic.
func TypeConverter(models map[string]*spec.Schema, preserveUnknownFields bool) managedfields.TypeConverter {
	if len(models) > 0 {
		if tc, err := managedfields.NewTypeConverter(models, preserveUnknownFields); err == nil {
			return &goTypedConverter{validating: tc, types: map[schema.GroupVersionKind]typeOf{}}
		}
	}
	return managedfields.NewDeducedTypeConverter()
}

// Config describes the objects one field manager tracks.
type Config struct {
	Kind schema.GroupVersionKind
	// Subresource is empty for the resource itself.
	Subresource string
	// New returns an empty object of the kind: a Go type or unstructured.
	New func() runtime.Object
	// Defaulter applies the scheme's defaulting to what an apply produces;
	// nil applies none.
	Defaulter runtime.ObjectDefaulter
	// Reset are the top-level fields the endpoint resets whatever the
	// request says (status on the main resource of a type with a status
	// subresource, spec on the status subresource): nobody is recorded as
	// their manager there.
	Reset []string
	// Convert, when set, converts an object of the kind to another version
	// of it (a custom resource's): fields a manager recorded through that
	// version are then compared in it. Without it only Kind's version is
	// known.
	Convert func(obj *unstructured.Unstructured, apiVersion string) (*unstructured.Unstructured, error)
}

// New returns the field manager of c.
func New(tc managedfields.TypeConverter, c Config) (*managedfields.FieldManager, error) {
	_, custom := c.New().(*unstructured.Unstructured)
	convert := converter{newObj: c.New, kind: c.Kind, convert: c.Convert}
	var reset map[fieldpath.APIVersion]fieldpath.Filter
	if len(c.Reset) > 0 {
		set := fieldpath.NewSet()
		for _, f := range c.Reset {
			set.Insert(fieldpath.MakePathOrDie(f))
		}
		reset = map[fieldpath.APIVersion]fieldpath.Filter{
			fieldpath.APIVersion(c.Kind.GroupVersion().String()): fieldpath.NewExcludeSetFilter(set),
		}
	}
	build := managedfields.NewDefaultFieldManager
	if custom {
		build = managedfields.NewDefaultCRDFieldManager
	}
	var defaulter runtime.ObjectDefaulter = noDefaults{}
	if c.Defaulter != nil {
		defaulter = c.Defaulter
	}
	fm, err := build(tc, convert, defaulter, convert, c.Kind, c.Kind.GroupVersion(), c.Subresource, reset)
	if err != nil {
		return nil, fmt.Errorf("field manager of %s: %w", c.Kind, err)
	}
	return fm, nil
}

// converter serves one version of one kind: conversion to that version is
// the identity, except that the unstructured objects apply produces become
// the kind's Go type.
type converter struct {
	newObj  func() runtime.Object
	kind    schema.GroupVersionKind
	convert func(obj *unstructured.Unstructured, apiVersion string) (*unstructured.Unstructured, error)
}

var (
	_ runtime.ObjectConvertor = converter{}
	_ runtime.ObjectCreater   = converter{}
)

func (c converter) Convert(in, out, _ any) error {
	return fmt.Errorf("converting %T to %T is not supported", in, out)
}

func (c converter) ConvertToVersion(in runtime.Object, target runtime.GroupVersioner) (runtime.Object, error) {
	u, isUnstructured := in.(*unstructured.Unstructured)
	// A custom resource's object may be in any of its versions (the live
	// object in the version that last wrote it).
	if gv, isVersion := target.(schema.GroupVersion); isVersion && isUnstructured && c.convert != nil && gv.Group == c.kind.Group {
		if u.GetAPIVersion() == gv.String() {
			return in, nil
		}
		return c.convert(u, gv.String())
	}
	if _, ok := target.KindForGroupVersionKinds([]schema.GroupVersionKind{c.kind}); !ok {
		return nil, fmt.Errorf("%s cannot be converted to %v", c.kind, target)
	}
	out := c.newObj()
	if _, wantUnstructured := out.(*unstructured.Unstructured); isUnstructured && !wantUnstructured {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
			return nil, fmt.Errorf("converting to %s: %w", c.kind, err)
		}
		out.GetObjectKind().SetGroupVersionKind(c.kind)
		return out, nil
	}
	return in, nil
}

func (c converter) ConvertFieldLabel(_ schema.GroupVersionKind, label, value string) (string, string, error) {
	return label, value, nil
}

// New returns an empty object of kind.
func (c converter) New(kind schema.GroupVersionKind) (runtime.Object, error) {
	if kind != c.kind {
		return nil, fmt.Errorf("unknown kind %s", kind)
	}
	obj := c.newObj()
	obj.GetObjectKind().SetGroupVersionKind(kind)
	return obj, nil
}

// noDefaults is the defaulter of types without any (custom resources get
// their schema's defaults from their strategy).
type noDefaults struct{}

func (noDefaults) Default(runtime.Object) {}

// Manager is the name writes are recorded under: the fieldManager
// parameter, or else the User-Agent up to its first "/", printable
// characters only and at most MaxManagerLength bytes, as kube-apiserver
// names them ("kubectl-edit", "curl").
func Manager(fieldManager, userAgent string) string {
	if fieldManager != "" {
		return fieldManager
	}
	prefix, _, _ := strings.Cut(userAgent, "/")
	var buf bytes.Buffer
	for _, r := range prefix {
		if !unicode.IsPrint(r) {
			continue
		}
		if buf.Len()+utf8.RuneLen(r) > MaxManagerLength {
			break
		}
		buf.WriteRune(r)
	}
	return buf.String()
}
