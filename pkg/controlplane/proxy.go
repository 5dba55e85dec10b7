package controlplane

import (
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	clienttransport "k8s.io/client-go/transport"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/proxy"
	"github.com/apiserver/apiserver/pkg/registry/core/node"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// proxyVerbs are the methods a proxy subresource passes on, by the verbs
// kube-apiserver authorizes them as.
var proxyVerbs = []string{"create", "delete", "get", "patch", "update"}

// proxyTransports are how the proxy subresources reach their targets.
type proxyTransports struct {
	// kubelets reaches kubelets, over HTTP/1.1 (log, exec, attach,
	// portforward, nodes/proxy to the kubelet port).
	kubelets http.RoundTripper
	// backends reaches Pods, Services' endpoints and other node ports:
	// plain HTTP, or HTTPS verifying nothing, as kube-apiserver's proxy
	// transport.
	backends proxy.Transports
}

func newProxyTransports(c server.KubeletConfig) (proxyTransports, error) {
	kubelets, err := kubeletTransport(c)
	if err != nil {
		return proxyTransports{}, fmt.Errorf("the kubelet transport: %w", err)
	}
	backends, err := proxy.NewTransports(clienttransport.TLSConfig{Insecure: true})
	if err != nil {
		return proxyTransports{}, fmt.Errorf("the proxy transport: %w", err)
	}
	return proxyTransports{kubelets: kubelets, backends: backends}, nil
}

// nodeResource declares nodes with status and proxy.
func nodeResource(backend *etcd3.Backend, admit admission.Interface, kubelet server.KubeletConfig, via proxyTransports) (rest.Resource, error) {
	decl, err := statusResource(backend, admit, node.Type(), node.StatusType(), nil)
	if err != nil {
		return rest.Resource{}, err
	}
	nodes, err := generic.NewStore(backend, node.Type(), nil, "")
	if err != nil {
		return rest.Resource{}, err
	}
	p := node.ProxyStorage{
		Nodes: nodes, AddressTypes: addressTypes(kubelet.PreferredAddressTypes),
		Kubelet: proxy.Transports{Plain: via.kubelets, Upgrade: via.kubelets}, Other: via.backends,
	}
	decl.Subresources = append([]rest.Subresource{{Name: "proxy", Storage: p, Kind: corev1.SchemeGroupVersion.WithKind("NodeProxyOptions"), Verbs: proxyVerbs}}, decl.Subresources...)
	return decl, nil
}
