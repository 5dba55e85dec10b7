// Package core validates the core/v1 building blocks that several
// resources embed (node selectors, tolerations, resource lists) with
// kube-apiserver's field paths and messages. Where kube prints a whole
// value in a message, it prints its internal core type; Toleration here
// mirrors that type so that the messages read the same.
package core

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Toleration is kube's internal core.Toleration, for messages.
type Toleration struct {
	Key               string
	Operator          TolerationOperator
	Value             string
	Effect            TaintEffect
	TolerationSeconds *int64
}

// TolerationOperator and TaintEffect are kube's internal string types.
type (
	TolerationOperator string
	TaintEffect        string
)

// errInternal is what kube's internal types answer to JSON encoding: a
// field error then prints them as Go values (%#v), or through String.
var errInternal = errors.New("internal types are not encoded")

// MarshalJSON refuses, as kube's internal types do.
func (Toleration) MarshalJSON() ([]byte, error) { return nil, errInternal }

// resourceName is kube's internal core.ResourceName, printed bare.
type resourceName string

func (r resourceName) String() string { return string(r) }

// MarshalJSON refuses, as kube's internal types do.
func (resourceName) MarshalJSON() ([]byte, error) { return nil, errInternal }

func internal(t corev1.Toleration) Toleration {
	return Toleration{Key: t.Key, Operator: TolerationOperator(t.Operator), Value: t.Value, Effect: TaintEffect(t.Effect), TolerationSeconds: t.TolerationSeconds}
}

// NodeSelector validates a map of label keys to values: every key a
// qualified name, every value a label value, reported at fld.
func NodeSelector(selector map[string]string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	keys := make([]string, 0, len(selector))
	for k := range selector {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(fld, k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(selector[k]) {
			errs = append(errs, field.Invalid(fld, selector[k], msg))
		}
	}
	return errs
}

// Tolerations validates tolerations as kube's ValidateTolerations: each
// at fld[i], and no two alike at dupPath[i].
func Tolerations(tolerations []corev1.Toleration, fld, dupPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range tolerations {
		idx := fld.Index(i)
		if t.Key != "" {
			for _, msg := range validation.IsQualifiedName(t.Key) {
				errs = append(errs, field.Invalid(idx.Child("key"), t.Key, msg))
			}
		}
		if t.Key == "" && t.Operator != corev1.TolerationOpExists {
			errs = append(errs, field.Invalid(idx.Child("operator"), t.Operator,
				"operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			errs = append(errs, field.Invalid(idx.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
		switch t.Operator {
		case corev1.TolerationOpEqual, "":
			for _, msg := range validation.IsValidLabelValue(t.Value) {
				errs = append(errs, field.Invalid(idx.Child("operator"), t.Value, msg))
			}
		case corev1.TolerationOpExists:
			if t.Value != "" {
				errs = append(errs, field.Invalid(idx.Child("operator"), internal(t), "value must be empty when `operator` is 'Exists'"))
			}
		default:
			errs = append(errs, field.NotSupported(idx.Child("operator"), t.Operator, []string{string(corev1.TolerationOpEqual), string(corev1.TolerationOpExists)}))
		}
		if t.Effect != "" && t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectPreferNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			errs = append(errs, field.NotSupported(idx.Child("effect"), t.Effect,
				[]string{string(corev1.TaintEffectNoSchedule), string(corev1.TaintEffectPreferNoSchedule), string(corev1.TaintEffectNoExecute)}))
		}
		for j := range i {
			if tolerations[j] == t || sameToleration(tolerations[j], t) {
				errs = append(errs, field.Duplicate(dupPath.Index(i), internal(t)))
				break
			}
		}
	}
	return errs
}

func sameToleration(a, b corev1.Toleration) bool {
	secs := func(p *int64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	return a.Key == b.Key && a.Operator == b.Operator && a.Value == b.Value && a.Effect == b.Effect && secs(a.TolerationSeconds) == secs(b.TolerationSeconds)
}

// standardContainerResources are the resources a container may request
// besides hugepages and extended resources.
var standardContainerResources = []string{"cpu", "memory", "ephemeral-storage"}

// ContainerResources validates a resource list as kube validates a
// container's: names standard or fully qualified, quantities not negative,
// each at fld[name].
func ContainerResources(list corev1.ResourceList, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := make([]string, 0, len(list))
	for n := range list {
		names = append(names, string(n))
	}
	slices.Sort(names)
	for _, n := range names {
		at := fld.Key(n)
		standard := slices.Contains(standardContainerResources, n) || strings.HasPrefix(n, corev1.ResourceHugePagesPrefix)
		qualified := strings.Contains(n, "/") && len(validation.IsQualifiedName(n)) == 0
		if !standard && !qualified {
			errs = append(errs, field.Invalid(at, resourceName(n), "must be a standard resource type or fully qualified"),
				field.Invalid(at, resourceName(n), "must be a standard resource for containers"))
			continue
		}
		if q := list[corev1.ResourceName(n)]; q.Sign() < 0 {
			errs = append(errs, field.Invalid(at, q.String(), "must be greater than or equal to 0"))
		}
	}
	return errs
}

// ServicePort is kube's internal core.ServicePort, which kube prints
// whole in the message of a duplicate port.
type ServicePort struct {
	Name        string
	Protocol    Protocol
	AppProtocol *string
	Port        int32
	TargetPort  intstr.IntOrString
	NodePort    int32
}

// Protocol is kube's internal core.Protocol.
type Protocol string

// MarshalJSON refuses, as kube's internal types do.
func (ServicePort) MarshalJSON() ([]byte, error) { return nil, errInternal }

// NonSpecialIP refuses an endpoint address no Pod can have, as kube's
// ValidateNonSpecialIP: not an IP, unspecified, loopback or link-local.
func NonSpecialIP(ip string, fld *field.Path) field.ErrorList {
	parsed := net.ParseIP(ip)
	if parsed == nil {
		return field.ErrorList{field.Invalid(fld, ip, "must be a valid IP address")}
	}
	var errs field.ErrorList
	if parsed.IsUnspecified() {
		errs = append(errs, field.Invalid(fld, ip, fmt.Sprintf("may not be unspecified (%v)", ip)))
	}
	if parsed.IsLoopback() {
		errs = append(errs, field.Invalid(fld, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
	}
	if parsed.IsLinkLocalUnicast() {
		errs = append(errs, field.Invalid(fld, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
	}
	if parsed.IsLinkLocalMulticast() {
		errs = append(errs, field.Invalid(fld, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
	}
	return errs
}

// Protocols are the protocols of ports, as kube lists them.
var Protocols = []corev1.Protocol{corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP}

// Names checks name with check (a DNS label, a subdomain), each message
// an Invalid at fld.
func Names(check func(string) []string, name string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range check(name) {
		errs = append(errs, field.Invalid(fld, name, msg))
	}
	return errs
}

// Printed is a field error value shown exactly as given: field.Error
// renders values that do not marshal to JSON through String, so a message
// can match kube-apiserver's, which prints its internal types as Go.
type Printed string

func (p Printed) String() string { return string(p) }

// MarshalJSON refuses, so that String is what a message shows.
func (Printed) MarshalJSON() ([]byte, error) { return nil, errInternal }
