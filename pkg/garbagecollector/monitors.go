package garbagecollector

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"

	"github.com/apiserver/apiserver/pkg/controller"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// monitor follows one resource with a client-go informer over its storage,
// and feeds the graph.
type monitor struct {
	// kind is the kind of the resource's objects.
	kind     schema.GroupKind
	informer cache.Controller
	cancel   context.CancelFunc
	done     chan struct{}
}

// monitors keeps one monitor per resource of the catalog that the collector
// can follow (read, list, watch, update and delete).
type monitors struct {
	c  *Collector
	mu sync.Mutex
	by map[schema.GroupResource]*monitor
	// initial are the monitors started before the workers.
	initial []*monitor
	started chan struct{}
}

func newMonitors(c *Collector) *monitors {
	return &monitors{c: c, by: map[schema.GroupResource]*monitor{}, started: make(chan struct{})}
}

// run starts and stops monitors as the catalog changes, until ctx ends.
func (m *monitors) run(ctx context.Context) {
	defer m.stopAll()
	first := true
	for {
		changed := m.c.catalog.Changed()
		m.sync(ctx)
		if first {
			m.mu.Lock()
			for _, mon := range m.by {
				m.initial = append(m.initial, mon)
			}
			m.mu.Unlock()
			close(m.started)
			first = false
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

// waitForSync waits for the monitors of the resources served at start to
// hold every object; false if ctx ended first.
func (m *monitors) waitForSync(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-m.started:
	}
	synced := make([]cache.InformerSynced, 0, len(m.initial))
	for _, mon := range m.initial {
		synced = append(synced, mon.informer.HasSynced)
	}
	return controller.WaitForSync(ctx, synced...)
}

func (m *monitors) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.by)
}

// sync starts a monitor for each followable resource without one, and
// stops those of resources no longer served. A resource served by new
// storage (a CRD's new generation) keeps its monitor: the old storage
// reads the same keys, and a new informer would start with a graph that
// still holds what was deleted meanwhile, never to be removed.
func (m *monitors) sync(ctx context.Context) {
	want := map[schema.GroupResource]rest.Resource{}
	for _, r := range m.c.catalog.Resources() {
		if followable(r.Storage) {
			want[r.Info.GroupResource()] = r
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for gr, mon := range m.by {
		if _, ok := want[gr]; !ok {
			mon.stop()
			delete(m.by, gr)
			// Its objects are gone with it (a CRD is deleted once they
			// are), whether or not their deletions reached the monitor
			// before it stopped: an owner of its kind is gone while no
			// resource serves that kind.
			m.c.kindRemoved(mon.kind)
			m.c.apply(m.c.graph.removeResource(gr))
		}
	}
	for gr, r := range want {
		if _, ok := m.by[gr]; !ok {
			m.by[gr] = m.start(ctx, gr, r.Storage)
			m.by[gr].kind = r.Info.GroupVersionKind().GroupKind()
		}
	}
}

func (m *monitors) stopAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for gr, mon := range m.by {
		mon.stop()
		delete(m.by, gr)
	}
}

func (mon *monitor) stop() {
	mon.cancel()
	<-mon.done
}

// followable reports whether the collector can follow and act on s.
func followable(s rest.Storage) bool {
	_, l := s.(rest.Lister)
	_, w := s.(rest.Watcher)
	_, g := s.(rest.Getter)
	_, u := s.(rest.Updater)
	_, d := s.(rest.GracefulDeleter)
	return l && w && g && u && d
}

// start runs an informer on s until it is stopped. It is client-go's plain
// informer, which calls the handler from its own loop: a shared informer
// adds a distribution goroutine and a buffer per handler, about 5 MB over
// every resource of a server at ready (docs/benchmarks.md), for one
// handler that only updates the graph.
func (m *monitors) start(ctx context.Context, gr schema.GroupResource, s rest.Storage) *monitor {
	lw, _ := rest.ListWatch(s) // followable checked it lists and watches
	handle := func(obj any) {
		if id, om, ok := identify(gr, obj); ok {
			m.c.apply(m.c.graph.upsert(newNode(id, om)))
		}
	}
	_, inf := cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: lw,
		ObjectType:    s.New(),
		// The graph needs metadata only; the informer's own cache need
		// not hold whole objects (Secrets, large ConfigMaps) either.
		Transform: metadataOnly,
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    handle,
			UpdateFunc: func(_, obj any) { handle(obj) },
			DeleteFunc: func(obj any) {
				if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
					obj = d.Obj
				}
				if id, _, ok := identify(gr, obj); ok {
					m.c.apply(m.c.graph.remove(id))
				}
			},
		},
	})
	ctx, cancel := context.WithCancel(ctx)
	mon := &monitor{informer: inf, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(mon.done)
		inf.RunWithContext(ctx)
	}()
	return mon
}

// metadataOnly keeps what the graph reads of an object.
func metadataOnly(obj any) (any, error) {
	if _, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return obj, nil
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return obj, nil
	}
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{
		Name:              m.GetName(),
		Namespace:         m.GetNamespace(),
		UID:               m.GetUID(),
		ResourceVersion:   m.GetResourceVersion(),
		DeletionTimestamp: m.GetDeletionTimestamp(),
		Finalizers:        m.GetFinalizers(),
		OwnerReferences:   m.GetOwnerReferences(),
	}}, nil
}

// identify returns the identity and metadata of an informer's object.
func identify(gr schema.GroupResource, obj any) (objectID, metav1.Object, bool) {
	m, err := meta.Accessor(obj)
	if err != nil || m.GetUID() == "" {
		return objectID{}, nil, false
	}
	return objectID{Resource: gr, Namespace: m.GetNamespace(), Name: m.GetName(), UID: m.GetUID()}, m, true
}
