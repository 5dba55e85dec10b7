package event

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Length limits of new-style events, kube's.
const (
	maxReportingInstance = 128
	maxAction            = 128
	maxReason            = 128
	maxMessage           = 1024
)

// Validate returns the errors of an event written through core/v1, kube's
// "legacy" event validation:
//
//   - without eventTime (an old-style event), involvedObject.namespace must
//     be the event's namespace; an involved object without namespace is
//     allowed only for events in default;
//   - with eventTime, an involved object without namespace is allowed only
//     in default and kube-system, reportingComponent must be a qualified
//     name, reportingInstance, action and reason are required and at most
//     128 characters long, message at most 1024;
//   - the event's namespace must be a DNS subdomain.
func Validate(e *corev1.Event) field.ErrorList {
	return legacy(e, "reportingComponent")
}

// ValidateEventsV1 returns the errors of an event written through
// events.k8s.io/v1: the legacy validation (naming reportingController as
// that API does), then kube's strict one: eventTime required, type Normal
// or Warning, and none of the deprecated fields set. Field paths are
// core/v1's, as kube reports them.
func ValidateEventsV1(e *corev1.Event) field.ErrorList {
	errs := legacy(e, "reportingController")
	if e.EventTime.IsZero() {
		errs = append(errs, field.Required(field.NewPath("eventTime"), ""))
	}
	if e.Type != corev1.EventTypeNormal && e.Type != corev1.EventTypeWarning {
		errs = append(errs, field.Invalid(field.NewPath("type"), "", fmt.Sprintf("has invalid value: %v", e.Type)))
	}
	for _, unset := range []struct {
		name string
		set  bool
	}{{"firstTimestamp", !e.FirstTimestamp.IsZero()}, {"lastTimestamp", !e.LastTimestamp.IsZero()}, {"count", e.Count != 0},
		{"source", e.Source.Component != "" || e.Source.Host != ""}} {
		if unset.set {
			errs = append(errs, field.Invalid(field.NewPath(unset.name), "", "needs to be unset"))
		}
	}
	return errs
}

func legacy(e *corev1.Event, componentField string) field.ErrorList {
	var errs field.ErrorList
	if e.EventTime.IsZero() {
		errs = append(errs, oldStyle(e)...)
	} else {
		errs = append(errs, newStyle(e, componentField)...)
	}
	for _, msg := range validation.IsDNS1123Subdomain(e.Namespace) {
		errs = append(errs, field.Invalid(field.NewPath("namespace"), e.Namespace, msg))
	}
	return errs
}

func namespaceMismatch(e *corev1.Event) *field.Error {
	return field.Invalid(field.NewPath("involvedObject", "namespace"), e.InvolvedObject.Namespace, "does not match event.namespace")
}

func oldStyle(e *corev1.Event) field.ErrorList {
	if e.InvolvedObject.Namespace == "" {
		// Old clients wrote events about cluster objects in default.
		if e.Namespace != metav1.NamespaceNone && e.Namespace != metav1.NamespaceDefault {
			return field.ErrorList{namespaceMismatch(e)}
		}
		return nil
	}
	if e.Namespace != e.InvolvedObject.Namespace {
		return field.ErrorList{namespaceMismatch(e)}
	}
	return nil
}

func newStyle(e *corev1.Event, componentField string) field.ErrorList {
	var errs field.ErrorList
	if e.InvolvedObject.Namespace == "" && e.Namespace != metav1.NamespaceDefault && e.Namespace != metav1.NamespaceSystem {
		errs = append(errs, namespaceMismatch(e))
	}
	// core/v1 calls reportingController reportingComponent.
	component := field.NewPath(componentField)
	if e.ReportingController == "" {
		errs = append(errs, field.Required(component, ""))
	}
	for _, msg := range validation.IsQualifiedName(e.ReportingController) {
		errs = append(errs, field.Invalid(component, e.ReportingController, msg))
	}
	errs = append(errs, requiredWithin(field.NewPath("reportingInstance"), e.ReportingInstance, maxReportingInstance)...)
	errs = append(errs, requiredWithin(field.NewPath("action"), e.Action, maxAction)...)
	errs = append(errs, requiredWithin(field.NewPath("reason"), e.Reason, maxReason)...)
	if len(e.Message) > maxMessage {
		errs = append(errs, tooLong(field.NewPath("message"), maxMessage))
	}
	return errs
}

// requiredWithin requires value, at most max bytes long.
func requiredWithin(p *field.Path, value string, max int) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	if len(value) > max {
		return field.ErrorList{tooLong(p, max)}
	}
	return nil
}

// tooLong is kube's error for an over-long event field: Invalid, showing
// an empty value.
func tooLong(p *field.Path, max int) *field.Error {
	return field.Invalid(p, "", fmt.Sprintf("can have at most %d characters", max))
}
