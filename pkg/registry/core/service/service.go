package service

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/core/service/allocator"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Allocators hand out what Services hold: cluster IPs, of the primary
// family first, and node ports.
type Allocators struct {
	IPs   []*allocator.IPRange
	Ports *allocator.PortRange
}

// Type is the services resource, allocating from a; a nil a serves the
// type's description only (OpenAPI generation).
func Type(a *Allocators) rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("services"),
			Kind:                 "Service",
			ListKind:             "ServiceList",
			Singular:             "service",
			ShortNames:           []string{"svc"},
			Categories:           []string{"all"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:              func() runtime.Object { return &corev1.Service{} },
		NewList:          func() runtime.Object { return &corev1.ServiceList{} },
		Strategy:         Strategy{alloc: a},
		Attrs:            Attrs,
		SelectableFields: []string{"spec.clusterIP", "spec.type"},
		Table:            Table(),
		Defaults:         func(obj runtime.Object) { Default(obj.(*corev1.Service)) },
	}
}

// StatusType is the type of services/status, whose writes change the
// status only.
func StatusType(a *Allocators) rest.Type { return Type(a).WithStrategy(statusStrategy{}) }

// Attrs returns the labels of a Service and its selectable fields:
// metadata.name, metadata.namespace, spec.clusterIP and spec.type.
func Attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	s, ok := obj.(*corev1.Service)
	if !ok {
		return nil, nil, fmt.Errorf("not a Service: %T", obj)
	}
	return s.Labels, fields.Set{
		"metadata.name":      s.Name,
		"metadata.namespace": s.Namespace,
		"spec.clusterIP":     s.Spec.ClusterIP,
		"spec.type":          string(s.Spec.Type),
	}, nil
}

// Default sets what kube's defaulting of a Service sets on decode.
func Default(s *corev1.Service) {
	spec := &s.Spec
	if spec.SessionAffinity == "" {
		spec.SessionAffinity = corev1.ServiceAffinityNone
	}
	if spec.SessionAffinity == corev1.ServiceAffinityNone {
		spec.SessionAffinityConfig = nil
	}
	if spec.SessionAffinity == corev1.ServiceAffinityClientIP &&
		(spec.SessionAffinityConfig == nil || spec.SessionAffinityConfig.ClientIP == nil || spec.SessionAffinityConfig.ClientIP.TimeoutSeconds == nil) {
		timeout := corev1.DefaultClientIPServiceAffinitySeconds
		spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: &timeout}}
	}
	if spec.Type == "" {
		spec.Type = corev1.ServiceTypeClusterIP
	}
	for i := range spec.Ports {
		p := &spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort == intstr.FromInt32(0) || p.TargetPort == intstr.FromString("") {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	if external(spec.Type) && spec.ExternalTrafficPolicy == "" {
		spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	if spec.InternalTrafficPolicy == nil && spec.Type != corev1.ServiceTypeExternalName {
		cluster := corev1.ServiceInternalTrafficPolicyCluster
		spec.InternalTrafficPolicy = &cluster
	}
	if spec.Type == corev1.ServiceTypeLoadBalancer && spec.AllocateLoadBalancerNodePorts == nil {
		yes := true
		spec.AllocateLoadBalancerNodePorts = &yes
	}
	if len(spec.ClusterIPs) == 0 && spec.ClusterIP != "" {
		spec.ClusterIPs = []string{spec.ClusterIP}
	}
}

// external reports whether services of type t are reached from outside
// the cluster (through node ports or a load balancer).
func external(t corev1.ServiceType) bool {
	return t == corev1.ServiceTypeNodePort || t == corev1.ServiceTypeLoadBalancer
}

// needsClusterIP reports whether s gets cluster IPs: all but ExternalName.
func needsClusterIP(s *corev1.Service) bool { return s.Spec.Type != corev1.ServiceTypeExternalName }

// needsNodePorts reports whether the ports of s get node ports.
func needsNodePorts(s *corev1.Service) bool {
	switch s.Spec.Type {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		return s.Spec.AllocateLoadBalancerNodePorts == nil || *s.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

// needsHealthCheckNodePort reports whether s gets a health check node
// port: a LoadBalancer that keeps traffic on the node it reaches.
func needsHealthCheckNodePort(s *corev1.Service) bool {
	return s.Spec.Type == corev1.ServiceTypeLoadBalancer && s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

func headless(s *corev1.Service) bool {
	return len(s.Spec.ClusterIPs) > 0 && s.Spec.ClusterIPs[0] == corev1.ClusterIPNone
}

// Strategy is the Service rest.Strategy; it reserves cluster IPs and node
// ports (rest.Reserving).
type Strategy struct {
	rest.PlainStrategy
	alloc *Allocators
}

var _ rest.Reserving = Strategy{}

// PrepareForCreate clears the status, as kube does.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*corev1.Service).Status = corev1.ServiceStatus{}
}

// PrepareForUpdate keeps the status, keeps what was allocated when the
// client left it out (kubectl replace of a manifest without clusterIP),
// and drops what the new type has no use for when the client left it as
// it was, as kube does.
func (Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	s, o := obj.(*corev1.Service), old.(*corev1.Service)
	s.Status = o.Status
	keepAllocated(s, o)
	dropTypeDependent(s, o)
}

// keepAllocated copies the allocated values of o that s leaves empty.
func keepAllocated(s, o *corev1.Service) {
	if needsClusterIP(s) && needsClusterIP(o) && s.Spec.ClusterIP == "" && len(s.Spec.ClusterIPs) == 0 {
		s.Spec.ClusterIP = o.Spec.ClusterIP
		s.Spec.ClusterIPs = o.Spec.ClusterIPs
	}
	if needsNodePorts(s) && needsNodePorts(o) {
		held := map[string]int32{}
		for _, p := range o.Spec.Ports {
			held[portKey(p)] = p.NodePort
		}
		for i := range s.Spec.Ports {
			if p := &s.Spec.Ports[i]; p.NodePort == 0 {
				p.NodePort = held[portKey(*p)]
			}
		}
	}
	if needsHealthCheckNodePort(s) && needsHealthCheckNodePort(o) && s.Spec.HealthCheckNodePort == 0 {
		s.Spec.HealthCheckNodePort = o.Spec.HealthCheckNodePort
	}
}

// portKey names a port across versions of one Service.
func portKey(p corev1.ServicePort) string { return fmt.Sprintf("%d/%s", p.Port, p.Protocol) }

// dropTypeDependent clears the fields of s that its type no longer uses,
// where the client sent them unchanged from o.
func dropTypeDependent(s, o *corev1.Service) {
	if needsClusterIP(o) && !needsClusterIP(s) && slicesEqual(s.Spec.ClusterIPs, o.Spec.ClusterIPs) {
		s.Spec.ClusterIP, s.Spec.ClusterIPs = "", nil
		if slicesEqual(familyStrings(s.Spec.IPFamilies), familyStrings(o.Spec.IPFamilies)) {
			s.Spec.IPFamilies = nil
		}
		if samePolicy(s.Spec.IPFamilyPolicy, o.Spec.IPFamilyPolicy) {
			s.Spec.IPFamilyPolicy = nil
		}
	}
	if needsNodePorts(o) && !needsNodePorts(s) {
		held := map[int32]bool{}
		for _, p := range o.Spec.Ports {
			held[p.NodePort] = true
		}
		for i := range s.Spec.Ports {
			if held[s.Spec.Ports[i].NodePort] {
				s.Spec.Ports[i].NodePort = 0
			}
		}
	}
	if needsHealthCheckNodePort(o) && !needsHealthCheckNodePort(s) && s.Spec.HealthCheckNodePort == o.Spec.HealthCheckNodePort {
		s.Spec.HealthCheckNodePort = 0
	}
	if s.Spec.Type != corev1.ServiceTypeLoadBalancer && o.Spec.Type == corev1.ServiceTypeLoadBalancer && s.Spec.AllocateLoadBalancerNodePorts != nil &&
		o.Spec.AllocateLoadBalancerNodePorts != nil && *s.Spec.AllocateLoadBalancerNodePorts == *o.Spec.AllocateLoadBalancerNodePorts {
		s.Spec.AllocateLoadBalancerNodePorts = nil
	}
	if !external(s.Spec.Type) && external(o.Spec.Type) && s.Spec.ExternalTrafficPolicy == o.Spec.ExternalTrafficPolicy {
		s.Spec.ExternalTrafficPolicy = ""
	}
	if s.Spec.Type == corev1.ServiceTypeExternalName && o.Spec.Type != corev1.ServiceTypeExternalName && samePolicy(s.Spec.InternalTrafficPolicy, o.Spec.InternalTrafficPolicy) {
		s.Spec.InternalTrafficPolicy = nil
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func familyStrings(fs []corev1.IPFamily) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

func samePolicy[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// Validate checks a new Service.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.Service))
}

// ValidateUpdate checks the new Service, and that its primary cluster IP
// and family did not change.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	s, o := obj.(*corev1.Service), old.(*corev1.Service)
	errs := validateUpdate(s, o)
	return append(errs, Validate(s)...)
}

// statusStrategy is the strategy of services/status: the status and
// metadata change, never the spec.
type statusStrategy struct{ rest.PlainStrategy }

// PrepareForUpdate keeps the old spec.
func (statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	obj.(*corev1.Service).Spec = old.(*corev1.Service).Spec
}

// ValidateUpdate checks the load balancer ingress points.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return validateStatus(obj.(*corev1.Service))
}

// Table prints Services as kube-apiserver does: NAME, TYPE, CLUSTER-IP,
// EXTERNAL-IP, PORT(S), AGE, and SELECTOR with -o wide.
func Table() tables.Convertor {
	doc := corev1.ServiceSpec{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Type", doc["type"]),
			tables.Column("Cluster-IP", doc["clusterIP"]),
			tables.Column("External-IP", doc["externalIPs"]),
			tables.Column("Port(s)", doc["ports"]),
			tables.AgeColumn(),
			tables.WideColumn("Selector", doc["selector"]),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			s, ok := obj.(*corev1.Service)
			if !ok {
				return nil, fmt.Errorf("not a Service: %T", obj)
			}
			clusterIP := "<none>"
			if len(s.Spec.ClusterIPs) > 0 {
				clusterIP = s.Spec.ClusterIPs[0]
			}
			return []interface{}{s.Name, string(s.Spec.Type), clusterIP, externalIP(s), portsCell(s.Spec.Ports),
				tables.Age(s.CreationTimestamp), labels.FormatLabels(s.Spec.Selector)}, nil
		},
	}
}

// externalIP is the EXTERNAL-IP cell: how the Service is reached from
// outside, or <none>, or <pending> for a LoadBalancer without one yet.
func externalIP(s *corev1.Service) string {
	switch s.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		if len(s.Spec.ExternalIPs) > 0 {
			return strings.Join(s.Spec.ExternalIPs, ",")
		}
		return "<none>"
	case corev1.ServiceTypeLoadBalancer:
		lb := loadBalancerIngress(s.Status.LoadBalancer)
		all := append([]string{}, s.Spec.ExternalIPs...)
		if lb != "" {
			all = append(all, lb)
		}
		if len(all) > 0 {
			return strings.Join(all, ",")
		}
		return "<pending>"
	case corev1.ServiceTypeExternalName:
		return s.Spec.ExternalName
	}
	return "<unknown>"
}

// loadBalancerIngress joins the load balancer's addresses, shortened to
// 16 characters as kube's printer shortens them without -o wide.
func loadBalancerIngress(st corev1.LoadBalancerStatus) string {
	var out []string
	for _, in := range st.Ingress {
		if in.IP != "" {
			out = append(out, in.IP)
		} else if in.Hostname != "" {
			out = append(out, in.Hostname)
		}
	}
	r := strings.Join(out, ",")
	if len(r) > 16 {
		r = r[:13] + "..."
	}
	return r
}

// portsCell prints ports as port[:nodePort]/protocol, comma-separated.
func portsCell(ports []corev1.ServicePort) string {
	if len(ports) == 0 {
		return "<none>"
	}
	out := make([]string, 0, len(ports))
	for _, p := range ports {
		if p.NodePort > 0 {
			out = append(out, fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol))
		} else {
			out = append(out, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
		}
	}
	return strings.Join(out, ",")
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
