package node

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilnet "k8s.io/apimachinery/pkg/util/net"

	"github.com/apiserver/apiserver/pkg/proxy"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// defaultKubeletPort is where kube-apiserver reaches a kubelet whose Node
// does not say.
const defaultKubeletPort = 10250

// DefaultAddressTypes is kube-apiserver's default
// --kubelet-preferred-address-types.
var DefaultAddressTypes = []corev1.NodeAddressType{
	corev1.NodeHostName, corev1.NodeInternalDNS, corev1.NodeInternalIP, corev1.NodeExternalDNS, corev1.NodeExternalIP,
}

// Address returns the first of n's addresses in the order of types
// (DefaultAddressTypes when empty); the hostname label stands in for a
// missing Hostname address, as in kube-apiserver.
func Address(n *corev1.Node, types []corev1.NodeAddressType) (string, error) {
	if len(types) == 0 {
		types = DefaultAddressTypes
	}
	for _, t := range types {
		for _, a := range n.Status.Addresses {
			if a.Type == t {
				return a.Address, nil
			}
		}
		if h, ok := n.Labels[corev1.LabelHostname]; t == corev1.NodeHostName && ok {
			return h, nil
		}
	}
	return "", rest.InternalError(fmt.Sprintf("no preferred addresses found; known addresses: %v", n.Status.Addresses))
}

// KubeletPort is the port of n's kubelet.
func KubeletPort(n *corev1.Node) int {
	if p := int(n.Status.DaemonEndpoints.KubeletEndpoint.Port); p != 0 {
		return p
	}
	return defaultKubeletPort
}

// KubeletURL is the base URL of n's kubelet.
func KubeletURL(n *corev1.Node, types []corev1.NodeAddressType) (*url.URL, error) {
	host, err := Address(n, types)
	if err != nil {
		return nil, err
	}
	return &url.URL{Scheme: "https", Host: net.JoinHostPort(host, strconv.Itoa(KubeletPort(n)))}, nil
}

// ProxyStorage serves nodes/proxy: [scheme:]name[:port], the kubelet when
// no other port is named.
type ProxyStorage struct {
	Nodes rest.Getter
	// AddressTypes orders a Node's addresses (--kubelet-preferred-address-types).
	AddressTypes []corev1.NodeAddressType
	// Kubelet reaches kubelets; Other any other port of the node.
	Kubelet, Other proxy.Transports
}

var _ rest.Connecter = ProxyStorage{}

// New returns empty NodeProxyOptions.
func (ProxyStorage) New() runtime.Object { return &corev1.NodeProxyOptions{} }

// Connect proxies the request to the node.
func (s ProxyStorage) Connect(ctx context.Context, _, id string, r *http.Request) (http.Handler, error) {
	scheme, name, port, ok := utilnet.SplitSchemeNamePort(id)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid node request %q", id))
	}
	obj, err := s.Nodes.Get(ctx, "", name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	n := obj.(*corev1.Node)
	host, err := Address(n, s.AddressTypes)
	if err != nil {
		return nil, err
	}
	if err := proxy.CheckHost(ctx, host); err != nil {
		return nil, err
	}
	via := s.Other
	if kubelet := strconv.Itoa(KubeletPort(n)); port == "" || port == kubelet {
		scheme, port, via = "https", kubelet, s.Kubelet
	}
	if scheme == "" {
		scheme = "http"
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port)}
	return proxy.Subpath(r, u, "/nodes/"+id+"/proxy", via), nil
}
