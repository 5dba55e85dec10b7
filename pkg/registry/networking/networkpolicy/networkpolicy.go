// Package networkpolicy is the networking.k8s.io/v1 NetworkPolicy
// resource (networkpolicies, namespaced, short name netpol) as
// kube-apiserver 1.31 serves it: kube's defaults (TCP ports, policy types
// from the rules given), validation with kube's messages, a generation
// that moves with the spec, and kube's columns. Enforcing them is a
// network plugin's.
package networkpolicy

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the networkpolicies resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: networkingv1.SchemeGroupVersion.WithResource("networkpolicies"),
			Kind:                 "NetworkPolicy",
			ListKind:             "NetworkPolicyList",
			Singular:             "networkpolicy",
			ShortNames:           []string{"netpol"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &networkingv1.NetworkPolicy{} },
		NewList:  func() runtime.Object { return &networkingv1.NetworkPolicyList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*networkingv1.NetworkPolicy)) },
	}
}

// Default sets TCP on ports without a protocol and, when no policy type
// is given, Ingress, and Egress too when egress rules are.
func Default(np *networkingv1.NetworkPolicy) {
	spec := &np.Spec
	for i := range spec.Ingress {
		defaultPorts(spec.Ingress[i].Ports)
	}
	for i := range spec.Egress {
		defaultPorts(spec.Egress[i].Ports)
	}
	if len(spec.PolicyTypes) == 0 {
		spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(spec.Egress) > 0 {
			spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
}

func defaultPorts(ports []networkingv1.NetworkPolicyPort) {
	for i := range ports {
		if ports[i].Protocol == nil {
			tcp := corev1.ProtocolTCP
			ports[i].Protocol = &tcp
		}
	}
}

// Strategy is the NetworkPolicy rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// PrepareForCreate starts the generation at 1.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*networkingv1.NetworkPolicy).Generation = 1
}

// SpecChanged: a new spec bumps the generation.
func (Strategy) SpecChanged(obj, old runtime.Object) bool {
	return !reflect.DeepEqual(obj.(*networkingv1.NetworkPolicy).Spec, old.(*networkingv1.NetworkPolicy).Spec)
}

// Validate checks a new NetworkPolicy.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*networkingv1.NetworkPolicy))
}

// ValidateUpdate checks the new NetworkPolicy.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*networkingv1.NetworkPolicy))
}

var selectorOptions = metav1validation.LabelSelectorValidationOptions{}

// Validate returns the errors of np, as kube's ValidateNetworkPolicy.
func Validate(np *networkingv1.NetworkPolicy) field.ErrorList {
	spec := &np.Spec
	fld := field.NewPath("spec")
	errs := metav1validation.ValidateLabelSelector(&spec.PodSelector, selectorOptions, fld.Child("podSelector"))
	for i, rule := range spec.Ingress {
		at := fld.Child("ingress").Index(i)
		for j, p := range rule.Ports {
			errs = append(errs, validatePort(p, at.Child("ports").Index(j))...)
		}
		for j, peer := range rule.From {
			errs = append(errs, validatePeer(peer, at.Child("from").Index(j))...)
		}
	}
	for i, rule := range spec.Egress {
		at := fld.Child("egress").Index(i)
		for j, p := range rule.Ports {
			errs = append(errs, validatePort(p, at.Child("ports").Index(j))...)
		}
		for j, peer := range rule.To {
			errs = append(errs, validatePeer(peer, at.Child("to").Index(j))...)
		}
	}
	allowed := []string{string(networkingv1.PolicyTypeIngress), string(networkingv1.PolicyTypeEgress)}
	if len(spec.PolicyTypes) > len(allowed) {
		errs = append(errs, field.Invalid(fld.Child("policyTypes"), core.Printed(fmt.Sprintf("%#v", spec.PolicyTypes)), "may not specify more than two policyTypes"))
	}
	for i, t := range spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			errs = append(errs, field.NotSupported(fld.Child("policyTypes").Index(i), t, allowed))
		}
	}
	return errs
}

// protocols are listed in kube's order for this message.
var protocols = []string{string(corev1.ProtocolTCP), string(corev1.ProtocolUDP), string(corev1.ProtocolSCTP)}

func validatePort(p networkingv1.NetworkPolicyPort, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP && *p.Protocol != corev1.ProtocolUDP && *p.Protocol != corev1.ProtocolSCTP {
		errs = append(errs, field.NotSupported(fld.Child("protocol"), *p.Protocol, protocols))
	}
	if p.Port != nil {
		if p.Port.Type == intstr.Int {
			for _, msg := range validation.IsValidPortNum(int(p.Port.IntVal)) {
				errs = append(errs, field.Invalid(fld.Child("port"), p.Port.IntVal, msg))
			}
			if p.EndPort != nil {
				if *p.EndPort < p.Port.IntVal {
					errs = append(errs, field.Invalid(fld.Child("endPort"), *p.EndPort, "must be greater than or equal to `port`"))
				}
				for _, msg := range validation.IsValidPortNum(int(*p.EndPort)) {
					errs = append(errs, field.Invalid(fld.Child("endPort"), *p.EndPort, msg))
				}
			}
		} else {
			if p.EndPort != nil {
				errs = append(errs, field.Invalid(fld.Child("endPort"), *p.EndPort, "may not be specified when `port` is non-numeric"))
			}
			errs = append(errs, core.Names(validation.IsValidPortName, p.Port.StrVal, fld.Child("port"))...)
		}
	} else if p.EndPort != nil {
		errs = append(errs, field.Invalid(fld.Child("endPort"), *p.EndPort, "may not be specified when `port` is not specified"))
	}
	return errs
}

func validatePeer(peer networkingv1.NetworkPolicyPeer, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	if peer.PodSelector != nil {
		n++
		errs = append(errs, metav1validation.ValidateLabelSelector(peer.PodSelector, selectorOptions, fld.Child("podSelector"))...)
	}
	if peer.NamespaceSelector != nil {
		n++
		errs = append(errs, metav1validation.ValidateLabelSelector(peer.NamespaceSelector, selectorOptions, fld.Child("namespaceSelector"))...)
	}
	if peer.IPBlock != nil {
		n++
		errs = append(errs, validateIPBlock(peer.IPBlock, fld.Child("ipBlock"))...)
	}
	switch {
	case n == 0:
		errs = append(errs, field.Required(fld, "must specify a peer"))
	case n > 1 && peer.IPBlock != nil:
		errs = append(errs, field.Forbidden(fld, "may not specify both ipBlock and another peer"))
	}
	return errs
}

func validateIPBlock(b *networkingv1.IPBlock, fld *field.Path) field.ErrorList {
	if b.CIDR == "" {
		return field.ErrorList{field.Required(fld.Child("cidr"), "")}
	}
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil {
		return field.ErrorList{field.Invalid(fld.Child("cidr"), b.CIDR, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")}
	}
	var errs field.ErrorList
	for i, ex := range b.Except {
		at := fld.Child("except").Index(i)
		e, err := netip.ParsePrefix(ex)
		if err != nil {
			errs = append(errs, field.Invalid(at, ex, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
			continue
		}
		if e.Bits() <= cidr.Bits() || !cidr.Contains(e.Addr()) {
			errs = append(errs, field.Invalid(at, ex, "must be a strict subset of `cidr`"))
		}
	}
	return errs
}

// Table prints NetworkPolicies as kube-apiserver does: NAME,
// POD-SELECTOR, AGE.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Pod-Selector", networkingv1.NetworkPolicySpec{}.SwaggerDoc()["podSelector"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			np, ok := obj.(*networkingv1.NetworkPolicy)
			if !ok {
				return nil, fmt.Errorf("not a NetworkPolicy: %T", obj)
			}
			return []interface{}{np.Name, metav1.FormatLabelSelector(&np.Spec.PodSelector), tables.Age(np.CreationTimestamp)}, nil
		},
	}
}
