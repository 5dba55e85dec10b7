package controlplane

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/proxy"
	"github.com/apiserver/apiserver/pkg/registry/core/endpoints"
	"github.com/apiserver/apiserver/pkg/registry/core/pod"
	"github.com/apiserver/apiserver/pkg/registry/core/service"
	"github.com/apiserver/apiserver/pkg/registry/core/service/allocator"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// newAllocators returns the allocators of c's ranges, keeping what they
// hand out under the storage prefix, beside the objects.
func newAllocators(backend *etcd3.Backend, c server.ServicesConfig) *service.Allocators {
	prefix := backend.Config().Prefix + "/ranges"
	a := &service.Allocators{Ports: allocator.NewPortRange(backend.Client(), prefix+"/servicenodeports", c.NodePortBase, c.NodePortSize)}
	for _, cidr := range c.ClusterIPRanges {
		a.IPs = append(a.IPs, allocator.NewIPRange(backend.Client(), prefix+"/serviceips", cidr))
	}
	return a
}

// serviceResource declares services, with /proxy and /status, allocating
// from a; the returned repair keeps the allocations equal to the Services.
func serviceResource(backend *etcd3.Backend, admit admission.Interface, a *service.Allocators, via proxy.Transports) (rest.Resource, *service.Repair, error) {
	services, err := generic.NewStore(backend, service.Type(a), admit, "")
	if err != nil {
		return rest.Resource{}, nil, err
	}
	status, err := generic.NewStore(backend, service.StatusType(a), admit, "status")
	if err != nil {
		return rest.Resource{}, nil, err
	}
	getters := map[string]rest.Getter{}
	for name, t := range map[string]rest.Type{"endpoints": endpoints.Type(), "pods": pod.Type()} {
		store, err := generic.NewStore(backend, t, nil, "")
		if err != nil {
			return rest.Resource{}, nil, err
		}
		getters[name] = store
	}
	decl := services.Declaration()
	decl.Subresources = append(decl.Subresources,
		rest.Subresource{Name: "proxy", Storage: service.ProxyStorage{Services: services, Endpoints: getters["endpoints"], Pods: getters["pods"], Via: via},
			Kind: corev1.SchemeGroupVersion.WithKind("ServiceProxyOptions"), Verbs: proxyVerbs},
		rest.Subresource{Name: "status", Storage: status, Verbs: []string{"get", "patch", "update"}})
	repair := &service.Repair{Allocators: a, List: func(ctx context.Context) ([]corev1.Service, error) {
		list, err := services.List(ctx, "", &metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing Services: %w", err)
		}
		return list.(*corev1.ServiceList).Items, nil
	}}
	return decl, repair, nil
}
