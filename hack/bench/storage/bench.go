package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// listSize is the number of objects the List benchmarks read.
const listSize = 10000

// env is what the benchmarks share: a client, a store of ConfigMaps, and
// listSize objects under their own prefix for the list benchmarks.
type env struct {
	client    *clientv3.Client
	prefix    string
	store     *etcd3.Store
	listStore *etcd3.Store
	value     []byte // the encoded sample object, for the bare calls
	seq       atomic.Int64
}

// sample is a typical small object: a ConfigMap of about 600 bytes.
func sample(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "bench", Name: name, UID: "6f1c1b9e-5d1a-4f0e-9a43-1d6f2b8f3c11",
			Labels:      map[string]string{"app": "bench", "tier": "storage"},
			Annotations: map[string]string{"example.com/owner": "storage-benchmark"},
		},
		Data: map[string]string{
			"config.yaml": strings.Repeat("key: value\n", 30),
			"counter":     "0",
		},
	}
}

func newEnv(ctx context.Context, client *clientv3.Client, prefix string) (*env, error) {
	e := &env{client: client, prefix: prefix}
	var err error
	newStore := func(p string) (*etcd3.Store, error) {
		return etcd3.New(etcd3.Config{
			Client: client, Prefix: p, Resource: schema.GroupResource{Resource: "configmaps"},
			NamespaceScoped: true, NewFunc: func() runtime.Object { return &corev1.ConfigMap{} },
		})
	}
	if e.store, err = newStore(prefix + "/single"); err != nil {
		return nil, err
	}
	if e.listStore, err = newStore(prefix + "/list"); err != nil {
		return nil, err
	}
	if e.value, err = json.Marshal(sample("x")); err != nil {
		return nil, err
	}
	for _, name := range []string{"get", "update"} {
		if err := e.store.Create(ctx, storage.Key{Namespace: "bench", Name: name}, sample(name), &corev1.ConfigMap{}); err != nil {
			return nil, fmt.Errorf("seeding %s: %w", name, err)
		}
		if _, err := client.Put(ctx, e.bareKey(name), string(e.value)); err != nil {
			return nil, err
		}
	}
	for i := 0; i < listSize; i += 100 {
		ops := make([]clientv3.Op, 0, 100)
		for j := i; j < i+100; j++ {
			ops = append(ops, clientv3.OpPut(fmt.Sprintf("%s/list/configmaps/bench/obj-%05d", prefix, j), string(e.value)))
		}
		if _, err := client.Txn(ctx).Then(ops...).Commit(); err != nil {
			return nil, fmt.Errorf("seeding the list: %w", err)
		}
	}
	return e, nil
}

func (e *env) bareKey(name string) string { return e.prefix + "/bare/configmaps/bench/" + name }

// latencies records per-operation durations and reports p50 and p99.
type latencies []time.Duration

func timed(b *testing.B, op func() error) {
	b.ReportAllocs()
	lat := make(latencies, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// benchmark is one operation, through the store and bare.
type benchmark struct {
	name, bareName string
	store, bare    func(e *env, b *testing.B)
}

// The store's Create and GuaranteedUpdate are compare-and-swap
// transactions; the last two rows compare them with the same transactions
// made bare, which isolates the store's own cost (encoding, decoding,
// checks) from etcd's cost of a transaction over a plain Put.
var benchmarks = []benchmark{
	{"Create", "Put", storeCreate, func(e *env, b *testing.B) {
		ctx := context.Background()
		timed(b, func() error {
			_, err := e.client.Put(ctx, e.bareKey(fmt.Sprintf("c-%d", e.seq.Add(1))), string(e.value))
			return err
		})
	}},
	{"Get", "Get", func(e *env, b *testing.B) {
		ctx := context.Background()
		out := &corev1.ConfigMap{}
		timed(b, func() error {
			return e.store.Get(ctx, storage.Key{Namespace: "bench", Name: "get"}, storage.GetOptions{}, out)
		})
	}, func(e *env, b *testing.B) {
		ctx := context.Background()
		timed(b, func() error {
			_, err := e.client.Get(ctx, e.bareKey("get"))
			return err
		})
	}},
	{"GuaranteedUpdate", "Get+Put", storeUpdate, func(e *env, b *testing.B) {
		ctx := context.Background()
		timed(b, func() error {
			if _, err := e.client.Get(ctx, e.bareKey("update")); err != nil {
				return err
			}
			_, err := e.client.Put(ctx, e.bareKey("update"), string(e.value))
			return err
		})
	}},
	{"List10000", "Range10000", func(e *env, b *testing.B) {
		ctx := context.Background()
		timed(b, func() error {
			list := &corev1.ConfigMapList{}
			if err := e.listStore.GetList(ctx, storage.Key{Namespace: "bench"}, storage.ListOptions{Recursive: true}, list); err != nil {
				return err
			}
			if len(list.Items) != listSize {
				return fmt.Errorf("listed %d objects; want %d", len(list.Items), listSize)
			}
			return nil
		})
	}, func(e *env, b *testing.B) {
		ctx := context.Background()
		timed(b, func() error {
			resp, err := e.client.Get(ctx, e.prefix+"/list/configmaps/bench/", clientv3.WithPrefix())
			if err == nil && len(resp.Kvs) != listSize {
				err = fmt.Errorf("ranged %d keys; want %d", len(resp.Kvs), listSize)
			}
			return err
		})
	}},
	{"Create", "Txn(create)", storeCreate, func(e *env, b *testing.B) {
		ctx := context.Background()
		timed(b, func() error {
			k := e.bareKey(fmt.Sprintf("c-%d", e.seq.Add(1)))
			_, err := e.client.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(k), "=", 0)).
				Then(clientv3.OpPut(k, string(e.value))).Commit()
			return err
		})
	}},
	{"GuaranteedUpdate", "Get+Txn(CAS)", storeUpdate, func(e *env, b *testing.B) {
		ctx := context.Background()
		k := e.bareKey("update")
		timed(b, func() error {
			resp, err := e.client.Get(ctx, k)
			if err != nil {
				return err
			}
			_, err = e.client.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(k), "=", resp.Kvs[0].ModRevision)).
				Then(clientv3.OpPut(k, string(e.value))).Else(clientv3.OpGet(k)).Commit()
			return err
		})
	}},
}

func storeCreate(e *env, b *testing.B) {
	ctx := context.Background()
	obj, out := sample(""), &corev1.ConfigMap{} // like the bare Put, reuse the input
	timed(b, func() error {
		obj.Name = fmt.Sprintf("c-%d", e.seq.Add(1))
		return e.store.Create(ctx, storage.Key{Namespace: "bench", Name: obj.Name}, obj, out)
	})
}

func storeUpdate(e *env, b *testing.B) {
	ctx := context.Background()
	out := &corev1.ConfigMap{}
	timed(b, func() error {
		return e.store.GuaranteedUpdate(ctx, storage.Key{Namespace: "bench", Name: "update"}, out,
			storage.UpdateOptions{}, func(in runtime.Object) (runtime.Object, error) {
				cm := in.(*corev1.ConfigMap)
				cm.Data["counter"] = fmt.Sprint(e.seq.Add(1))
				return cm, nil
			})
	})
}
