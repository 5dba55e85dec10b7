package cacher_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/cacher"
)

// casInput and casOutput are one operation on a register: a read, or a
// compare-and-swap from expect to next that happened or was refused.
type casInput struct {
	read         bool
	expect, next string
}

type casOutput struct {
	value string
	done  bool
}

var registerModel = porcupine.Model{
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in, out, cur := input.(casInput), output.(casOutput), state.(string)
		switch {
		case in.read:
			return out.value == cur, cur
		case out.done:
			return cur == in.expect, in.next
		default:
			return cur != in.expect, cur
		}
	},
}

var errChanged = errors.New("the register changed")

// TestConsistentReadsLinearizable: consistent gets and lists served by the
// cache, while compare-and-swaps go through the cache and through a store
// beside it (another replica) and writes elsewhere move etcd's revision,
// form a linearizable history of every register (porcupine).
func TestConsistentReadsLinearizable(t *testing.T) {
	newStore := embeddedStores(t)
	cached, replica, elsewhere := newStore(configMaps), newStore(configMaps), newStore(schema.GroupResource{Resource: "others"})
	c := cacher.New(cacher.Config{Storage: cached, Keys: cached.Keys(), Resource: configMaps, NewFunc: newConfigMap, NewListFunc: newConfigMapList})
	defer c.Stop()
	const registers, clients, opsPerClient = 3, 6, 150
	names := make([]string, registers)
	for i := range names {
		names[i] = fmt.Sprintf("r%d", i)
		obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: names[i]}, Data: map[string]string{"v": ""}}
		if err := c.Create(t.Context(), storage.Key{Namespace: "ns", Name: names[i]}, obj, &corev1.ConfigMap{}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	var mu sync.Mutex
	history := map[string][]porcupine.Operation{}
	record := func(name string, op porcupine.Operation) {
		mu.Lock()
		history[name] = append(history[name], op)
		mu.Unlock()
	}
	var seq atomic.Int64
	var wg sync.WaitGroup
	for client := range clients {
		wg.Go(func() {
			for range opsPerClient {
				name := names[rand.IntN(registers)]
				key := storage.Key{Namespace: "ns", Name: name}
				switch op := rand.IntN(5); {
				case op == 0: // a consistent list
					call := now()
					list := &corev1.ConfigMapList{}
					if err := c.GetList(t.Context(), storage.Key{Namespace: "ns"}, storage.ListOptions{Recursive: true}, list); err != nil {
						t.Error(err)
						return
					}
					ret := now()
					for _, cm := range list.Items {
						record(cm.Name, porcupine.Operation{ClientId: client, Input: casInput{read: true}, Call: call, Output: casOutput{value: cm.Data["v"]}, Return: ret})
					}
				case op == 1: // a consistent get
					call := now()
					cm := &corev1.ConfigMap{}
					if err := c.Get(t.Context(), key, storage.GetOptions{}, cm); err != nil {
						t.Error(err)
						return
					}
					record(name, porcupine.Operation{ClientId: client, Input: casInput{read: true}, Call: call, Output: casOutput{value: cm.Data["v"]}, Return: now()})
				case op == 2: // a write elsewhere
					other := fmt.Sprintf("o%d", seq.Add(1))
					obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: other}}
					if err := elsewhere.Create(t.Context(), storage.Key{Namespace: "ns", Name: other}, obj, &corev1.ConfigMap{}); err != nil {
						t.Error(err)
						return
					}
				default: // a compare-and-swap from the value a consistent get read
					cm := &corev1.ConfigMap{}
					call := now()
					if err := c.Get(t.Context(), key, storage.GetOptions{}, cm); err != nil {
						t.Error(err)
						return
					}
					record(name, porcupine.Operation{ClientId: client, Input: casInput{read: true}, Call: call, Output: casOutput{value: cm.Data["v"]}, Return: now()})
					expect, next := cm.Data["v"], fmt.Sprintf("c%d-%d", client, seq.Add(1))
					var s storage.Interface = c
					if op == 4 {
						s = replica
					}
					call = now()
					err := s.GuaranteedUpdate(t.Context(), key, &corev1.ConfigMap{}, storage.UpdateOptions{}, func(in runtime.Object) (runtime.Object, error) {
						cur := in.(*corev1.ConfigMap)
						if cur.Data["v"] != expect {
							return nil, errChanged
						}
						out := cur.DeepCopy()
						out.Data = map[string]string{"v": next}
						return out, nil
					})
					if err != nil && !errors.Is(err, errChanged) {
						t.Error(err)
						return
					}
					record(name, porcupine.Operation{ClientId: client, Input: casInput{expect: expect, next: next}, Call: call, Output: casOutput{done: err == nil}, Return: now()})
				}
			}
		})
	}
	wg.Wait()
	for name, ops := range history {
		if res := porcupine.CheckOperationsTimeout(registerModel, ops, 30*time.Second); res != porcupine.Ok {
			t.Errorf("%s: the history of %d operations is %s", name, len(ops), res)
		}
	}
}
