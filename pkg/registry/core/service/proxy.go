package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/proxy"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// ProxyStorage serves services/proxy: [scheme:]name[:port] reaches one of
// the Service's ready endpoints that serve that port, picked at random.
type ProxyStorage struct {
	Services, Endpoints, Pods rest.Getter
	// Via reaches the endpoints.
	Via proxy.Transports
}

var _ rest.Connecter = ProxyStorage{}

// New returns empty ServiceProxyOptions.
func (ProxyStorage) New() runtime.Object { return &corev1.ServiceProxyOptions{} }

// Connect proxies the request to an endpoint of the Service.
func (s ProxyStorage) Connect(ctx context.Context, ns, id string, r *http.Request) (http.Handler, error) {
	u, err := s.Location(ctx, ns, id)
	if err != nil {
		return nil, err
	}
	return proxy.Subpath(r, u, "/services/"+id+"/proxy", s.Via), nil
}

// Location resolves id to an endpoint's URL, as kube-apiserver resolves
// it: a port number names the Service port of that number, whose name
// the endpoint port carries.
func (s ProxyStorage) Location(ctx context.Context, ns, id string) (*url.URL, error) {
	scheme, name, port, ok := utilnet.SplitSchemeNamePort(id)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid service request %q", id))
	}
	if n, err := strconv.ParseInt(port, 10, 64); err == nil {
		obj, err := s.Services.Get(ctx, ns, name, &metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		svc := obj.(*corev1.Service)
		i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return int64(p.Port) == n })
		if i < 0 {
			return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no service port %d found for service %q", n, name))
		}
		port = svc.Spec.Ports[i].Name
	}
	obj, err := s.Endpoints.Get(ctx, ns, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	eps := obj.(*corev1.Endpoints)
	if len(eps.Subsets) == 0 {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", name))
	}
	if scheme == "" {
		scheme = "http"
	}
	// Start at a random subset and address, so that requests spread over
	// the endpoints.
	first := rand.IntN(len(eps.Subsets))
	for i := range eps.Subsets {
		ss := eps.Subsets[(first+i)%len(eps.Subsets)]
		if len(ss.Addresses) == 0 {
			continue
		}
		j := slices.IndexFunc(ss.Ports, func(p corev1.EndpointPort) bool { return p.Name == port })
		if j < 0 {
			continue
		}
		start := rand.IntN(len(ss.Addresses))
		for k := range ss.Addresses {
			addr := ss.Addresses[(start+k)%len(ss.Addresses)]
			if err := s.podAddress(ctx, addr); err != nil {
				klog.V(2).InfoS("Skipping an endpoint address", "service", klog.KRef(ns, name), "ip", addr.IP, "err", err)
				continue
			}
			return &url.URL{Scheme: scheme, Host: net.JoinHostPort(addr.IP, strconv.Itoa(int(ss.Ports[j].Port)))}, nil
		}
	}
	return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", id))
}

// podAddress accepts an endpoint address that is a Pod's: whoever may
// write Endpoints may not make this server reach any address it likes.
func (s ProxyStorage) podAddress(ctx context.Context, addr corev1.EndpointAddress) error {
	ref := addr.TargetRef
	if ref == nil || ref.Kind != "Pod" {
		return fmt.Errorf("the address is not a Pod's")
	}
	obj, err := s.Pods.Get(ctx, ref.Namespace, ref.Name, &metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, ip := range obj.(*corev1.Pod).Status.PodIPs {
		if ip.IP == addr.IP {
			return nil
		}
	}
	return fmt.Errorf("pod ip doesn't match endpoint ip")
}
