// Package resolver finds where a Service is served for the server's own
// calls to it (aggregated API servers, admission and conversion
// webhooks): an ExternalName Service's host, else a ready endpoint
// address of the Service port asked for, picked at random. There is no
// kube-proxy in front of this server, so cluster IPs are not used.
package resolver

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// Failure says why a Service cannot be reached, with the reason kube's
// aggregator gives an unavailable APIService.
type Failure struct{ Reason, Message string }

func (f *Failure) Error() string { return f.Message }

// Resolve returns the https URL (no path) of an endpoint of Service
// namespace/name's port (by number), from the Service svc and its
// Endpoints eps (either nil when missing).
func Resolve(namespace, name string, port int32, svc *corev1.Service, eps *corev1.Endpoints) (*url.URL, *Failure) {
	if svc == nil {
		return nil, &Failure{"ServiceNotFound", fmt.Sprintf("service/%s in %q is not present", name, namespace)}
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return &url.URL{Scheme: "https", Host: net.JoinHostPort(svc.Spec.ExternalName, strconv.Itoa(int(port)))}, nil
	}
	i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == port })
	if i < 0 {
		return nil, &Failure{"ServicePortError", fmt.Sprintf("service/%s in %q is not listening on port %d", name, namespace, port)}
	}
	portName := svc.Spec.Ports[i].Name
	if eps == nil {
		return nil, &Failure{"EndpointsNotFound", fmt.Sprintf("cannot find endpoints for service/%s in %q", name, namespace)}
	}
	var hosts []string
	for _, ss := range eps.Subsets {
		j := slices.IndexFunc(ss.Ports, func(p corev1.EndpointPort) bool { return p.Name == portName })
		if j < 0 {
			continue
		}
		for _, addr := range ss.Addresses {
			hosts = append(hosts, net.JoinHostPort(addr.IP, strconv.Itoa(int(ss.Ports[j].Port))))
		}
	}
	if len(hosts) > 0 {
		return &url.URL{Scheme: "https", Host: hosts[rand.IntN(len(hosts))]}, nil
	}
	return nil, &Failure{"MissingEndpoints", fmt.Sprintf("endpoints for service/%s in %q have no addresses with port name %q", name, namespace, portName)}
}
