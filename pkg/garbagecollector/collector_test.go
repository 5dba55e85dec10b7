package garbagecollector

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/registry/core/configmap"
	"github.com/apiserver/apiserver/pkg/registry/core/event"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// clusterGV serves ClusterConfigMaps: ConfigMaps without a namespace, the
// cluster-scoped owners and dependents of these tests.
var clusterGV = schema.GroupVersion{Group: "test.example.com", Version: "v1"}

// server is one replica's view of the API: its stores, declared in its
// catalog, over a shared etcd.
type server struct {
	catalog    *rest.Catalog
	configMaps *generic.Store
	cluster    *generic.Store
	events     *generic.Store
}

func newServer(t *testing.T, backend *etcd3.Backend) *server {
	t.Helper()
	newStore := func(ty rest.Type) *generic.Store {
		s, err := generic.NewStore(backend, ty, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	clusterType := configmap.Type()
	clusterType.Info.GroupVersionResource = clusterGV.WithResource("clusterconfigmaps")
	clusterType.Info.Kind, clusterType.Info.ListKind, clusterType.Info.Namespaced = "ClusterConfigMap", "ClusterConfigMapList", false
	clusterType.Info.Singular, clusterType.Info.ShortNames = "clusterconfigmap", nil
	s := &server{
		catalog:    rest.NewCatalog(),
		configMaps: newStore(configmap.Type()),
		cluster:    newStore(clusterType),
		events:     newStore(event.Type()),
	}
	s.catalog.Set(rest.GroupVersion{GroupVersion: corev1.SchemeGroupVersion, Resources: []rest.Resource{
		s.configMaps.Declaration(), s.events.Declaration(),
	}}, true)
	s.catalog.Set(rest.GroupVersion{GroupVersion: clusterGV, Resources: []rest.Resource{s.cluster.Declaration()}}, true)
	return s
}

// startCollector runs a collector on s until the test ends.
func (s *server) startCollector(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { New(s.catalog).Run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

func newBackend(t *testing.T) *etcd3.Backend {
	t.Helper()
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	return backend
}

// ref is an ownerReference to obj.
func ref(obj *corev1.ConfigMap, kind string, block bool) metav1.OwnerReference {
	apiVersion := "v1"
	if kind == "ClusterConfigMap" {
		apiVersion = clusterGV.String()
	}
	r := metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: obj.Name, UID: obj.UID}
	if block {
		r.BlockOwnerDeletion = ptr.To(true)
	}
	return r
}

func create(t *testing.T, store *generic.Store, ns, name string, finalizers []string, owners ...metav1.OwnerReference) *corev1.ConfigMap {
	t.Helper()
	obj, err := store.Create(t.Context(), ns, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name: name, Namespace: ns, Finalizers: finalizers, OwnerReferences: owners,
	}}, false)
	if err != nil {
		t.Fatalf("creating %s/%s: %v", ns, name, err)
	}
	return obj.(*corev1.ConfigMap)
}

func remove(t *testing.T, store *generic.Store, ns, name string, policy metav1.DeletionPropagation) {
	t.Helper()
	if _, _, err := store.Delete(t.Context(), ns, name, &metav1.DeleteOptions{PropagationPolicy: &policy}, false); err != nil {
		t.Fatalf("deleting %s/%s: %v", ns, name, err)
	}
}

// get returns the object, or nil once it is gone.
func get(t *testing.T, store *generic.Store, ns, name string) *corev1.ConfigMap {
	t.Helper()
	obj, err := store.Get(t.Context(), ns, name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*corev1.ConfigMap)
}

// eventually polls check until it returns nil, for up to 10 s.
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

func gone(t *testing.T, store *generic.Store, ns string, names ...string) func() error {
	return func() error {
		for _, n := range names {
			if get(t, store, ns, n) != nil {
				return fmt.Errorf("%s/%s still exists", ns, n)
			}
		}
		return nil
	}
}

// stays checks, for a while, that the objects are not collected.
func stays(t *testing.T, store *generic.Store, ns string, names ...string) {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	for _, n := range names {
		if get(t, store, ns, n) == nil {
			t.Errorf("%s/%s was collected", ns, n)
		}
	}
}

func unsetFinalizers(t *testing.T, store *generic.Store, ns, name string) {
	t.Helper()
	_, _, err := store.Update(t.Context(), ns, name, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		cm := cur.(*corev1.ConfigMap).DeepCopy()
		cm.Finalizers = nil
		return cm, nil
	}, false, false)
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}

// TestBackground: deleting an owner deletes the dependents it alone owned,
// and only removes the reference from those that have another owner.
// References do not cross namespaces: a dependent elsewhere that names the
// owner's UID has no owner in its own namespace and is collected at once,
// with a warning event, as kube-controller-manager does.
func TestBackground(t *testing.T) {
	s := newServer(t, newBackend(t))
	s.startCollector(t)
	owner := create(t, s.configMaps, "default", "owner", nil)
	other := create(t, s.configMaps, "default", "other", nil)
	create(t, s.configMaps, "default", "only", nil, ref(owner, "ConfigMap", true))
	create(t, s.configMaps, "default", "shared", nil, ref(owner, "ConfigMap", false), ref(other, "ConfigMap", false))
	create(t, s.configMaps, "elsewhere", "cross", nil, ref(owner, "ConfigMap", false))

	eventually(t, "the cross-namespace dependent is collected", gone(t, s.configMaps, "elsewhere", "cross"))
	eventually(t, "an OwnerRefInvalidNamespace event", func() error { return hasEvent(t, s, "elsewhere", "cross") })
	stays(t, s.configMaps, "default", "only", "shared")

	remove(t, s.configMaps, "default", "owner", metav1.DeletePropagationBackground)
	if get(t, s.configMaps, "default", "owner") != nil {
		t.Fatal("a Background delete left the owner")
	}
	eventually(t, "the dependent is collected", gone(t, s.configMaps, "default", "only"))
	eventually(t, "the shared dependent loses the reference", func() error {
		cm := get(t, s.configMaps, "default", "shared")
		if cm == nil {
			return fmt.Errorf("the shared dependent was deleted")
		}
		if len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].UID != other.UID {
			return fmt.Errorf("ownerReferences = %+v", cm.OwnerReferences)
		}
		return nil
	})
}

// TestForeground: the owner stays, with deletionTimestamp and the
// foregroundDeletion finalizer, until the dependents that block it are gone;
// those that do not block it are deleted too.
func TestForeground(t *testing.T) {
	s := newServer(t, newBackend(t))
	s.startCollector(t)
	owner := create(t, s.configMaps, "default", "owner", nil)
	create(t, s.configMaps, "default", "blocking", []string{"example.com/hold"}, ref(owner, "ConfigMap", true))
	create(t, s.configMaps, "default", "free", nil, ref(owner, "ConfigMap", false))

	remove(t, s.configMaps, "default", "owner", metav1.DeletePropagationForeground)
	cm := get(t, s.configMaps, "default", "owner")
	if cm == nil || cm.DeletionTimestamp == nil || !slices.Contains(cm.Finalizers, metav1.FinalizerDeleteDependents) {
		t.Fatalf("owner after a Foreground delete = %+v, want it kept with %s", cm, metav1.FinalizerDeleteDependents)
	}
	eventually(t, "the non-blocking dependent is deleted", gone(t, s.configMaps, "default", "free"))
	eventually(t, "the blocking dependent is being deleted", func() error {
		if cm := get(t, s.configMaps, "default", "blocking"); cm == nil || cm.DeletionTimestamp == nil {
			return fmt.Errorf("blocking = %+v", cm)
		}
		return nil
	})
	stays(t, s.configMaps, "default", "owner")

	unsetFinalizers(t, s.configMaps, "default", "blocking")
	eventually(t, "the owner goes after its blocking dependent", gone(t, s.configMaps, "default", "blocking", "owner"))
}

// TestOrphan: the owner goes once no dependent names it; the dependents
// stay.
func TestOrphan(t *testing.T) {
	s := newServer(t, newBackend(t))
	s.startCollector(t)
	owner := create(t, s.configMaps, "default", "owner", nil)
	keep := create(t, s.configMaps, "default", "keep", nil)
	create(t, s.configMaps, "default", "a", nil, ref(owner, "ConfigMap", true))
	create(t, s.configMaps, "default", "b", nil, ref(owner, "ConfigMap", false), ref(keep, "ConfigMap", false))

	remove(t, s.configMaps, "default", "owner", metav1.DeletePropagationOrphan)
	eventually(t, "the orphaning owner goes", gone(t, s.configMaps, "default", "owner"))
	for _, name := range []string{"a", "b"} {
		cm := get(t, s.configMaps, "default", name)
		if cm == nil {
			t.Fatalf("orphaned %s was deleted", name)
		}
		if slices.ContainsFunc(cm.OwnerReferences, func(r metav1.OwnerReference) bool { return r.UID == owner.UID }) {
			t.Errorf("%s still names its owner: %+v", name, cm.OwnerReferences)
		}
	}
	stays(t, s.configMaps, "default", "a", "b")
}

// TestScopes: a cluster-scoped owner owns namespaced dependents; a
// cluster-scoped object cannot be owned by a namespaced one, and is never
// collected for it; a reference to an owner that never existed is dangling
// from the start.
func TestScopes(t *testing.T) {
	s := newServer(t, newBackend(t))
	s.startCollector(t)
	clusterOwner := create(t, s.cluster, "", "cluster-owner", nil)
	create(t, s.configMaps, "default", "of-cluster", nil, ref(clusterOwner, "ClusterConfigMap", true))
	nsOwner := create(t, s.configMaps, "default", "ns-owner", nil)
	create(t, s.cluster, "", "cluster-dependent", nil, ref(nsOwner, "ConfigMap", false))
	never := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "never", UID: types.UID("00000000-0000-0000-0000-000000000000")}}
	create(t, s.configMaps, "default", "dangling", nil, ref(never, "ConfigMap", false))

	eventually(t, "a dependent of an owner that never existed is collected", gone(t, s.configMaps, "default", "dangling"))
	stays(t, s.configMaps, "default", "of-cluster")
	remove(t, s.cluster, "", "cluster-owner", metav1.DeletePropagationBackground)
	eventually(t, "the dependent of a cluster-scoped owner is collected", gone(t, s.configMaps, "default", "of-cluster"))

	// The collector looked at the cluster-scoped dependent, and said why it
	// leaves it: without that event, staying would prove nothing.
	eventually(t, "an event on the cluster-scoped dependent", func() error {
		return hasEvent(t, s, "default", "cluster-dependent")
	})
	remove(t, s.configMaps, "default", "ns-owner", metav1.DeletePropagationBackground)
	stays(t, s.cluster, "", "cluster-dependent")
}

// TestResourceRemoved: when an owner's resource stops being served (its
// CRD deleted, after its objects) before the collector saw the owner's
// deletion, the owner is gone all the same and its dependents are
// collected.
func TestResourceRemoved(t *testing.T) {
	s := newServer(t, newBackend(t))
	s.startCollector(t)
	owner := create(t, s.cluster, "", "owner", nil)
	create(t, s.configMaps, "default", "dependent", nil, ref(owner, "ClusterConfigMap", false))
	stays(t, s.configMaps, "default", "dependent")
	// The resource goes; the owner is never deleted where the collector
	// could see it.
	s.catalog.Remove(clusterGV)
	eventually(t, "the dependent of an owner whose resource went is collected", gone(t, s.configMaps, "default", "dependent"))

	// The owner is deleted and its resource goes at once: whether the
	// collector looks at the dependent before or after the resource went,
	// it is collected.
	s2 := newServer(t, newBackend(t))
	s2.startCollector(t)
	owner2 := create(t, s2.cluster, "", "owner", nil)
	create(t, s2.configMaps, "default", "dependent", nil, ref(owner2, "ClusterConfigMap", false))
	stays(t, s2.configMaps, "default", "dependent")
	remove(t, s2.cluster, "", "owner", metav1.DeletePropagationBackground)
	s2.catalog.Remove(clusterGV)
	eventually(t, "the dependent of a deleted owner whose resource went is collected", gone(t, s2.configMaps, "default", "dependent"))
}

// hasEvent reports an OwnerRefInvalidNamespace warning on name in ns.
func hasEvent(t *testing.T, s *server, ns, name string) error {
	list, err := s.events.List(t.Context(), ns, &metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, e := range list.(*corev1.EventList).Items {
		if e.Reason == "OwnerRefInvalidNamespace" && e.InvolvedObject.Name == name && e.Type == corev1.EventTypeWarning {
			return nil
		}
	}
	return fmt.Errorf("no OwnerRefInvalidNamespace event on %s among %d", name, len(list.(*corev1.EventList).Items))
}

// TestReplicas: collectors of two servers over one etcd do the same work at
// once without harm: every dependent is collected, nothing else is.
func TestReplicas(t *testing.T) {
	backend := newBackend(t)
	a, b := newServer(t, backend), newServer(t, backend)
	a.startCollector(t)
	b.startCollector(t)
	owner := create(t, a.configMaps, "default", "owner", nil)
	bystander := create(t, a.configMaps, "default", "bystander", nil)
	var names []string
	for i := range 200 {
		name := fmt.Sprintf("dep-%03d", i)
		names = append(names, name)
		create(t, a.configMaps, "default", name, nil, ref(owner, "ConfigMap", i%2 == 0))
	}
	remove(t, b.configMaps, "default", "owner", metav1.DeletePropagationForeground)
	eventually(t, "every dependent and the owner are collected", gone(t, a.configMaps, "default", append(names, "owner")...))
	if get(t, b.configMaps, "default", bystander.Name) == nil {
		t.Error("an object without owners was deleted")
	}
}
