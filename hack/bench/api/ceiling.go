package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/watch"

	apioptions "github.com/apiserver/apiserver/pkg/options"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
)

// ceilingBench runs the same phases straight against the storage layer:
// the etcd3 Store of configmaps over an embedded etcd in this process,
// configured by the apiserver's own etcd options (fsync on, the same tick,
// the same client), so only the HTTP, TLS, JSON and handler layers of the
// apiserver are missing.
type ceilingBench struct {
	o       options
	backend *etcd3.Backend
	store   *etcd3.Store
	rvs     []atomic.Pointer[string]
}

// startCeiling starts the embedded etcd with its data under dataDir, as
// the apiserver's --data-dir, and builds the store as generic.NewStore
// does.
func startCeiling(ctx context.Context, o options, dataDir string) (*ceilingBench, error) {
	c := &server.Config{DataDir: dataDir}
	if err := apioptions.NewEtcdOptions().ApplyTo(c); err != nil {
		return nil, err
	}
	backend, err := etcd3.OpenBackend(ctx, c.Storage, c.EmbeddedEtcd)
	if err != nil {
		return nil, fmt.Errorf("ceiling: %w", err)
	}
	info := corev1.SchemeGroupVersion.WithResource("configmaps").GroupResource()
	store, err := etcd3.New(etcd3.Config{
		Client: backend.Client(), Prefix: backend.Config().Prefix, Resource: info,
		NamespaceScoped: true, NewFunc: func() runtime.Object { return &corev1.ConfigMap{} },
	})
	if err != nil {
		backend.Close()
		return nil, err
	}
	return &ceilingBench{o: o, backend: backend, store: store, rvs: make([]atomic.Pointer[string], o.objects)}, nil
}

func (c *ceilingBench) close() { c.backend.Close() }

// cpu is the CPU time of this process: the embedded etcd, the store and the
// goroutines calling it. The API phases do not run at the same time.
func (c *ceilingBench) cpu() (time.Duration, error) { return harness.CPUTime("self") }

// newConfigMap is the object the apiserver would store for a create: the
// request's name and value, and the namespace, UID and creation time it
// fills in.
func newConfigMap(ns, name, value string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: uuid.NewUUID(), CreationTimestamp: metav1.Now()},
		Data:       map[string]string{"value": value},
	}
}

func (c *ceilingBench) create(ctx context.Context) (phaseResult, error) {
	value := objectValue(c.o.valueSize, 0)
	return drive(ctx, c.o.workers(), c.o.objects, c.cpu, func(ctx context.Context, _, i int) error {
		obj := newConfigMap(benchNamespace, objectName(i), value)
		if err := c.store.Create(ctx, storage.Key{Namespace: benchNamespace, Name: obj.Name}, obj, obj); err != nil {
			return err
		}
		rv := obj.ResourceVersion
		c.rvs[i].Store(&rv)
		return nil
	})
}

func (c *ceilingBench) get(ctx context.Context) (phaseResult, error) {
	return drive(ctx, c.o.workers(), c.o.gets, c.cpu, func(ctx context.Context, _, _ int) error {
		key := storage.Key{Namespace: benchNamespace, Name: objectName(rand.IntN(c.o.objects))}
		return c.store.Get(ctx, key, storage.GetOptions{}, &corev1.ConfigMap{})
	})
}

// update is a GuaranteedUpdate with the resourceVersion of the object's
// last write as a precondition and a new value, as the apiserver does for
// the PUT of the API phase.
func (c *ceilingBench) update(ctx context.Context) (phaseResult, error) {
	return drive(ctx, c.o.workers(), c.o.updates, c.cpu, func(ctx context.Context, _, i int) error {
		j := i % c.o.objects
		value := objectValue(c.o.valueSize, i/c.o.objects+1)
		out := &corev1.ConfigMap{}
		err := c.store.GuaranteedUpdate(ctx, storage.Key{Namespace: benchNamespace, Name: objectName(j)}, out,
			storage.UpdateOptions{Preconditions: &storage.Preconditions{ResourceVersion: c.rvs[j].Load()}},
			func(in runtime.Object) (runtime.Object, error) {
				cm := in.(*corev1.ConfigMap).DeepCopy()
				cm.Data = map[string]string{"value": value}
				return cm, nil
			})
		if err != nil {
			return err
		}
		rv := out.ResourceVersion
		c.rvs[j].Store(&rv)
		return nil
	})
}

func (c *ceilingBench) list(ctx context.Context) (phaseResult, error) {
	return drive(ctx, c.o.listClients, c.o.lists, c.cpu, func(ctx context.Context, _, _ int) error {
		list := &corev1.ConfigMapList{}
		if err := c.store.GetList(ctx, storage.Key{Namespace: benchNamespace}, storage.ListOptions{Recursive: true}, list); err != nil {
			return err
		}
		if len(list.Items) != c.o.objects {
			return fmt.Errorf("listed %d ConfigMaps, want %d", len(list.Items), c.o.objects)
		}
		return nil
	})
}

// watch starts -watchers store watches of the empty watch namespace from
// the resourceVersion of its list, then measures the delivery of
// -watch-creates creates.
func (c *ceilingBench) watch(ctx context.Context) (watchResult, error) {
	key := storage.Key{Namespace: watchNamespace}
	list := &corev1.ConfigMapList{}
	if err := c.store.GetList(ctx, key, storage.ListOptions{Recursive: true}, list); err != nil {
		return watchResult{}, err
	}
	r := newReceipts(c.o.watchers, c.o.watchCreates)
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil) // ends the watches, then wg.Wait returns
	for w := range c.o.watchers {
		wi, err := c.store.Watch(ctx, key, storage.ListOptions{ResourceVersion: list.ResourceVersion, Recursive: true})
		if err != nil {
			return watchResult{}, err
		}
		wg.Go(func() {
			defer wi.Stop()
			if err := readStoreWatch(ctx, wi, w, r); err != nil {
				cancel(fmt.Errorf("watcher %d: %w", w, err))
			}
		})
	}
	cpuBefore, err := c.cpu()
	if err != nil {
		return watchResult{}, err
	}
	value := objectValue(c.o.valueSize, 0)
	res, err := measureWatch(ctx, r, c.o.watchCreates, c.o.watchRate, func(ctx context.Context, i int) error {
		obj := newConfigMap(watchNamespace, watchName(i), value)
		return c.store.Create(ctx, storage.Key{Namespace: watchNamespace, Name: obj.Name}, obj, obj)
	})
	if err != nil {
		return res, err
	}
	cpuAfter, err := c.cpu()
	res.cpu = cpuAfter - cpuBefore
	return res, err
}

// readStoreWatch records when each event of one store watch arrived, until
// ctx ends.
func readStoreWatch(ctx context.Context, wi watch.Interface, w int, r *receipts) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-wi.ResultChan():
			t := time.Now()
			if !ok {
				return errors.New("the watch ended")
			}
			cm, isCM := ev.Object.(*corev1.ConfigMap)
			if ev.Type != watch.Added || !isCM {
				return fmt.Errorf("a %s event of %T", ev.Type, ev.Object)
			}
			if err := r.record(w, cm.Name, t); err != nil {
				return err
			}
		}
	}
}
