package etcd3_test

import (
	"context"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// countingKV counts the etcd requests a store makes.
type countingKV struct {
	clientv3.KV
	calls *atomic.Int64
}

func (k countingKV) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	k.calls.Add(1)
	return k.KV.Get(ctx, key, opts...)
}

func (k countingKV) Txn(ctx context.Context) clientv3.Txn {
	k.calls.Add(1)
	return k.KV.Txn(ctx)
}

// TestUpdateFromRecentState: an update of a key the store just wrote is one
// etcd request, and when another writer (here another store, as another
// replica would be) changed the key since, every decision is taken again on
// its current state: the write is not lost, preconditions are checked on
// the current object, and an update that changes nothing answers the
// current object.
func TestUpdateFromRecentState(t *testing.T) {
	cfg := etcdtest.StartEmbedded(t)
	c := etcdtest.NewClient(t, cfg)
	gr := schema.GroupResource{Resource: "configmaps"}
	var calls atomic.Int64
	a := newStore(t, &clientv3.Client{KV: countingKV{c.KV, &calls}}, cfg.Prefix, gr, true)
	b := newStore(t, c, cfg.Prefix, gr, true)

	setData := func(k, v string) storage.UpdateFunc {
		return func(in runtime.Object) (runtime.Object, error) {
			cm := in.(*corev1.ConfigMap).DeepCopy()
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			cm.Data[k] = v
			return cm, nil
		}
	}
	unchanged := func(in runtime.Object) (runtime.Object, error) { return in, nil }
	tests := []struct {
		name string
		// other runs through store b between a's create and a's update.
		other     storage.UpdateFunc
		update    storage.UpdateFunc
		precond   func(otherRV string) *storage.Preconditions
		wantData  map[string]string
		wantCalls int64
	}{
		{name: "no other writer: one request", update: setData("a", "2"),
			wantData: map[string]string{"a": "2"}, wantCalls: 1},
		{name: "another writer: its write kept", other: setData("b", "1"), update: setData("a", "2"),
			wantData: map[string]string{"a": "2", "b": "1"}, wantCalls: 2},
		{name: "precondition on the current version", other: setData("b", "1"), update: setData("a", "2"),
			precond:  func(rv string) *storage.Preconditions { return &storage.Preconditions{ResourceVersion: &rv} },
			wantData: map[string]string{"a": "2", "b": "1"}, wantCalls: 2},
		{name: "nothing to write answers the current object", other: setData("b", "1"), update: unchanged,
			wantData: map[string]string{"a": "1", "b": "1"}, wantCalls: 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := storage.Key{Namespace: "default", Name: string(rune('a' + i))}
			if err := a.Create(t.Context(), k, configMap("default", k.Name, map[string]string{"a": "1"}), &corev1.ConfigMap{}); err != nil {
				t.Fatal(err)
			}
			otherRV := ""
			if tt.other != nil {
				out := &corev1.ConfigMap{}
				if err := b.GuaranteedUpdate(t.Context(), k, out, storage.UpdateOptions{}, tt.other); err != nil {
					t.Fatal(err)
				}
				otherRV = out.ResourceVersion
			}
			opts := storage.UpdateOptions{}
			if tt.precond != nil {
				opts.Preconditions = tt.precond(otherRV)
			}
			calls.Store(0)
			out := &corev1.ConfigMap{}
			if err := a.GuaranteedUpdate(t.Context(), k, out, opts, tt.update); err != nil {
				t.Fatal(err)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("etcd requests = %d, want %d", got, tt.wantCalls)
			}
			stored := &corev1.ConfigMap{}
			if err := b.Get(t.Context(), k, storage.GetOptions{}, stored); err != nil {
				t.Fatal(err)
			}
			for _, got := range []*corev1.ConfigMap{out, stored} {
				if len(got.Data) != len(tt.wantData) || got.ResourceVersion != stored.ResourceVersion {
					t.Fatalf("object = %v at %s, want %v at %s", got.Data, got.ResourceVersion, tt.wantData, stored.ResourceVersion)
				}
				for key, v := range tt.wantData {
					if got.Data[key] != v {
						t.Fatalf("object = %v, want %v", got.Data, tt.wantData)
					}
				}
			}
		})
	}
}
