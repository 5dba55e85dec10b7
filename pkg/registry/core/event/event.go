package event

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// SelectableFields are the field selectors of events beyond metadata, with
// their core/v1 names.
var SelectableFields = []string{
	"involvedObject.kind",
	"involvedObject.namespace",
	"involvedObject.name",
	"involvedObject.uid",
	"involvedObject.apiVersion",
	"involvedObject.resourceVersion",
	"involvedObject.fieldPath",
	"reason",
	"reportingComponent",
	"source",
	"type",
}

// Type is the events resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("events"),
			Kind:                 "Event",
			ListKind:             "EventList",
			Singular:             "event",
			ShortNames:           []string{"ev"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:              func() runtime.Object { return &corev1.Event{} },
		NewList:          func() runtime.Object { return &corev1.EventList{} },
		Strategy:         Strategy{},
		Attrs:            Attrs,
		SelectableFields: SelectableFields,
		Table:            Table(),
		// kube-apiserver checks no more of event names.
		ValidateName: path.ValidatePathSegmentName,
	}
}

// Strategy is the Event rest.Strategy: events are written as sent.
type Strategy struct{}

var (
	_ rest.Strategy         = Strategy{}
	_ rest.GenerationPolicy = Strategy{}
)

// PrepareForCreate does nothing: events have no status.
func (Strategy) PrepareForCreate(context.Context, runtime.Object) {}

// PrepareForUpdate does nothing: every field may be written.
func (Strategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}

// Validate checks a new event, see Validate.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.Event))
}

// ValidateUpdate checks the new event alone: core/v1 lets every field
// change.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.Event))
}

// Canonicalize does nothing.
func (Strategy) Canonicalize(runtime.Object) {}

// AllowCreateOnUpdate is true: event recorders PUT events that may not
// exist yet.
func (Strategy) AllowCreateOnUpdate() bool { return true }

// AllowUnconditionalUpdate is true: PUT without resourceVersion overwrites.
func (Strategy) AllowUnconditionalUpdate() bool { return true }

// SpecChanged is always false: kube-apiserver never bumps the
// metadata.generation of an event.
func (Strategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// Attrs returns the labels of an event and its selectable fields. source
// is source.component, or reportingComponent when that is empty.
func Attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	e, ok := obj.(*corev1.Event)
	if !ok {
		return nil, nil, fmt.Errorf("not an Event: %T", obj)
	}
	return e.Labels, Fields(e), nil
}

// Fields returns the selectable fields of e.
func Fields(e *corev1.Event) fields.Set {
	source := e.Source.Component
	if source == "" {
		source = e.ReportingController
	}
	io := e.InvolvedObject
	return fields.Set{
		"metadata.name":                  e.Name,
		"metadata.namespace":             e.Namespace,
		"involvedObject.kind":            io.Kind,
		"involvedObject.namespace":       io.Namespace,
		"involvedObject.name":            io.Name,
		"involvedObject.uid":             string(io.UID),
		"involvedObject.apiVersion":      io.APIVersion,
		"involvedObject.resourceVersion": io.ResourceVersion,
		"involvedObject.fieldPath":       io.FieldPath,
		"reason":                         e.Reason,
		"reportingComponent":             e.ReportingController,
		"source":                         source,
		"type":                           e.Type,
	}
}
