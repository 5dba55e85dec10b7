// Package endpoints is the core/v1 Endpoints resource (endpoints,
// namespaced, short name ep) as kube-apiserver 1.31 serves it: addresses
// that a Pod could have, named ports when there are several, and kube's
// ENDPOINTS column.
package endpoints

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the endpoints resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("endpoints"),
			Kind:                 "Endpoints",
			ListKind:             "EndpointsList",
			Singular:             "endpoints",
			ShortNames:           []string{"ep"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &corev1.Endpoints{} },
		NewList:  func() runtime.Object { return &corev1.EndpointsList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*corev1.Endpoints)) },
	}
}

// Default sets each port's protocol to TCP when unset, as kube.
func Default(ep *corev1.Endpoints) {
	for i := range ep.Subsets {
		for j := range ep.Subsets[i].Ports {
			if p := &ep.Subsets[i].Ports[j]; p.Protocol == "" {
				p.Protocol = corev1.ProtocolTCP
			}
		}
	}
}

// Strategy is the Endpoints rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// Validate checks the subsets.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.Endpoints))
}

// ValidateUpdate checks the new subsets.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.Endpoints))
}

// Validate returns the errors of ep, as kube's ValidateEndpoints.
func Validate(ep *corev1.Endpoints) field.ErrorList {
	var errs field.ErrorList
	for i := range ep.Subsets {
		ss := &ep.Subsets[i]
		fld := field.NewPath("subsets").Index(i)
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			errs = append(errs, field.Required(fld, "must specify `addresses` or `notReadyAddresses`"))
		}
		for j := range ss.Addresses {
			errs = append(errs, validateAddress(&ss.Addresses[j], fld.Child("addresses").Index(j))...)
		}
		for j := range ss.NotReadyAddresses {
			errs = append(errs, validateAddress(&ss.NotReadyAddresses[j], fld.Child("notReadyAddresses").Index(j))...)
		}
		for j := range ss.Ports {
			errs = append(errs, validatePort(&ss.Ports[j], len(ss.Ports) > 1, fld.Child("ports").Index(j))...)
		}
	}
	return errs
}

func validateAddress(a *corev1.EndpointAddress, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if net.ParseIP(a.IP) == nil {
		errs = append(errs, field.Invalid(fld.Child("ip"), a.IP, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
	}
	if a.Hostname != "" {
		errs = append(errs, core.Names(validation.IsDNS1123Label, a.Hostname, fld.Child("hostname"))...)
	}
	if a.NodeName != nil {
		errs = append(errs, core.Names(validation.IsDNS1123Subdomain, *a.NodeName, fld.Child("nodeName"))...)
	}
	return append(errs, core.NonSpecialIP(a.IP, fld.Child("ip"))...)
}

func validatePort(p *corev1.EndpointPort, requireName bool, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if requireName && p.Name == "" {
		errs = append(errs, field.Required(fld.Child("name"), ""))
	} else if p.Name != "" {
		errs = append(errs, core.Names(validation.IsDNS1123Label, p.Name, fld.Child("name"))...)
	}
	for _, msg := range validation.IsValidPortNum(int(p.Port)) {
		errs = append(errs, field.Invalid(fld.Child("port"), p.Port, msg))
	}
	errs = append(errs, validateProtocol(p.Protocol, fld.Child("protocol"))...)
	if p.AppProtocol != nil {
		errs = append(errs, core.Names(validation.IsQualifiedName, *p.AppProtocol, fld.Child("appProtocol"))...)
	}
	return errs
}

func validateProtocol(p corev1.Protocol, fld *field.Path) field.ErrorList {
	if p == "" {
		return field.ErrorList{field.Required(fld, "")}
	}
	for _, s := range core.Protocols {
		if p == s {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(fld, p, core.Protocols)}
}

// Table prints Endpoints as kube-apiserver does: NAME, ENDPOINTS, AGE.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Endpoints", corev1.Endpoints{}.SwaggerDoc()["subsets"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			ep, ok := obj.(*corev1.Endpoints)
			if !ok {
				return nil, fmt.Errorf("not an Endpoints: %T", obj)
			}
			return []interface{}{ep.Name, Format(ep), tables.Age(ep.CreationTimestamp)}, nil
		},
	}
}

// maxShown is how many endpoints the ENDPOINTS column shows.
const maxShown = 3

// Format prints the ready addresses as ip:port, three at most and how
// many more, as kube's printer: <none> with no subsets.
func Format(ep *corev1.Endpoints) string {
	if len(ep.Subsets) == 0 {
		return "<none>"
	}
	var list []string
	count := 0
	add := func(s string) {
		count++
		if len(list) < maxShown {
			list = append(list, s)
		}
	}
	for _, ss := range ep.Subsets {
		if len(ss.Ports) == 0 {
			for _, a := range ss.Addresses {
				add(a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			for _, a := range ss.Addresses {
				add(net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	out := strings.Join(list, ",")
	if count > maxShown {
		out += fmt.Sprintf(" + %d more...", count-maxShown)
	}
	return out
}
