// Package event is the events.k8s.io/v1 Event resource (events,
// namespaced, short name ev) as kube-apiserver 1.31 serves it: the same
// stored events as core/v1 events, read and written through the newer
// API's names (regarding, note, reportingController, deprecated*), with
// its stricter validation on write and its field selector names.
package event

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/watch"

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

// Storage serves events.k8s.io/v1 Events over a store of core/v1 events
// (of CoreType), converting each object on its way in and out.
type Storage struct{ Core *generic.Store }

// Declaration declares the resource, printed as core events print.
func (s Storage) Declaration() rest.Resource {
	return rest.Resource{Info: Info, Storage: s, Table: table{s.Core.Type.Table}}
}

// New returns an empty events.k8s.io/v1 Event.
func (Storage) New() runtime.Object { return &eventsv1.Event{} }

// NewList returns an empty list.
func (Storage) NewList() runtime.Object { return &eventsv1.EventList{} }

// Get reads one event.
func (s Storage) Get(ctx context.Context, ns, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	obj, err := s.Core.Get(ctx, ns, name, opts)
	if err != nil {
		return nil, err
	}
	return FromCore(obj.(*corev1.Event)), nil
}

// List lists events; field selectors may use this API's names.
func (s Storage) List(ctx context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, error) {
	opts, err := coreSelector(opts)
	if err != nil {
		return nil, err
	}
	obj, err := s.Core.List(ctx, ns, opts)
	if err != nil {
		return nil, err
	}
	return listFromCore(obj.(*corev1.EventList)), nil
}

// Watch watches events, converted.
func (s Storage) Watch(ctx context.Context, ns string, opts *metav1.ListOptions) (watch.Interface, error) {
	opts, err := coreSelector(opts)
	if err != nil {
		return nil, err
	}
	w, err := s.Core.Watch(ctx, ns, opts)
	if err != nil {
		return nil, err
	}
	return watch.Filter(w, func(e watch.Event) (watch.Event, bool) {
		if ev, ok := e.Object.(*corev1.Event); ok {
			e.Object = FromCore(ev)
		}
		return e, true
	}), nil
}

// Create writes a new event.
func (s Storage) Create(ctx context.Context, ns string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
	e, ok := obj.(*eventsv1.Event)
	if !ok {
		return nil, fmt.Errorf("not an events.k8s.io/v1 Event: %T", obj)
	}
	out, err := s.Core.Create(ctx, ns, ToCore(e), dryRun)
	if err != nil {
		return nil, err
	}
	return FromCore(out.(*corev1.Event)), nil
}

// Update writes what update makes of the current event.
func (s Storage) Update(ctx context.Context, ns, name string, update rest.UpdateFunc, dryRun, forceAllowCreate bool) (runtime.Object, bool, error) {
	out, created, err := s.Core.Update(ctx, ns, name, func(ctx context.Context, current runtime.Object) (runtime.Object, error) {
		var cur runtime.Object
		if current != nil {
			cur = FromCore(current.(*corev1.Event))
		}
		next, err := update(ctx, cur)
		if err != nil {
			return nil, err
		}
		e, ok := next.(*eventsv1.Event)
		if !ok {
			return nil, fmt.Errorf("not an events.k8s.io/v1 Event: %T", next)
		}
		return ToCore(e), nil
	}, dryRun, forceAllowCreate)
	if err != nil {
		return nil, false, err
	}
	return FromCore(out.(*corev1.Event)), created, nil
}

// Delete deletes one event.
func (s Storage) Delete(ctx context.Context, ns, name string, opts *metav1.DeleteOptions, dryRun bool) (runtime.Object, bool, error) {
	out, deleted, err := s.Core.Delete(ctx, ns, name, opts, dryRun)
	if e, ok := out.(*corev1.Event); ok {
		return FromCore(e), deleted, err
	}
	return out, deleted, err
}

// DeleteCollection deletes the events listOpts select.
func (s Storage) DeleteCollection(ctx context.Context, ns string, listOpts *metav1.ListOptions, opts *metav1.DeleteOptions, dryRun bool) (runtime.Object, error) {
	listOpts, err := coreSelector(listOpts)
	if err != nil {
		return nil, err
	}
	out, err := s.Core.DeleteCollection(ctx, ns, listOpts, opts, dryRun)
	if err != nil {
		return nil, err
	}
	return listFromCore(out.(*corev1.EventList)), nil
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

func listFromCore(l *corev1.EventList) *eventsv1.EventList {
	out := &eventsv1.EventList{ListMeta: l.ListMeta, Items: make([]eventsv1.Event, 0, len(l.Items))}
	for i := range l.Items {
		out.Items = append(out.Items, *FromCore(&l.Items[i]))
	}
	return out
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

// table prints events.k8s.io Events as core events print, as kube does.
type table struct{ core rest.TableConvertor }

func (t table) ConvertToTable(ctx context.Context, obj runtime.Object, opts *metav1.TableOptions) (*metav1.Table, error) {
	switch o := obj.(type) {
	case *eventsv1.Event:
		obj = ToCore(o)
	case *eventsv1.EventList:
		l := &corev1.EventList{ListMeta: o.ListMeta}
		for i := range o.Items {
			l.Items = append(l.Items, *ToCore(&o.Items[i]))
		}
		obj = l
	}
	return t.core.ConvertToTable(ctx, obj, opts)
}
