package tables

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Unknown is the cell of a time that is not set, as kubectl prints it.
const Unknown = "<unknown>"

// now is the clock of Age; tests replace it.
var now = time.Now

// Age is how long ago t was, in kubectl's short form ("5m", "2d3h"), or
// "<unknown>" for a zero time.
func Age(t metav1.Time) string {
	if t.IsZero() {
		return Unknown
	}
	return duration.HumanDuration(now().Sub(t.Time))
}

// MicroAge is Age for a MicroTime, such as an event's eventTime.
func MicroAge(t metav1.MicroTime) string {
	if t.IsZero() {
		return Unknown
	}
	return duration.HumanDuration(now().Sub(t.Time))
}

// ObjectMetaDescription is the API documentation of an ObjectMeta field,
// which kube-apiserver uses to describe the columns printed from it.
func ObjectMetaDescription(field string) string {
	return metav1.ObjectMeta{}.SwaggerDoc()[field]
}

// NameColumn is the Name column every printed type starts with.
func NameColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: ObjectMetaDescription("name")}
}

// AgeColumn is the Age column of metadata.creationTimestamp, filled by Age.
func AgeColumn() metav1.TableColumnDefinition {
	return Column("Age", ObjectMetaDescription("creationTimestamp"))
}

// Column is a string column shown by default (priority 0).
func Column(name, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: "string", Description: description}
}

// WideColumn is a string column shown only by kubectl get -o wide
// (priority 1).
func WideColumn(name, description string) metav1.TableColumnDefinition {
	c := Column(name, description)
	c.Priority = 1
	return c
}
