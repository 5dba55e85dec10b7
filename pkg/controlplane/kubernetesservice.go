package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/registry/core/service"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

const (
	// kubernetesServiceName is the Service in default that points at the
	// API servers.
	kubernetesServiceName = "kubernetes"
	// endpointInterval is how often each replica renews its lease and
	// reconciles the endpoints, as kube-apiserver's lease reconciler.
	endpointInterval = 10 * time.Second
	// leaseTTL is how long a replica stays among the endpoints after its
	// last renewal.
	leaseTTL = 15
)

// kubernetesService keeps the kubernetes Service in the default
// namespace, and its Endpoints and EndpointSlice, pointing at every
// replica: each one keeps a short etcd lease on a key naming its address,
// and the endpoints are the addresses of the live keys, so that a replica
// that dies leaves them within leaseTTL.
type kubernetesService struct {
	catalog *rest.Catalog
	client  *clientv3.Client
	// leases is the prefix of the replicas' keys.
	leases string
	// ip is the address advertised; nil advertises none.
	ip        net.IP
	port      int32
	clusterIP string
	// namespaceCreated, when set, is closed once the default namespace
	// exists: the first create waits for it rather than failing and
	// retrying.
	namespaceCreated <-chan struct{}
}

func newKubernetesService(catalog *rest.Catalog, client *clientv3.Client, prefix string, advertise net.IP, port int, a *service.Allocators) *kubernetesService {
	k := &kubernetesService{catalog: catalog, client: client, leases: prefix + "/masterleases/", port: int32(port), clusterIP: a.IPs[0].First()}
	switch {
	case advertise == nil:
		klog.InfoS("No address to advertise; the kubernetes Service has no endpoints")
	case advertise.IsLoopback() || advertise.IsUnspecified():
		klog.InfoS("The advertised address is not one Pods can reach; the kubernetes Service has no endpoints", "address", advertise.String())
	default:
		k.ip = advertise
	}
	return k
}

// ensureService creates the kubernetes Service, or brings its ports back
// to the server's, retrying until it is done or ctx ends. Replicas
// starting together race for its cluster IP: the loser is refused the
// address until the winner's Service is written, and then finds it. An
// address that stays taken (a user's Service holds it) is logged and
// left: the server runs without the kubernetes Service.
func (k *kubernetesService) ensureService(ctx context.Context) error {
	const invalidTries = 40
	if !k.waitNamespace(ctx) {
		return nil
	}
	for tries := 0; ; {
		err := k.reconcileService(ctx)
		if err == nil {
			return nil
		}
		if apierrors.IsInvalid(err) {
			if tries++; tries == invalidTries {
				klog.ErrorS(err, "The kubernetes Service cannot be created")
				return nil
			}
		}
		klog.V(2).InfoS("Creating the kubernetes Service failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitNamespace waits until the default namespace exists, when the server
// says when; false if ctx ended first.
func (k *kubernetesService) waitNamespace(ctx context.Context) bool {
	if k.namespaceCreated == nil {
		return true
	}
	select {
	case <-k.namespaceCreated:
		return true
	case <-ctx.Done():
		return false
	}
}

// wantService is the kubernetes Service as kube-apiserver creates it.
func (k *kubernetesService) wantService() *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: kubernetesServiceName, Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"},
		},
		Spec: corev1.ServiceSpec{
			Type:      corev1.ServiceTypeClusterIP,
			ClusterIP: k.clusterIP,
			Ports: []corev1.ServicePort{{
				Name: "https", Port: 443, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(k.port),
			}},
			SessionAffinity: corev1.ServiceAffinityNone,
		},
	}
	service.Default(s)
	return s
}

func (k *kubernetesService) reconcileService(ctx context.Context) error {
	want := k.wantService()
	return k.upsert(ctx, corev1.SchemeGroupVersion.WithResource("services"), func(current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return want, nil
		}
		s := current.(*corev1.Service).DeepCopy()
		if reflect.DeepEqual(s.Spec.Ports, want.Spec.Ports) && s.Spec.Type == want.Spec.Type {
			return nil, errUnchanged
		}
		s.Spec.Type, s.Spec.Ports = want.Spec.Type, want.Spec.Ports
		return s, nil
	})
}

// errUnchanged ends an upsert that has nothing to write.
var errUnchanged = errors.New("unchanged")

// upsert writes the object named kubernetes in default of resource gvr
// through its served storage, as edit makes it from the current one (nil
// when there is none).
func (k *kubernetesService) upsert(ctx context.Context, gvr schema.GroupVersionResource, edit func(current runtime.Object) (runtime.Object, error)) error {
	r, ok := k.catalog.Resource(gvr.GroupResource())
	if !ok {
		return fmt.Errorf("%s are not served", gvr.Resource)
	}
	updater, ok := r.Storage.(rest.Updater)
	if !ok {
		return fmt.Errorf("%s cannot be updated", gvr.Resource)
	}
	_, _, err := updater.Update(ctx, metav1.NamespaceDefault, kubernetesServiceName, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		return edit(current)
	}, false, true)
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// run keeps the Service, this replica's lease and the endpoints, every
// endpointInterval until ctx ends; then it takes this replica out of the
// endpoints.
func (k *kubernetesService) run(ctx context.Context) {
	if !k.waitNamespace(ctx) {
		return
	}
	t := time.NewTicker(endpointInterval)
	defer t.Stop()
	for {
		if err := k.reconcile(ctx); err != nil && ctx.Err() == nil {
			klog.ErrorS(err, "Reconciling the kubernetes Service failed; retrying")
		}
		select {
		case <-ctx.Done():
			if k.ip != nil {
				stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				if err := k.leave(stopCtx); err != nil {
					klog.V(2).InfoS("Removing this server from the kubernetes endpoints failed", "err", err)
				}
			}
			return
		case <-t.C:
		}
	}
}

func (k *kubernetesService) reconcile(ctx context.Context) error {
	if err := k.reconcileService(ctx); err != nil && !apierrors.IsInvalid(err) {
		return err
	}
	if k.ip == nil {
		return nil
	}
	lease, err := k.client.Grant(ctx, leaseTTL)
	if err != nil {
		return fmt.Errorf("granting the endpoint lease: %w", err)
	}
	if _, err := k.client.Put(ctx, k.leases+k.ip.String(), k.ip.String(), clientv3.WithLease(lease.ID)); err != nil {
		return fmt.Errorf("renewing the endpoint lease: %w", err)
	}
	return k.reconcileEndpoints(ctx)
}

// leave deletes this replica's lease and rewrites the endpoints without
// it.
func (k *kubernetesService) leave(ctx context.Context) error {
	if _, err := k.client.Delete(ctx, k.leases+k.ip.String()); err != nil {
		return err
	}
	return k.reconcileEndpoints(ctx)
}

// addresses are the live replicas' addresses, of this replica's family.
func (k *kubernetesService) addresses(ctx context.Context) ([]string, error) {
	resp, err := k.client.Get(ctx, k.leases, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("listing the endpoint leases: %w", err)
	}
	v4 := k.ip.To4() != nil
	var out []string
	for _, kv := range resp.Kvs {
		ip := net.ParseIP(strings.TrimPrefix(string(kv.Key), k.leases))
		if ip != nil && (ip.To4() != nil) == v4 {
			out = append(out, ip.String())
		}
	}
	slices.Sort(out)
	return out, nil
}

func (k *kubernetesService) reconcileEndpoints(ctx context.Context) error {
	ips, err := k.addresses(ctx)
	if err != nil {
		return err
	}
	if err := k.upsert(ctx, corev1.SchemeGroupVersion.WithResource("endpoints"), func(current runtime.Object) (runtime.Object, error) {
		want := k.wantEndpoints(ips)
		if current == nil {
			return want, nil
		}
		ep := current.(*corev1.Endpoints).DeepCopy()
		if reflect.DeepEqual(ep.Subsets, want.Subsets) && reflect.DeepEqual(ep.Labels, want.Labels) {
			return nil, errUnchanged
		}
		ep.Subsets, ep.Labels = want.Subsets, want.Labels
		return ep, nil
	}); err != nil {
		return fmt.Errorf("writing the kubernetes Endpoints: %w", err)
	}
	if err := k.upsert(ctx, discoveryv1.SchemeGroupVersion.WithResource("endpointslices"), func(current runtime.Object) (runtime.Object, error) {
		want := k.wantSlice(ips)
		if current == nil {
			return want, nil
		}
		es := current.(*discoveryv1.EndpointSlice).DeepCopy()
		if reflect.DeepEqual(es.Endpoints, want.Endpoints) && reflect.DeepEqual(es.Ports, want.Ports) &&
			es.AddressType == want.AddressType && reflect.DeepEqual(es.Labels, want.Labels) {
			return nil, errUnchanged
		}
		if es.AddressType != want.AddressType {
			return nil, fmt.Errorf("the kubernetes EndpointSlice is of type %s, not %s", es.AddressType, want.AddressType)
		}
		es.Endpoints, es.Ports, es.Labels = want.Endpoints, want.Ports, want.Labels
		return es, nil
	}); err != nil {
		return fmt.Errorf("writing the kubernetes EndpointSlice: %w", err)
	}
	return nil
}

// wantEndpoints is the kubernetes Endpoints as kube-apiserver writes it;
// EndpointSlice mirroring skips it, the server writes the slice itself.
func (k *kubernetesService) wantEndpoints(ips []string) *corev1.Endpoints {
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{
		Name: kubernetesServiceName, Namespace: metav1.NamespaceDefault,
		Labels: map[string]string{discoveryv1.LabelSkipMirror: "true"},
	}}
	if len(ips) == 0 {
		return ep
	}
	ss := corev1.EndpointSubset{Ports: []corev1.EndpointPort{{Name: "https", Port: k.port, Protocol: corev1.ProtocolTCP}}}
	for _, ip := range ips {
		ss.Addresses = append(ss.Addresses, corev1.EndpointAddress{IP: ip})
	}
	ep.Subsets = []corev1.EndpointSubset{ss}
	return ep
}

// wantSlice is the kubernetes EndpointSlice as kube-apiserver writes it.
func (k *kubernetesService) wantSlice(ips []string) *discoveryv1.EndpointSlice {
	at := discoveryv1.AddressTypeIPv4
	if k.ip.To4() == nil {
		at = discoveryv1.AddressTypeIPv6
	}
	name, proto, ready := "https", corev1.ProtocolTCP, true
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: kubernetesServiceName, Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{discoveryv1.LabelServiceName: kubernetesServiceName},
		},
		AddressType: at,
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &k.port, Protocol: &proto}},
	}
	for _, ip := range ips {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}})
	}
	return es
}
