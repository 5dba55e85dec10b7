package controlplane

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiserver/apiserver/pkg/proxy"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/server"
)

// TestKubernetesService: two replicas sharing an etcd keep one kubernetes
// Service, as kube-apiserver creates it, and Endpoints and EndpointSlice
// listing both addresses; a replica that stops leaves them; a replica
// advertising a loopback address publishes none.
func TestKubernetesService(t *testing.T) {
	backend := newBackend(t)
	ctx := t.Context()
	cfg := server.ServicesConfig{NodePortBase: 30000, NodePortSize: 100}
	cfg.ClusterIPRanges = append(cfg.ClusterIPRanges, netip.MustParsePrefix("10.0.0.0/24"))
	catalog := rest.NewCatalog()
	alloc := newAllocators(backend, cfg)
	services, _, err := serviceResource(backend, nil, alloc, proxy.Transports{})
	if err != nil {
		t.Fatal(err)
	}
	var gvs []rest.GroupVersion
	gvs = addResource(gvs, services)
	stores := map[string]*generic.Store{}
	for _, ty := range BuiltinTypes() {
		if ty.Info.Resource == "services" {
			continue
		}
		store, err := generic.NewStore(backend, ty, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		stores[ty.Info.Resource] = store
		gvs = addResource(gvs, store.Declaration())
	}
	for _, gv := range gvs {
		catalog.Set(gv, true)
	}
	a := newKubernetesService(catalog, backend.Client(), backend.Config().Prefix, net.ParseIP("192.0.2.2"), 6443, alloc)
	b := newKubernetesService(catalog, backend.Client(), backend.Config().Prefix, net.ParseIP("192.0.2.1"), 6443, alloc)
	if err := a.ensureService(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.ensureService(ctx); err != nil {
		t.Fatal(err)
	}
	obj, err := services.Storage.(rest.Getter).Get(ctx, "default", "kubernetes", &metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc := obj.(*corev1.Service)
	if svc.Spec.ClusterIP != "10.0.0.1" || svc.Spec.Ports[0].Port != 443 || svc.Spec.Ports[0].TargetPort.IntVal != 6443 ||
		svc.Labels["provider"] != "kubernetes" || *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack {
		t.Errorf("kubernetes Service = %+v", svc)
	}
	for _, k := range []*kubernetesService{a, b} {
		if err := k.reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.reconcile(ctx); err != nil { // sees b's lease
		t.Fatal(err)
	}
	expect := func(want ...string) {
		t.Helper()
		obj, err := stores["endpoints"].Get(ctx, "default", "kubernetes", &metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ep := obj.(*corev1.Endpoints)
		var got []string
		for _, ss := range ep.Subsets {
			for _, addr := range ss.Addresses {
				got = append(got, addr.IP)
			}
			if ss.Ports[0].Port != 6443 || ss.Ports[0].Name != "https" {
				t.Errorf("endpoint ports %+v", ss.Ports)
			}
		}
		if ep.Labels[discoveryv1.LabelSkipMirror] != "true" || !equalStrings(got, want) {
			t.Errorf("endpoints %v (labels %v), want %v", got, ep.Labels, want)
		}
		obj, err = stores["endpointslices"].Get(ctx, "default", "kubernetes", &metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		es := obj.(*discoveryv1.EndpointSlice)
		got = nil
		for _, e := range es.Endpoints {
			got = append(got, e.Addresses...)
			if e.Conditions.Ready == nil || !*e.Conditions.Ready {
				t.Errorf("endpoint %v not ready", e.Addresses)
			}
		}
		if es.AddressType != discoveryv1.AddressTypeIPv4 || es.Labels[discoveryv1.LabelServiceName] != "kubernetes" || !equalStrings(got, want) {
			t.Errorf("slice %v %v (labels %v), want %v", es.AddressType, got, es.Labels, want)
		}
	}
	expect("192.0.2.1", "192.0.2.2")

	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := b.leave(stopCtx); err != nil {
		t.Fatal(err)
	}
	expect("192.0.2.2")

	loop := newKubernetesService(catalog, backend.Client(), backend.Config().Prefix, net.ParseIP("127.0.0.1"), 6443, alloc)
	if loop.ip != nil {
		t.Errorf("a loopback address is advertised")
	}
	if err := loop.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	expect("192.0.2.2")
}

func equalStrings(a, b []string) bool {
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

// TestKubernetesServiceWaitsForNamespace: the Service is first written once
// the default namespace exists, when the server says when it does.
func TestKubernetesServiceWaitsForNamespace(t *testing.T) {
	closed := make(chan struct{})
	close(closed)
	tests := []struct {
		name    string
		created chan struct{}
		want    bool
	}{
		{"not told", nil, true},
		{"created", closed, true},
		{"not yet created", make(chan struct{}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &kubernetesService{}
			if tt.created != nil {
				k.namespaceCreated = tt.created
			}
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			if got := k.waitNamespace(ctx); got != tt.want {
				t.Errorf("waitNamespace = %v, want %v", got, tt.want)
			}
		})
	}
}
