package namespacedefaults

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/registry/core/configmap"
	"github.com/apiserver/apiserver/pkg/registry/core/namespace"
	"github.com/apiserver/apiserver/pkg/registry/core/serviceaccount"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

type replica struct {
	catalog                          *rest.Catalog
	namespaces, accounts, configMaps *generic.Store
}

func newReplica(t *testing.T, backend *etcd3.Backend) *replica {
	t.Helper()
	store := func(ty rest.Type) *generic.Store {
		s, err := generic.NewStore(backend, ty, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	r := &replica{catalog: rest.NewCatalog(), namespaces: store(namespace.Type()), accounts: store(serviceaccount.Type()), configMaps: store(configmap.Type())}
	r.catalog.Set(rest.GroupVersion{GroupVersion: corev1.SchemeGroupVersion, Resources: []rest.Resource{
		r.namespaces.Declaration(), r.accounts.Declaration(), r.configMaps.Declaration(),
	}}, true)
	return r
}

func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(ctx context.Context, s *generic.Store, ns, name string) (runtime.Object, error) {
	return s.Get(ctx, ns, name, &metav1.GetOptions{})
}

// TestDefaultsKept runs two replicas over one etcd: every namespace gets
// one default ServiceAccount and the root CA ConfigMap; both come back
// after deletion, a changed bundle is put back, and a terminating
// namespace gets nothing new.
func TestDefaultsKept(t *testing.T) {
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	a, b := newReplica(t, backend), newReplica(t, backend)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	ca := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	for _, r := range []*replica{a, b} {
		wg.Go(func() { Run(ctx, r.catalog, ca) })
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})

	for _, name := range []string{"one", "two"} {
		if _, err := a.namespaces.Create(ctx, "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, false); err != nil {
			t.Fatal(err)
		}
	}
	hasDefaults := func(ns string) func() error {
		return func() error {
			if _, err := get(ctx, a.accounts, ns, ServiceAccountName); err != nil {
				return err
			}
			obj, err := get(ctx, a.configMaps, ns, RootCAConfigMap)
			if err != nil {
				return err
			}
			if got := obj.(*corev1.ConfigMap).Data[RootCAKey]; got != string(ca) {
				return fmt.Errorf("ca.crt = %q", got)
			}
			return nil
		}
	}
	eventually(t, "defaults in namespace one", hasDefaults("one"))
	eventually(t, "defaults in namespace two", hasDefaults("two"))

	if _, _, err := a.accounts.Delete(ctx, "one", ServiceAccountName, &metav1.DeleteOptions{}, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.configMaps.Update(ctx, "one", RootCAConfigMap, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		cm := cur.(*corev1.ConfigMap).DeepCopy()
		cm.Data[RootCAKey] = "tampered"
		return cm, nil
	}, false, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "defaults restored in namespace one", hasDefaults("one"))
	list, err := a.accounts.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.(*corev1.ServiceAccountList).Items); n != 2 {
		t.Errorf("%d service accounts, want one per namespace", n)
	}

	// A namespace that is terminating gets nothing.
	terminating := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "going", Finalizers: []string{"test/hold"}}}
	if _, err := a.namespaces.Create(ctx, "", terminating, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "defaults in namespace going", hasDefaults("going"))
	if _, _, err := a.namespaces.Delete(ctx, "", "going", &metav1.DeleteOptions{}, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.accounts.Delete(ctx, "going", ServiceAccountName, &metav1.DeleteOptions{}, false); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := get(ctx, a.accounts, "going", ServiceAccountName); !apierrors.IsNotFound(err) {
		t.Errorf("default service account of a terminating namespace: %v, want it not recreated", err)
	}
}
