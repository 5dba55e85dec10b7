// Package endpointslice is the discovery.k8s.io/v1 EndpointSlice resource
// (endpointslices, namespaced) as kube-apiserver 1.31 serves it: addresses
// of the slice's type (IPv4, IPv6 or FQDN, which never changes), at most
// 1,000 endpoints of 1 to 100 addresses, unique port names, a generation
// that moves with every change, and kube's printed columns.
package endpointslice

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

const (
	maxEndpoints = 1000
	maxAddresses = 100
	maxPorts     = 20000
)

var addressTypes = []discoveryv1.AddressType{discoveryv1.AddressTypeFQDN, discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6}

// Type is the endpointslices resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: discoveryv1.SchemeGroupVersion.WithResource("endpointslices"),
			Kind:                 "EndpointSlice",
			ListKind:             "EndpointSliceList",
			Singular:             "endpointslice",
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &discoveryv1.EndpointSlice{} },
		NewList:  func() runtime.Object { return &discoveryv1.EndpointSliceList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*discoveryv1.EndpointSlice)) },
	}
}

// Default gives each port a name ("") and protocol (TCP), as kube.
func Default(es *discoveryv1.EndpointSlice) {
	for i := range es.Ports {
		p := &es.Ports[i]
		if p.Name == nil {
			p.Name = new(string)
		}
		if p.Protocol == nil {
			tcp := corev1.ProtocolTCP
			p.Protocol = &tcp
		}
	}
}

// Strategy is the EndpointSlice rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// PrepareForCreate starts the generation at 1, as kube.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*discoveryv1.EndpointSlice).Generation = 1
}

// SpecChanged: any change but metadata bumps the generation.
func (Strategy) SpecChanged(obj, old runtime.Object) bool {
	a, b := *obj.(*discoveryv1.EndpointSlice), *old.(*discoveryv1.EndpointSlice)
	a.ObjectMeta, b.ObjectMeta = metav1.ObjectMeta{}, metav1.ObjectMeta{}
	a.TypeMeta, b.TypeMeta = metav1.TypeMeta{}, metav1.TypeMeta{}
	return !reflect.DeepEqual(a, b)
}

// Validate checks the slice.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*discoveryv1.EndpointSlice))
}

// ValidateUpdate refuses a new addressType, then checks the slice.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	es, o := obj.(*discoveryv1.EndpointSlice), old.(*discoveryv1.EndpointSlice)
	errs := Validate(es)
	if es.AddressType != o.AddressType {
		errs = append(errs, field.Invalid(field.NewPath("addressType"), es.AddressType, "field is immutable"))
	}
	return errs
}

// Validate returns the errors of es, as kube's ValidateEndpointSlice.
func Validate(es *discoveryv1.EndpointSlice) field.ErrorList {
	var errs field.ErrorList
	at := field.NewPath("addressType")
	switch {
	case es.AddressType == "":
		errs = append(errs, field.Required(at, ""))
	case !slices.Contains(addressTypes, es.AddressType):
		errs = append(errs, field.NotSupported(at, es.AddressType, addressTypes))
	}
	errs = append(errs, validateEndpoints(es.Endpoints, es.AddressType)...)
	return append(errs, validatePorts(es.Ports)...)
}

func validateEndpoints(endpoints []discoveryv1.Endpoint, at discoveryv1.AddressType) field.ErrorList {
	var errs field.ErrorList
	fld := field.NewPath("endpoints")
	if len(endpoints) > maxEndpoints {
		errs = append(errs, field.TooMany(fld, len(endpoints), maxEndpoints))
	}
	for i, ep := range endpoints {
		idx := fld.Index(i)
		addrs := idx.Child("addresses")
		if len(ep.Addresses) == 0 {
			errs = append(errs, field.Required(addrs, "must contain at least 1 address"))
		} else if len(ep.Addresses) > maxAddresses {
			errs = append(errs, field.TooMany(addrs, len(ep.Addresses), maxAddresses))
		}
		for j, a := range ep.Addresses {
			errs = append(errs, validateAddress(a, at, addrs.Index(j))...)
		}
		if ep.NodeName != nil {
			errs = append(errs, core.Names(validation.IsDNS1123Subdomain, *ep.NodeName, idx.Child("nodeName"))...)
		}
		if ep.Hostname != nil {
			errs = append(errs, core.Names(validation.IsDNS1123Label, *ep.Hostname, idx.Child("hostname"))...)
		}
		if ep.Hints != nil {
			for j, z := range ep.Hints.ForZones {
				if z.Name == "" {
					errs = append(errs, field.Required(idx.Child("hints", "forZones").Index(j).Child("name"), ""))
				}
			}
		}
	}
	return errs
}

func validateAddress(a string, at discoveryv1.AddressType, fld *field.Path) field.ErrorList {
	ip := net.ParseIP(a)
	switch at {
	case discoveryv1.AddressTypeIPv4:
		var errs field.ErrorList
		if ip == nil || ip.To4() == nil || strings.Contains(a, ":") {
			errs = append(errs, field.Invalid(fld, a, "must be a valid IPv4 address"))
		}
		return append(errs, core.NonSpecialIP(a, fld)...)
	case discoveryv1.AddressTypeIPv6:
		var errs field.ErrorList
		if ip == nil || !strings.Contains(a, ":") {
			errs = append(errs, field.Invalid(fld, a, "must be a valid IPv6 address"))
		}
		return append(errs, core.NonSpecialIP(a, fld)...)
	case discoveryv1.AddressTypeFQDN:
		return validation.IsFullyQualifiedDomainName(fld, a)
	}
	return nil
}

func validatePorts(ports []discoveryv1.EndpointPort) field.ErrorList {
	var errs field.ErrorList
	fld := field.NewPath("ports")
	if len(ports) > maxPorts {
		errs = append(errs, field.TooMany(fld, len(ports), maxPorts))
	}
	names := sets.New[string]()
	for i, p := range ports {
		idx := fld.Index(i)
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		if name != "" {
			errs = append(errs, core.Names(validation.IsDNS1123Label, name, idx.Child("name"))...)
		}
		if names.Has(name) {
			errs = append(errs, field.Duplicate(idx.Child("name"), name))
		}
		names.Insert(name)
		switch {
		case p.Protocol == nil:
			errs = append(errs, field.Required(idx.Child("protocol"), ""))
		case !slices.Contains(core.Protocols, *p.Protocol):
			errs = append(errs, field.NotSupported(idx.Child("protocol"), *p.Protocol, core.Protocols))
		}
		if p.AppProtocol != nil {
			errs = append(errs, core.Names(validation.IsQualifiedName, *p.AppProtocol, idx.Child("appProtocol"))...)
		}
	}
	return errs
}

// Table prints EndpointSlices as kube-apiserver does: NAME, ADDRESSTYPE,
// PORTS, ENDPOINTS, AGE.
func Table() tables.Convertor {
	doc := discoveryv1.EndpointSlice{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("AddressType", doc["addressType"]),
			tables.Column("Ports", doc["ports"]),
			tables.Column("Endpoints", doc["endpoints"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			es, ok := obj.(*discoveryv1.EndpointSlice)
			if !ok {
				return nil, fmt.Errorf("not an EndpointSlice: %T", obj)
			}
			var ports, addrs []string
			for _, p := range es.Ports {
				switch {
				case p.Port != nil:
					ports = append(ports, strconv.Itoa(int(*p.Port)))
				case p.Name != nil:
					ports = append(ports, *p.Name)
				default:
					ports = append(ports, "*")
				}
			}
			for _, ep := range es.Endpoints {
				addrs = append(addrs, ep.Addresses...)
			}
			return []interface{}{es.Name, string(es.AddressType), shortList(ports), shortList(addrs), tables.Age(es.CreationTimestamp)}, nil
		},
	}
}

// shortList prints three values at most and how many more, or <unset>.
func shortList(values []string) string {
	const max = 3
	if len(values) == 0 {
		return "<unset>"
	}
	if len(values) <= max {
		return strings.Join(values, ",")
	}
	return fmt.Sprintf("%s + %d more...", strings.Join(values[:max], ","), len(values)-max)
}
