// Package event is the events.k8s.io/v1 Event resource (events,
// namespaced, short name ev) as kube-apiserver 1.31 serves it: the same
// stored events as core/v1 events, read and written through the newer
// API's names (regarding, note, reportingController, deprecated*), with
// its stricter validation on write and its field selector names.
package event

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	coreevent "github.com/apiserver/apiserver/pkg/registry/core/event"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Info names the resource.
var Info = rest.ResourceInfo{
	GroupVersionResource: eventsv1.SchemeGroupVersion.WithResource("events"),
	Kind:                 "Event",
	ListKind:             "EventList",
	Singular:             "event",
	ShortNames:           []string{"ev"},
	Namespaced:           true,
	Verbs:                rest.DefaultVerbs,
}

// Type describes the resource's objects, for what derives from the types
// (OpenAPI); the resource is served by Storage, not by a store of its own.
func Type() rest.Type {
	return rest.Type{
		Info:     Info,
		New:      func() runtime.Object { return &eventsv1.Event{} },
		NewList:  func() runtime.Object { return &eventsv1.EventList{} },
		Strategy: rest.PlainStrategy{},
	}
}

// CoreType is the core/v1 events type this resource writes through: the
// same keys, validated as events.k8s.io/v1 validates.
func CoreType() rest.Type {
	t := coreevent.Type()
	t.Strategy = strategy{t.Strategy}
	return t
}

// strategy validates as kube validates writes through events.k8s.io/v1.
type strategy struct{ rest.Strategy }

func (strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return coreevent.ValidateEventsV1(obj.(*corev1.Event))
}

func (strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return coreevent.ValidateEventsV1(obj.(*corev1.Event))
}

// SpecChanged is false: events have no generation.
func (strategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// Declaration serves events.k8s.io/v1 Events over a store of core/v1
// events (of CoreType), converting each object on its way in and out.
func Declaration(core *generic.Store) rest.Resource {
	c := generic.Converting{
		Stored:        core,
		NewServed:     func() runtime.Object { return &eventsv1.Event{} },
		NewServedList: func() runtime.Object { return &eventsv1.EventList{} },
		ToStored: func(obj runtime.Object) (runtime.Object, error) {
			e, ok := obj.(*eventsv1.Event)
			if !ok {
				return nil, generic.KindError("an events.k8s.io/v1 Event", obj)
			}
			return ToCore(e), nil
		},
		FromStored: func(obj runtime.Object) runtime.Object { return FromCore(obj.(*corev1.Event)) },
		Selector:   coreSelector,
	}
	return rest.Resource{Info: Info, Storage: c, Table: c.Table()}
}

// selectorNames maps this API's field selector names to core/v1's, as
// kube's field label conversion does.
var selectorNames = map[string]string{
	"reportingController":       "reportingComponent",
	"regarding.kind":            "involvedObject.kind",
	"regarding.namespace":       "involvedObject.namespace",
	"regarding.name":            "involvedObject.name",
	"regarding.uid":             "involvedObject.uid",
	"regarding.apiVersion":      "involvedObject.apiVersion",
	"regarding.resourceVersion": "involvedObject.resourceVersion",
	"regarding.fieldPath":       "involvedObject.fieldPath",
	"deprecatedSource":          "source",
}

// coreSelector rewrites a field selector into core/v1's names.
func coreSelector(opts *metav1.ListOptions) (*metav1.ListOptions, error) {
	if opts == nil || opts.FieldSelector == "" {
		return opts, nil
	}
	sel, err := fields.ParseSelector(opts.FieldSelector)
	if err != nil {
		return opts, nil // the core store answers the parse error
	}
	sel, err = sel.Transform(func(f, v string) (string, string, error) {
		if core, ok := selectorNames[f]; ok {
			return core, v, nil
		}
		return f, v, nil
	})
	if err != nil {
		return nil, err
	}
	out := *opts
	out.FieldSelector = sel.String()
	return &out, nil
}

// ToCore is e as a core/v1 Event.
func ToCore(e *eventsv1.Event) *corev1.Event {
	out := &corev1.Event{
		TypeMeta:            metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta:          e.ObjectMeta,
		InvolvedObject:      e.Regarding,
		Reason:              e.Reason,
		Message:             e.Note,
		Source:              e.DeprecatedSource,
		FirstTimestamp:      e.DeprecatedFirstTimestamp,
		LastTimestamp:       e.DeprecatedLastTimestamp,
		Count:               e.DeprecatedCount,
		Type:                e.Type,
		EventTime:           e.EventTime,
		Related:             e.Related,
		Action:              e.Action,
		ReportingController: e.ReportingController,
		ReportingInstance:   e.ReportingInstance,
	}
	if e.Series != nil {
		out.Series = &corev1.EventSeries{Count: e.Series.Count, LastObservedTime: e.Series.LastObservedTime}
	}
	return out
}

// FromCore is e as an events.k8s.io/v1 Event.
func FromCore(e *corev1.Event) *eventsv1.Event {
	out := &eventsv1.Event{
		TypeMeta:                 metav1.TypeMeta{APIVersion: eventsv1.SchemeGroupVersion.String(), Kind: "Event"},
		ObjectMeta:               e.ObjectMeta,
		EventTime:                e.EventTime,
		ReportingController:      e.ReportingController,
		ReportingInstance:        e.ReportingInstance,
		Action:                   e.Action,
		Reason:                   e.Reason,
		Regarding:                e.InvolvedObject,
		Related:                  e.Related,
		Note:                     e.Message,
		Type:                     e.Type,
		DeprecatedSource:         e.Source,
		DeprecatedFirstTimestamp: e.FirstTimestamp,
		DeprecatedLastTimestamp:  e.LastTimestamp,
		DeprecatedCount:          e.Count,
	}
	if e.Series != nil {
		out.Series = &eventsv1.EventSeries{Count: e.Series.Count, LastObservedTime: e.Series.LastObservedTime}
	}
	return out
}
