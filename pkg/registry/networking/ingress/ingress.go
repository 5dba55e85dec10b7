// Package ingress is the networking.k8s.io/v1 Ingress resource
// (ingresses, namespaced, short name ing) as kube-apiserver 1.31 serves
// it: kube's validation of rules, paths, backends and TLS with its
// messages, a generation that moves with the spec, /status, and kube's
// columns. Routing traffic is an ingress controller's.
package ingress

import (
	"context"
	"fmt"
	"net"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the ingresses resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: networkingv1.SchemeGroupVersion.WithResource("ingresses"),
			Kind:                 "Ingress",
			ListKind:             "IngressList",
			Singular:             "ingress",
			ShortNames:           []string{"ing"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &networkingv1.Ingress{} },
		NewList:  func() runtime.Object { return &networkingv1.IngressList{} },
		Strategy: Strategy{},
		Table:    Table(),
	}
}

// StatusType is the type of ingresses/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// Strategy is the Ingress rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// Validate checks a new Ingress.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return ValidateSpec(&obj.(*networkingv1.Ingress).Spec, field.NewPath("spec"))
}

// ValidateUpdate checks the new Ingress.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return ValidateSpec(&obj.(*networkingv1.Ingress).Spec, field.NewPath("spec"))
}

// ValidateSpec returns the errors of an Ingress spec, as kube's
// ValidateIngressSpec.
func ValidateSpec(spec *networkingv1.IngressSpec, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(spec.Rules) == 0 && spec.DefaultBackend == nil {
		shown := "[]networking.IngressRule(nil)"
		if spec.Rules != nil {
			shown = "[]networking.IngressRule{}"
		}
		errs = append(errs, field.Invalid(fld, core.Printed(shown), "either `defaultBackend` or `rules` must be specified"))
	}
	if spec.DefaultBackend != nil {
		errs = append(errs, validateBackend(spec.DefaultBackend, fld.Child("defaultBackend"))...)
	}
	for i, rule := range spec.Rules {
		at := fld.Child("rules").Index(i)
		errs = append(errs, validateHost(rule.Host, at.Child("host"), true)...)
		if rule.HTTP != nil {
			errs = append(errs, validateHTTP(rule.HTTP, at.Child("http"))...)
		}
	}
	for i, tls := range spec.TLS {
		at := fld.Child("tls").Index(i)
		for j, host := range tls.Hosts {
			errs = append(errs, validateHost(host, at.Child("hosts").Index(j), false)...)
		}
		if tls.SecretName != "" {
			errs = append(errs, core.Names(validation.IsDNS1123Subdomain, tls.SecretName, at.Child("secretName"))...)
		}
	}
	if c := spec.IngressClassName; c != nil {
		errs = append(errs, core.Names(validation.IsDNS1123Subdomain, *c, fld.Child("ingressClassName"))...)
	}
	return errs
}

// validateHost checks a host name, which may be a wildcard; a rule's may
// not be an IP address.
func validateHost(host string, fld *field.Path, rule bool) field.ErrorList {
	if host == "" {
		return nil
	}
	var errs field.ErrorList
	if rule && net.ParseIP(host) != nil {
		errs = append(errs, field.Invalid(fld, host, "must be a DNS name, not an IP address"))
	}
	if strings.Contains(host, "*") {
		return append(errs, core.Names(validation.IsWildcardDNS1123Subdomain, host, fld)...)
	}
	return append(errs, core.Names(validation.IsDNS1123Subdomain, host, fld)...)
}

var pathTypes = []string{string(networkingv1.PathTypeExact), string(networkingv1.PathTypeImplementationSpecific), string(networkingv1.PathTypePrefix)}

func validateHTTP(http *networkingv1.HTTPIngressRuleValue, fld *field.Path) field.ErrorList {
	if len(http.Paths) == 0 {
		return field.ErrorList{field.Required(fld.Child("paths"), "")}
	}
	var errs field.ErrorList
	for i := range http.Paths {
		errs = append(errs, validatePath(&http.Paths[i], fld.Child("paths").Index(i))...)
	}
	return errs
}

func validatePath(p *networkingv1.HTTPIngressPath, fld *field.Path) field.ErrorList {
	if p.PathType == nil {
		return field.ErrorList{field.Required(fld.Child("pathType"), "pathType must be specified")}
	}
	var errs field.ErrorList
	at := fld.Child("path")
	switch *p.PathType {
	case networkingv1.PathTypeExact, networkingv1.PathTypePrefix:
		if !strings.HasPrefix(p.Path, "/") {
			errs = append(errs, field.Invalid(at, p.Path, "must be an absolute path"))
		}
		if p.Path != "" {
			for _, seq := range []string{"//", "/./", "/../", "%2f", "%2F"} {
				if strings.Contains(p.Path, seq) {
					errs = append(errs, field.Invalid(at, p.Path, fmt.Sprintf("must not contain '%s'", seq)))
				}
			}
			for _, suffix := range []string{"/..", "/."} {
				if strings.HasSuffix(p.Path, suffix) {
					errs = append(errs, field.Invalid(at, p.Path, fmt.Sprintf("cannot end with '%s'", suffix)))
				}
			}
		}
	case networkingv1.PathTypeImplementationSpecific:
		if p.Path != "" && !strings.HasPrefix(p.Path, "/") {
			errs = append(errs, field.Invalid(at, p.Path, "must be an absolute path"))
		}
	default:
		errs = append(errs, field.NotSupported(fld.Child("pathType"), *p.PathType, pathTypes))
	}
	return append(errs, validateBackend(&p.Backend, fld.Child("backend"))...)
}

func validateBackend(b *networkingv1.IngressBackend, fld *field.Path) field.ErrorList {
	switch {
	case b.Resource != nil && b.Service != nil:
		return field.ErrorList{field.Invalid(fld, "", "cannot set both resource and service backends")}
	case b.Resource != nil:
		var errs field.ErrorList
		at := fld.Child("resource")
		if b.Resource.APIGroup != nil {
			errs = append(errs, core.Names(validation.IsDNS1123Subdomain, *b.Resource.APIGroup, at.Child("apiGroup"))...)
		}
		if b.Resource.Kind == "" {
			errs = append(errs, field.Required(at.Child("kind"), "kind is required"))
		}
		if b.Resource.Name == "" {
			errs = append(errs, field.Required(at.Child("name"), "name is required"))
		}
		return errs
	case b.Service != nil:
		var errs field.ErrorList
		if b.Service.Name == "" {
			errs = append(errs, field.Required(fld.Child("service", "name"), ""))
		} else {
			errs = append(errs, core.Names(validation.IsDNS1035Label, b.Service.Name, fld.Child("service", "name"))...)
		}
		port := b.Service.Port
		switch {
		case port.Name != "" && port.Number != 0:
			errs = append(errs, field.Invalid(fld, "", "cannot set both port name & port number"))
		case port.Name != "":
			errs = append(errs, core.Names(validation.IsValidPortName, port.Name, fld.Child("service", "port", "name"))...)
		case port.Number != 0:
			for _, msg := range validation.IsValidPortNum(int(port.Number)) {
				errs = append(errs, field.Invalid(fld.Child("service", "port", "number"), port.Number, msg))
			}
		default:
			errs = append(errs, field.Required(fld, "port name or number is required"))
		}
		return errs
	}
	return field.ErrorList{field.Invalid(fld, "", "resource or service backend is required")}
}

// statusStrategy is the strategy of ingresses/status.
type statusStrategy struct{ rest.StatusStrategy }

// ValidateUpdate checks the load balancer's addresses.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	fld := field.NewPath("status", "loadBalancer", "ingress")
	var errs field.ErrorList
	for i, in := range obj.(*networkingv1.Ingress).Status.LoadBalancer.Ingress {
		if in.IP != "" && net.ParseIP(in.IP) == nil {
			errs = append(errs, field.Invalid(fld.Index(i).Child("ip"), in.IP, "must be a valid IP address"))
		}
		if in.Hostname != "" {
			errs = append(errs, core.Names(validation.IsDNS1123Subdomain, in.Hostname, fld.Index(i).Child("hostname"))...)
			if net.ParseIP(in.Hostname) != nil {
				errs = append(errs, field.Invalid(fld.Index(i).Child("hostname"), in.Hostname, "must be a DNS name, not an IP address"))
			}
		}
	}
	return errs
}

// Table prints Ingresses as kube-apiserver does: NAME, CLASS, HOSTS,
// ADDRESS, PORTS, AGE.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Class", "The name of the IngressClass resource that should be used for additional configuration"),
			tables.Column("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
			tables.Column("Address", "Address is a list containing ingress points for the load-balancer"),
			tables.Column("Ports", "Ports of TLS configurations that open"),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			ing, ok := obj.(*networkingv1.Ingress)
			if !ok {
				return nil, fmt.Errorf("not an Ingress: %T", obj)
			}
			class := "<none>"
			if ing.Spec.IngressClassName != nil {
				class = *ing.Spec.IngressClassName
			}
			ports := "80"
			if len(ing.Spec.TLS) > 0 {
				ports = "80, 443"
			}
			return []interface{}{ing.Name, class, hosts(ing.Spec.Rules), addresses(ing.Status.LoadBalancer), ports, tables.Age(ing.CreationTimestamp)}, nil
		},
	}
}

// hosts lists the rules' hosts, three at most, or * when none is named.
func hosts(rules []networkingv1.IngressRule) string {
	var list []string
	for _, r := range rules {
		if r.Host != "" {
			list = append(list, r.Host)
		}
	}
	switch {
	case len(list) == 0:
		return "*"
	case len(list) > 3:
		return fmt.Sprintf("%s + %d more...", strings.Join(list[:3], ","), len(list)-3)
	}
	return strings.Join(list, ",")
}

func addresses(st networkingv1.IngressLoadBalancerStatus) string {
	var out []string
	for _, in := range st.Ingress {
		if in.IP != "" {
			out = append(out, in.IP)
		} else if in.Hostname != "" {
			out = append(out, in.Hostname)
		}
	}
	return strings.Join(out, ",")
}
