package controlplane

import (
	"net/http"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	clienttransport "k8s.io/client-go/transport"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/client/transport"
	"github.com/apiserver/apiserver/pkg/proxy"
	"github.com/apiserver/apiserver/pkg/registry/core/node"
	"github.com/apiserver/apiserver/pkg/registry/core/pod"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/policy/poddisruptionbudget"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

func addressTypes(names []string) []corev1.NodeAddressType {
	var out []corev1.NodeAddressType
	for _, n := range names {
		out = append(out, corev1.NodeAddressType(n))
	}
	return out
}

// kubeletTransport reaches kubelets over TLS as c says (by default, as
// kube-apiserver without --kubelet-certificate-authority, not verifying
// the kubelet's serving certificate), over HTTP/1.1, which the upgraded
// connections of exec, attach and portforward need.
func kubeletTransport(c server.KubeletConfig) (http.RoundTripper, error) {
	return transport.New(&transport.Config{Config: clienttransport.Config{TLS: clienttransport.TLSConfig{
		CAFile: c.CAFile, CertFile: c.CertFile, KeyFile: c.KeyFile, Insecure: c.CAFile == "", NextProtos: []string{"http/1.1"},
	}}})
}

// podResource declares pods with their subresources: status,
// ephemeralcontainers and binding write the Pod by rules of their own,
// eviction weighs PodDisruptionBudgets, and log, exec, attach and
// portforward reach the Pod's kubelet, proxy the Pod.
func podResource(backend *etcd3.Backend, admit admission.Interface, kubelet server.KubeletConfig, toKubelets http.RoundTripper, toPods proxy.Transports) (rest.Resource, error) {
	stores := map[string]rest.Type{
		"": pod.Type(), "status": pod.StatusType(), "ephemeralcontainers": pod.EphemeralContainersType(), "binding": pod.AssignType(),
	}
	s := map[string]*generic.Store{}
	for sub, t := range stores {
		store, err := generic.NewStore(backend, t, admit, sub)
		if err != nil {
			return rest.Resource{}, err
		}
		s[sub] = store
	}
	budgets, err := generic.NewStore(backend, poddisruptionbudget.Type(), nil, "")
	if err != nil {
		return rest.Resource{}, err
	}
	budgetStatus, err := generic.NewStore(backend, poddisruptionbudget.StatusType(), admit, "status")
	if err != nil {
		return rest.Resource{}, err
	}
	nodes, err := generic.NewStore(backend, node.Type(), nil, "")
	if err != nil {
		return rest.Resource{}, err
	}
	kubelets := &pod.Kubelets{Pods: s[""], Nodes: nodes, Transport: toKubelets, AddressTypes: addressTypes(kubelet.PreferredAddressTypes)}
	v1 := corev1.SchemeGroupVersion
	connect := []string{"create", "get"}
	decl := s[""].Declaration()
	decl.Subresources = append(decl.Subresources,
		rest.Subresource{Name: "attach", Storage: pod.StreamStorage{Kubelets: kubelets, Kind: "PodAttachOptions"}, Kind: v1.WithKind("PodAttachOptions"), Verbs: connect},
		rest.Subresource{Name: "binding", Storage: pod.BindingStorage{Pods: s["binding"]}, Kind: v1.WithKind("Binding")},
		rest.Subresource{Name: "ephemeralcontainers", Storage: s["ephemeralcontainers"], Verbs: []string{"get", "patch", "update"}},
		rest.Subresource{Name: "eviction", Kind: policyv1.SchemeGroupVersion.WithKind("Eviction"), Storage: pod.EvictionStorage{
			Pods: s[""], Status: s["status"], Budgets: budgets, BudgetStatus: budgetStatus,
		}},
		rest.Subresource{Name: "exec", Storage: pod.StreamStorage{Kubelets: kubelets, Kind: "PodExecOptions"}, Kind: v1.WithKind("PodExecOptions"), Verbs: connect},
		rest.Subresource{Name: "log", Storage: pod.LogStorage{Kubelets: kubelets}, Verbs: []string{"get"}},
		rest.Subresource{Name: "portforward", Storage: pod.StreamStorage{Kubelets: kubelets, Kind: "PodPortForwardOptions"}, Kind: v1.WithKind("PodPortForwardOptions"), Verbs: connect},
		rest.Subresource{Name: "proxy", Storage: pod.ProxyStorage{Pods: s[""], Via: toPods}, Kind: v1.WithKind("PodProxyOptions"), Verbs: proxyVerbs},
		rest.Subresource{Name: "status", Storage: s["status"], Verbs: []string{"get", "patch", "update"}},
	)
	return decl, nil
}
