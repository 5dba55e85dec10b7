package event

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Table prints events as kube-apiserver does: LAST SEEN, TYPE, REASON,
// OBJECT and MESSAGE, and when wide also SUBOBJECT, SOURCE, FIRST SEEN,
// COUNT and NAME.
func Table() tables.Convertor {
	doc := corev1.Event{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.Column("Last Seen", doc["lastTimestamp"]),
			tables.Column("Type", doc["type"]),
			tables.Column("Reason", doc["reason"]),
			tables.Column("Object", doc["involvedObject"]),
			tables.WideColumn("Subobject", corev1.ObjectReference{}.SwaggerDoc()["fieldPath"]),
			tables.WideColumn("Source", doc["source"]),
			tables.Column("Message", doc["message"]),
			tables.WideColumn("First Seen", doc["firstTimestamp"]),
			tables.WideColumn("Count", doc["count"]),
			func() metav1.TableColumnDefinition {
				c := tables.NameColumn()
				c.Priority = 1
				return c
			}(),
		},
		Cells: cells,
	}
}

// cells prints one event. An event written through events.k8s.io has
// eventTime and series instead of firstTimestamp, lastTimestamp and count;
// a single occurrence counts 1.
func cells(obj runtime.Object) ([]interface{}, error) {
	e, ok := obj.(*corev1.Event)
	if !ok {
		return nil, fmt.Errorf("not an Event: %T", obj)
	}
	first := tables.Age(e.FirstTimestamp)
	if e.FirstTimestamp.IsZero() {
		first = tables.MicroAge(e.EventTime)
	}
	last := tables.Age(e.LastTimestamp)
	if e.LastTimestamp.IsZero() {
		last = first
	}
	count := e.Count
	if e.Series != nil {
		last = tables.MicroAge(e.Series.LastObservedTime)
		count = e.Series.Count
	} else if count == 0 {
		count = 1
	}
	return []interface{}{
		last,
		e.Type,
		e.Reason,
		object(e.InvolvedObject),
		e.InvolvedObject.FieldPath,
		source(e),
		strings.TrimSpace(e.Message),
		first,
		int64(count),
		e.Name,
	}, nil
}

// object is kind/name of the involved object, in lower case, or the kind
// alone.
func object(ref corev1.ObjectReference) string {
	kind := strings.ToLower(ref.Kind)
	if ref.Name == "" {
		return kind
	}
	return kind + "/" + ref.Name
}

// source is "component, host", each falling back to the new-style
// reportingComponent and reportingInstance.
func source(e *corev1.Event) string {
	component, host := e.Source.Component, e.Source.Host
	if component == "" {
		component = e.ReportingController
	}
	if host == "" {
		host = e.ReportingInstance
	}
	if host == "" {
		return component
	}
	return component + ", " + host
}
