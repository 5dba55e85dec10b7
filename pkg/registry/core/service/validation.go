package service

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/core/service/allocator"
	"github.com/apiserver/apiserver/pkg/registry/internal/core"
)

var (
	specPath        = field.NewPath("spec")
	clusterIPsPath  = specPath.Child("clusterIPs")
	ipFamiliesPath  = specPath.Child("ipFamilies")
	familyPolicy    = specPath.Child("ipFamilyPolicy")
	supportedTypes  = []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeExternalName, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort}
	supportedProtos = []corev1.Protocol{corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP}
)

const maxClientIPTimeout = 86400

// Validate returns the errors of s, with kube-apiserver 1.31's field paths
// and messages. The cluster IPs themselves are checked as they are
// reserved (validateClusterIPs).
func Validate(s *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	spec := &s.Spec
	if len(spec.Ports) == 0 && !headless(s) && spec.Type != corev1.ServiceTypeExternalName {
		errs = append(errs, field.Required(specPath.Child("ports"), ""))
	}
	if spec.Type == corev1.ServiceTypeExternalName {
		name := strings.TrimSuffix(spec.ExternalName, ".")
		if name == "" {
			errs = append(errs, field.Required(specPath.Child("externalName"), ""))
		} else {
			for _, msg := range validation.IsDNS1123Subdomain(name) {
				errs = append(errs, field.Invalid(specPath.Child("externalName"), spec.ExternalName, msg))
			}
		}
	}
	errs = append(errs, validatePorts(s)...)
	if spec.Selector != nil {
		errs = append(errs, metav1validation.ValidateLabels(spec.Selector, specPath.Child("selector"))...)
	}
	errs = append(errs, validateAffinity(spec)...)
	for i, ip := range spec.ExternalIPs {
		if _, ok := allocator.ParseIP(ip); !ok {
			errs = append(errs, field.Invalid(specPath.Child("externalIPs").Index(i), ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
		}
	}
	if !slices.Contains(supportedTypes, spec.Type) {
		errs = append(errs, field.NotSupported(specPath.Child("type"), spec.Type, supportedTypes))
	}
	if spec.Type == corev1.ServiceTypeClusterIP {
		for i, p := range spec.Ports {
			if p.NodePort != 0 {
				errs = append(errs, field.Forbidden(specPath.Child("ports").Index(i).Child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
			}
		}
	}
	if external(spec.Type) && headless(s) {
		errs = append(errs, field.Invalid(clusterIPsPath.Index(0), corev1.ClusterIPNone, fmt.Sprintf("may not be set to 'None' for %s services", spec.Type)))
	}
	errs = append(errs, validateTrafficPolicies(s)...)
	if spec.Type != corev1.ServiceTypeLoadBalancer {
		if len(spec.LoadBalancerSourceRanges) > 0 {
			errs = append(errs, field.Forbidden(specPath.Child("loadBalancerSourceRanges"), "may only be used when `type` is 'LoadBalancer'"))
		}
		if spec.AllocateLoadBalancerNodePorts != nil {
			errs = append(errs, field.Forbidden(specPath.Child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"))
		}
		if spec.LoadBalancerClass != nil {
			errs = append(errs, field.Forbidden(specPath.Child("loadBalancerClass"), "may only be used when service type is 'LoadBalancer'"))
		}
	}
	return errs
}

// validatePorts checks each port, unique names, and that no two ports
// share a port number and protocol.
func validatePorts(s *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	for i, p := range s.Spec.Ports {
		fld := specPath.Child("ports").Index(i)
		errs = append(errs, validatePort(p, len(s.Spec.Ports) > 1, names, fld)...)
	}
	seen := map[string]bool{}
	for i, p := range s.Spec.Ports {
		key := fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if seen[key] {
			errs = append(errs, field.Duplicate(specPath.Child("ports").Index(i), core.ServicePort{Protocol: core.Protocol(p.Protocol), Port: p.Port}))
		}
		seen[key] = true
	}
	return errs
}

func validatePort(p corev1.ServicePort, requireName bool, names sets.Set[string], fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case requireName && p.Name == "":
		errs = append(errs, field.Required(fld.Child("name"), ""))
	case p.Name != "":
		for _, msg := range validation.IsDNS1123Label(p.Name) {
			errs = append(errs, field.Invalid(fld.Child("name"), p.Name, msg))
		}
		if names.Has(p.Name) {
			errs = append(errs, field.Duplicate(fld.Child("name"), p.Name))
		}
		names.Insert(p.Name)
	}
	for _, msg := range validation.IsValidPortNum(int(p.Port)) {
		errs = append(errs, field.Invalid(fld.Child("port"), p.Port, msg))
	}
	if p.Protocol == "" {
		errs = append(errs, field.Required(fld.Child("protocol"), ""))
	} else if !slices.Contains(supportedProtos, p.Protocol) {
		errs = append(errs, field.NotSupported(fld.Child("protocol"), p.Protocol, supportedProtos))
	}
	errs = append(errs, validateTargetPort(p.TargetPort, fld.Child("targetPort"))...)
	if p.AppProtocol != nil {
		for _, msg := range validation.IsQualifiedName(*p.AppProtocol) {
			errs = append(errs, field.Invalid(fld.Child("appProtocol"), *p.AppProtocol, msg))
		}
	}
	return errs
}

func validateTargetPort(tp intstr.IntOrString, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if tp.Type == intstr.String {
		for _, msg := range validation.IsValidPortName(tp.StrVal) {
			errs = append(errs, field.Invalid(fld, tp.StrVal, msg))
		}
		return errs
	}
	for _, msg := range validation.IsValidPortNum(int(tp.IntVal)) {
		errs = append(errs, field.Invalid(fld, tp.IntVal, msg))
	}
	return errs
}

func validateAffinity(spec *corev1.ServiceSpec) field.ErrorList {
	var errs field.ErrorList
	fld := specPath.Child("sessionAffinity")
	switch spec.SessionAffinity {
	case corev1.ServiceAffinityNone:
		if spec.SessionAffinityConfig != nil {
			errs = append(errs, field.Forbidden(specPath.Child("sessionAffinityConfig"), fmt.Sprintf("must not be set when session affinity is %s", corev1.ServiceAffinityNone)))
		}
	case corev1.ServiceAffinityClientIP:
		cfg := specPath.Child("sessionAffinityConfig")
		if spec.SessionAffinityConfig == nil || spec.SessionAffinityConfig.ClientIP == nil || spec.SessionAffinityConfig.ClientIP.TimeoutSeconds == nil {
			errs = append(errs, field.Required(cfg, fmt.Sprintf("when session affinity type is %s", corev1.ServiceAffinityClientIP)))
			break
		}
		if t := *spec.SessionAffinityConfig.ClientIP.TimeoutSeconds; t <= 0 || t > maxClientIPTimeout {
			errs = append(errs, field.Invalid(cfg.Child("clientIP", "timeoutSeconds"), t, fmt.Sprintf("must be greater than 0 and less than %d", maxClientIPTimeout)))
		}
	case "":
		errs = append(errs, field.Required(fld, ""))
	default:
		errs = append(errs, field.NotSupported(fld, spec.SessionAffinity, []corev1.ServiceAffinity{corev1.ServiceAffinityClientIP, corev1.ServiceAffinityNone}))
	}
	return errs
}

func validateTrafficPolicies(s *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	spec := &s.Spec
	etp := specPath.Child("externalTrafficPolicy")
	if !external(spec.Type) {
		if spec.ExternalTrafficPolicy != "" {
			errs = append(errs, field.Invalid(etp, spec.ExternalTrafficPolicy, "may only be set for externally-accessible services"))
		}
	} else if spec.ExternalTrafficPolicy == "" {
		errs = append(errs, field.Required(etp, ""))
	} else if !slices.Contains([]corev1.ServiceExternalTrafficPolicy{corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal}, spec.ExternalTrafficPolicy) {
		errs = append(errs, field.NotSupported(etp, spec.ExternalTrafficPolicy, []corev1.ServiceExternalTrafficPolicy{corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal}))
	}
	hc := specPath.Child("healthCheckNodePort")
	if spec.HealthCheckNodePort != 0 && !needsHealthCheckNodePort(s) {
		errs = append(errs, field.Invalid(hc, spec.HealthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
	}
	itp := specPath.Child("internalTrafficPolicy")
	switch {
	case spec.Type == corev1.ServiceTypeExternalName:
	case spec.InternalTrafficPolicy == nil:
		errs = append(errs, field.Required(itp, ""))
	case !slices.Contains([]corev1.ServiceInternalTrafficPolicy{corev1.ServiceInternalTrafficPolicyCluster, corev1.ServiceInternalTrafficPolicyLocal}, *spec.InternalTrafficPolicy):
		errs = append(errs, field.NotSupported(itp, *spec.InternalTrafficPolicy, []corev1.ServiceInternalTrafficPolicy{corev1.ServiceInternalTrafficPolicyCluster, corev1.ServiceInternalTrafficPolicyLocal}))
	}
	return errs
}

// validateClusterIPs checks the cluster IP fields before anything is
// reserved, as kube does: valid addresses, the first one equal to
// clusterIP, None alone, none at all for ExternalName, and families and
// policy that are known values.
func validateClusterIPs(s *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	spec := &s.Spec
	if spec.Type == corev1.ServiceTypeExternalName {
		if len(spec.ClusterIPs) > 0 || spec.ClusterIP != "" {
			errs = append(errs, field.Forbidden(clusterIPsPath, "may not be set for ExternalName services"))
		}
		if len(spec.IPFamilies) > 0 {
			errs = append(errs, field.Forbidden(ipFamiliesPath, "may not be set for ExternalName services"))
		}
		if spec.IPFamilyPolicy != nil {
			errs = append(errs, field.Forbidden(familyPolicy, "may not be set for ExternalName services"))
		}
		return errs
	}
	if len(spec.ClusterIPs) > 0 && spec.ClusterIP != spec.ClusterIPs[0] {
		errs = append(errs, field.Invalid(clusterIPsPath, goStrings(spec.ClusterIPs), "first value must match `clusterIP`"))
	}
	if len(spec.ClusterIPs) > 2 {
		errs = append(errs, field.Invalid(clusterIPsPath, goStrings(spec.ClusterIPs), "may only hold up to 2 values"))
	}
	for i, ip := range spec.ClusterIPs {
		if ip == corev1.ClusterIPNone {
			if i > 0 || len(spec.ClusterIPs) > 1 {
				errs = append(errs, field.Invalid(clusterIPsPath, goStrings(spec.ClusterIPs), "'None' must be the first and only value"))
			}
			continue
		}
		if _, ok := allocator.ParseIP(ip); !ok {
			errs = append(errs, field.Invalid(clusterIPsPath.Index(i), ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
		}
	}
	if p := spec.IPFamilyPolicy; p != nil && !slices.Contains(policies, *p) {
		errs = append(errs, field.NotSupported(familyPolicy, *p, policies))
	}
	seen := map[corev1.IPFamily]bool{}
	for i, f := range spec.IPFamilies {
		switch {
		case !slices.Contains([]corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}, f):
			errs = append(errs, field.NotSupported(ipFamiliesPath.Index(i), f, []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}))
		case seen[f]:
			errs = append(errs, field.Duplicate(ipFamiliesPath.Index(i), f))
		}
		seen[f] = true
	}
	if len(spec.IPFamilies) > 2 {
		errs = append(errs, field.Invalid(ipFamiliesPath, spec.IPFamilies, "may only hold up to 2 values"))
	}
	return errs
}

var policies = []corev1.IPFamilyPolicy{corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack, corev1.IPFamilyPolicySingleStack}

// validateUpdate refuses a change of the primary cluster IP or family.
func validateUpdate(s, o *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	if needsClusterIP(s) && needsClusterIP(o) && len(o.Spec.ClusterIPs) > 0 && len(s.Spec.ClusterIPs) > 0 && s.Spec.ClusterIPs[0] != o.Spec.ClusterIPs[0] {
		errs = append(errs, field.Invalid(clusterIPsPath.Index(0), goStrings(s.Spec.ClusterIPs), "may not change once set"))
	}
	if needsClusterIP(s) && needsClusterIP(o) && len(o.Spec.IPFamilies) > 0 && len(s.Spec.IPFamilies) > 0 && s.Spec.IPFamilies[0] != o.Spec.IPFamilies[0] {
		errs = append(errs, field.Invalid(ipFamiliesPath.Index(0), s.Spec.IPFamilies[0], "may not change once set"))
	}
	return errs
}

// validateStatus checks the load balancer's ingress points.
func validateStatus(s *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	fld := field.NewPath("status", "loadBalancer", "ingress")
	for i, in := range s.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			if _, ok := allocator.ParseIP(in.IP); !ok {
				errs = append(errs, field.Invalid(fld.Index(i).Child("ip"), in.IP, "must be a valid IP address"))
			}
		}
		if in.Hostname != "" {
			for _, msg := range validation.IsDNS1123Subdomain(in.Hostname) {
				errs = append(errs, field.Invalid(fld.Index(i).Child("hostname"), in.Hostname, msg))
			}
			if _, ok := allocator.ParseIP(in.Hostname); ok {
				errs = append(errs, field.Invalid(fld.Index(i).Child("hostname"), in.Hostname, "must be a DNS name, not an IP address"))
			}
		}
	}
	return errs
}

// goStrings prints a string slice as kube's messages print it, as Go
// source ([]string{"10.0.0.1"}).
type goStrings []string

// MarshalJSON refuses, so that a field error prints the value with %#v.
func (goStrings) MarshalJSON() ([]byte, error) { return nil, fmt.Errorf("printed as Go") }

// GoString prints []string{...}.
func (g goStrings) GoString() string { return fmt.Sprintf("%#v", []string(g)) }
