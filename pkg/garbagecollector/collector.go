package garbagecollector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/lru"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/controller"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Workers is how many decisions the collector takes at once: each is a few
// etcd round trips, so a few workers keep a 2-CPU server busy.
const Workers = 8

// absentOwners bounds the cache of owners known to be gone.
const absentOwners = 8192

// action is what a queued decision is about.
type action int

const (
	// collect deletes the object if none of its owners is left.
	collect action = iota
	// foreground removes the foregroundDeletion finalizer of an owner once
	// no dependent blocks it, after starting the deletion of them all.
	foreground
	// orphan removes the owner from its dependents' ownerReferences, then
	// its orphan finalizer.
	orphan
)

func (a action) String() string {
	return [...]string{"collect", "foreground", "orphan"}[a]
}

// item is one queued decision.
type item struct {
	action action
	id     objectID
}

// Collector is the garbage collector of the resources of one catalog.
type Collector struct {
	catalog *rest.Catalog
	graph   *graph
	queue   controller.Queue[item]
	// absent holds the owners (namespace and UID) a fresh read found gone:
	// a UID is never reused, so they stay gone, and the thousand
	// dependents of one deleted owner need to read it once.
	absent *lru.Cache
	// removedKinds are the kinds whose resource stopped being served while
	// the collector followed it (a CRD deleted, after its objects): while
	// no resource serves such a kind, its owners are gone.
	removedKinds sync.Map // schema.GroupKind → struct{}
	// recorded remembers the dependents already given an invalid-reference
	// event, so that retries do not repeat it.
	recorded *lru.Cache
}

// New returns the collector of the resources of catalog.
func New(catalog *rest.Catalog) *Collector {
	return &Collector{
		catalog:  catalog,
		graph:    newGraph(),
		queue:    controller.NewQueue[item]("garbage-collector", 50*time.Millisecond, 30*time.Second),
		absent:   lru.New(absentOwners),
		recorded: lru.New(absentOwners),
	}
}

// Run follows the catalog's resources and collects until ctx ends. Workers
// start once the graph holds every object of the resources served at start,
// so that a foreground deletion does not miss dependents it has not seen.
func (c *Collector) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	defer c.queue.ShutDown()
	m := newMonitors(c)
	wg.Go(func() { m.run(ctx) })
	if !m.waitForSync(ctx) {
		return
	}
	klog.FromContext(ctx).V(2).Info("Garbage collector synced", "resources", m.count())
	for range Workers {
		wg.Go(func() {
			for c.processNext(ctx) {
			}
		})
	}
	<-ctx.Done()
}

// apply queues what a change of the graph calls for.
func (c *Collector) apply(ch change) {
	for _, id := range ch.check {
		c.queue.Add(item{collect, id})
	}
	for _, id := range ch.foreground {
		c.queue.Add(item{foreground, id})
	}
	for _, id := range ch.orphan {
		c.queue.Add(item{orphan, id})
	}
}

func (c *Collector) processNext(ctx context.Context) bool {
	return controller.ProcessNext(ctx, c.queue, c.act, func(it item, err error) {
		klog.FromContext(ctx).V(2).Info("Garbage collection will retry", "action", it.action, "resource", it.id.Resource, "namespace", it.id.Namespace, "name", it.id.Name, "err", err)
	})
}

// act does what it says to its object.
func (c *Collector) act(ctx context.Context, it item) error {
	switch it.action {
	case collect:
		return c.collect(ctx, it.id)
	case foreground:
		return c.deleteDependents(ctx, it.id)
	case orphan:
		return c.orphanDependents(ctx, it.id)
	}
	return nil
}

// errUnresolvable: a cluster-scoped object names a namespaced owner, which
// cannot be: the reference is never resolved, nor retried.
var errUnresolvable = errors.New("a cluster-scoped object cannot have a namespaced owner")

// ownerState is what a fresh read says of one owner.
type ownerState int

const (
	// solid: the owner exists and is not waiting for its dependents.
	solid ownerState = iota
	// dangling: the owner is gone (or another object has its name).
	dangling
	// waiting: the owner is being deleted in the foreground.
	waiting
)

// collect takes the decision kube-controller-manager's collector takes for
// a dependent: delete it when no owner is left, remove references to owners
// that are gone when some are left, and delete it in the foreground when
// its only owners wait for it while it has dependents of its own.
func (c *Collector) collect(ctx context.Context, id objectID) error {
	obj, m, err := c.get(ctx, id)
	if obj == nil || err != nil {
		return err
	}
	if m.GetDeletionTimestamp() != nil {
		if slices.Contains(m.GetFinalizers(), metav1.FinalizerDeleteDependents) {
			return c.deleteDependents(ctx, id)
		}
		return nil
	}
	refs := m.GetOwnerReferences()
	if len(refs) == 0 {
		return nil
	}
	var solidRefs, goneRefs, waitingRefs []metav1.OwnerReference
	for _, ref := range refs {
		state, err := c.ownerState(ctx, id, ref)
		if errors.Is(err, errUnresolvable) {
			c.recordInvalid(ctx, id, ref, fmt.Sprintf("ownerRef %s is namespaced, and cannot be the owner of the cluster-scoped %s", describe(ref, id.Namespace), id.Name))
			return nil
		}
		if err != nil {
			return err
		}
		switch state {
		case solid:
			solidRefs = append(solidRefs, ref)
		case dangling:
			goneRefs = append(goneRefs, ref)
		case waiting:
			waitingRefs = append(waitingRefs, ref)
		}
	}
	log := klog.FromContext(ctx).WithValues("resource", id.Resource, "namespace", id.Namespace, "name", id.Name)
	switch {
	case len(solidRefs) > 0:
		if len(goneRefs)+len(waitingRefs) == 0 {
			return nil
		}
		// Owners are left: only the references to those gone or going
		// are dropped.
		drop := map[types.UID]bool{}
		for _, ref := range append(goneRefs, waitingRefs...) {
			drop[ref.UID] = true
		}
		log.V(2).Info("Removing references to owners that are gone", "owners", len(drop))
		return c.rewrite(ctx, id, func(m metav1.Object) bool {
			refs := m.GetOwnerReferences()
			kept := slices.DeleteFunc(slices.Clone(refs), func(r metav1.OwnerReference) bool { return drop[r.UID] })
			m.SetOwnerReferences(kept)
			return len(kept) != len(refs)
		})
	case len(waitingRefs) > 0 && c.graph.hasDependents(id.UID):
		// Its owners wait for it and it has dependents of its own: it is
		// deleted in the foreground too, and stops blocking them, so that
		// the chain cannot wait on itself.
		err := c.rewrite(ctx, id, func(m metav1.Object) bool {
			refs := m.GetOwnerReferences()
			changed := false
			for i := range refs {
				if blocks(refs[i]) && slices.ContainsFunc(waitingRefs, func(w metav1.OwnerReference) bool { return w.UID == refs[i].UID }) {
					refs[i].BlockOwnerDeletion = ptr.To(false)
					changed = true
				}
			}
			m.SetOwnerReferences(refs)
			return changed
		})
		if err != nil {
			return err
		}
		log.V(2).Info("Deleting a dependent in the foreground")
		return c.delete(ctx, id, "", metav1.DeletePropagationForeground)
	default:
		policy := metav1.DeletePropagationBackground
		switch {
		case slices.Contains(m.GetFinalizers(), metav1.FinalizerOrphanDependents):
			policy = metav1.DeletePropagationOrphan
		case slices.Contains(m.GetFinalizers(), metav1.FinalizerDeleteDependents):
			policy = metav1.DeletePropagationForeground
		}
		log.V(2).Info("Deleting an object whose owners are gone", "propagationPolicy", policy)
		// Pinned to the state the owners were judged on: an orphaning
		// owner may have dropped its reference (and then gone) between
		// the two reads, which leaves the object an orphan to keep.
		return c.delete(ctx, id, m.GetResourceVersion(), policy)
	}
}

// ownerState reads the owner ref names for dependent id. A namespaced owner
// is looked for in the dependent's namespace only: ownerReferences do not
// cross namespaces, and one that seems to is a reference to an owner that
// does not exist (with a warning event on the dependent), as on kube.
func (c *Collector) ownerState(ctx context.Context, id objectID, ref metav1.OwnerReference) (ownerState, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return 0, fmt.Errorf("ownerReference %s: %w", describe(ref, id.Namespace), err)
	}
	r, ok := c.catalog.ResourceOf(gv.WithKind(ref.Kind))
	if !ok {
		if _, removed := c.removedKinds.Load(schema.GroupKind{Group: gv.Group, Kind: ref.Kind}); removed {
			return dangling, nil
		}
		return 0, fmt.Errorf("ownerReference %s: no resource serves that kind", describe(ref, id.Namespace))
	}
	getter, ok := r.Storage.(rest.Getter)
	if !ok {
		return 0, fmt.Errorf("ownerReference %s: the resource cannot be read", describe(ref, id.Namespace))
	}
	ns := ""
	if r.Info.Namespaced {
		if id.Namespace == "" {
			return 0, errUnresolvable
		}
		ns = id.Namespace
	}
	absentKey := ns + "/" + string(ref.UID)
	if _, ok := c.absent.Get(absentKey); ok {
		return dangling, nil
	}
	obj, err := getter.Get(ctx, ns, ref.Name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		c.ownerGone(ctx, id, ref, absentKey)
		return dangling, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading owner %s: %w", describe(ref, id.Namespace), err)
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return 0, err
	}
	if m.GetUID() != ref.UID {
		c.ownerGone(ctx, id, ref, absentKey)
		return dangling, nil
	}
	if m.GetDeletionTimestamp() != nil && slices.Contains(m.GetFinalizers(), metav1.FinalizerDeleteDependents) {
		return waiting, nil
	}
	return solid, nil
}

// kindRemoved records that no resource serves kind any more.
func (c *Collector) kindRemoved(kind schema.GroupKind) { c.removedKinds.Store(kind, struct{}{}) }

// ownerGone records that the owner ref of id is gone, and warns when the
// owner exists in another namespace.
func (c *Collector) ownerGone(ctx context.Context, id objectID, ref metav1.OwnerReference, absentKey string) {
	c.absent.Add(absentKey, true)
	if other, ok := c.graph.lookup(ref.UID); ok && other.Namespace != "" && other.Namespace != id.Namespace {
		c.recordInvalid(ctx, id, ref, fmt.Sprintf("ownerRef %s does not exist in namespace %q", describe(ref, id.Namespace), id.Namespace))
	}
}

// deleteDependents drives the foreground deletion of owner: every dependent
// is collected (it is no longer held by this owner), and once none blocks
// the owner its foregroundDeletion finalizer goes, which deletes it when
// it was the last finalizer.
func (c *Collector) deleteDependents(ctx context.Context, id objectID) error {
	_, m, err := c.get(ctx, id)
	if m == nil || err != nil {
		return err
	}
	if m.GetDeletionTimestamp() == nil || !slices.Contains(m.GetFinalizers(), metav1.FinalizerDeleteDependents) {
		return nil
	}
	if blocking := c.graph.blocking(id.UID); len(blocking) > 0 {
		for _, dep := range c.graph.dependents(id.UID) {
			c.queue.Add(item{collect, dep})
		}
		// Looked at again as each blocking dependent goes.
		return nil
	}
	klog.FromContext(ctx).V(2).Info("Dependents deleted; finishing a foreground deletion", "resource", id.Resource, "namespace", id.Namespace, "name", id.Name)
	return c.removeFinalizer(ctx, id, metav1.FinalizerDeleteDependents)
}

// orphanDependents removes owner from the ownerReferences of every
// dependent, then its orphan finalizer.
func (c *Collector) orphanDependents(ctx context.Context, id objectID) error {
	_, m, err := c.get(ctx, id)
	if m == nil || err != nil {
		return err
	}
	if m.GetDeletionTimestamp() == nil || !slices.Contains(m.GetFinalizers(), metav1.FinalizerOrphanDependents) {
		return nil
	}
	for _, dep := range c.graph.dependents(id.UID) {
		err := c.rewrite(ctx, dep, func(m metav1.Object) bool {
			refs := m.GetOwnerReferences()
			kept := slices.DeleteFunc(slices.Clone(refs), func(r metav1.OwnerReference) bool { return r.UID == id.UID })
			m.SetOwnerReferences(kept)
			return len(kept) != len(refs)
		})
		if err != nil {
			return fmt.Errorf("orphaning %s %s/%s: %w", dep.Resource, dep.Namespace, dep.Name, err)
		}
	}
	klog.FromContext(ctx).V(2).Info("Dependents orphaned", "resource", id.Resource, "namespace", id.Namespace, "name", id.Name)
	return c.removeFinalizer(ctx, id, metav1.FinalizerOrphanDependents)
}

// resource returns the served declaration of the objects of id.
func (c *Collector) resource(id objectID) (rest.Resource, error) {
	r, ok := c.catalog.Resource(id.Resource)
	if !ok {
		return rest.Resource{}, fmt.Errorf("%s is no longer served", id.Resource)
	}
	return r, nil
}

// get reads the object of id afresh: nil when it is gone, or when the name
// is now another object's.
func (c *Collector) get(ctx context.Context, id objectID) (runtime.Object, metav1.Object, error) {
	r, err := c.resource(id)
	if err != nil {
		return nil, nil, nil // gone with its resource
	}
	getter, ok := r.Storage.(rest.Getter)
	if !ok {
		return nil, nil, nil
	}
	obj, err := getter.Get(ctx, id.Namespace, id.Name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil, err
	}
	if m.GetUID() != id.UID {
		return nil, nil, nil
	}
	return obj, m, nil
}

// delete deletes the object of id, if it is still that object and, when
// resourceVersion is set, still in that state; a changed state is an error
// so that the decision is taken again on the new one.
func (c *Collector) delete(ctx context.Context, id objectID, resourceVersion string, policy metav1.DeletionPropagation) error {
	r, err := c.resource(id)
	if err != nil {
		return nil
	}
	deleter, ok := r.Storage.(rest.GracefulDeleter)
	if !ok {
		return fmt.Errorf("%s cannot be deleted", id.Resource)
	}
	uid := id.UID
	pre := &metav1.Preconditions{UID: &uid}
	if resourceVersion != "" {
		pre.ResourceVersion = &resourceVersion
	}
	_, _, err = deleter.Delete(ctx, id.Namespace, id.Name, &metav1.DeleteOptions{
		Preconditions:     pre,
		PropagationPolicy: &policy,
	}, false)
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case apierrors.IsConflict(err) && resourceVersion != "":
		return fmt.Errorf("changed since its owners were read: %w", err)
	case apierrors.IsConflict(err): // the name is another object's
		return nil
	}
	return err
}

// rewrite changes the object of id with edit, on its current state, if it is
// still that object; edit reports whether it changed anything.
func (c *Collector) rewrite(ctx context.Context, id objectID, edit func(metav1.Object) bool) error {
	r, err := c.resource(id)
	if err != nil {
		return nil
	}
	updater, ok := r.Storage.(rest.Updater)
	if !ok {
		return fmt.Errorf("%s cannot be updated", id.Resource)
	}
	errUnchanged := errors.New("unchanged")
	_, _, err = updater.Update(ctx, id.Namespace, id.Name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(id.Resource, id.Name)
		}
		obj := current.DeepCopyObject()
		m, err := meta.Accessor(obj)
		if err != nil {
			return nil, err
		}
		if m.GetUID() != id.UID {
			return nil, apierrors.NewNotFound(id.Resource, id.Name)
		}
		if !edit(m) {
			return nil, errUnchanged
		}
		return obj, nil
	}, false, false)
	if errors.Is(err, errUnchanged) || apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// removeFinalizer removes finalizer from the object of id.
func (c *Collector) removeFinalizer(ctx context.Context, id objectID, finalizer string) error {
	return c.rewrite(ctx, id, func(m metav1.Object) bool {
		f := m.GetFinalizers()
		kept := slices.DeleteFunc(slices.Clone(f), func(s string) bool { return s == finalizer })
		m.SetFinalizers(kept)
		return len(kept) != len(f)
	})
}

// recordInvalid writes a Warning event OwnerRefInvalidNamespace on the
// dependent id, as kube-controller-manager's collector does, once per
// dependent and owner.
func (c *Collector) recordInvalid(ctx context.Context, id objectID, ref metav1.OwnerReference, message string) {
	key := string(id.UID) + "/" + string(ref.UID)
	if _, done := c.recorded.Get(key); done {
		return
	}
	c.recorded.Add(key, true)
	log := klog.FromContext(ctx)
	log.Info("Invalid ownerReference", "resource", id.Resource, "namespace", id.Namespace, "name", id.Name, "message", message)
	r, ok := c.catalog.ResourceOf(corev1.SchemeGroupVersion.WithKind("Event"))
	if !ok {
		return
	}
	creater, ok := r.Storage.(rest.Creater)
	if !ok {
		return
	}
	ns := id.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	kind, apiVersion := c.kindOf(id)
	now := metav1.NewTime(time.Now())
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: id.Name + ".", Namespace: ns},
		InvolvedObject: corev1.ObjectReference{
			Kind: kind, APIVersion: apiVersion, Namespace: id.Namespace, Name: id.Name, UID: id.UID,
		},
		Reason:         "OwnerRefInvalidNamespace",
		Message:        message,
		Type:           corev1.EventTypeWarning,
		Source:         corev1.EventSource{Component: "garbage-collector-controller"},
		FirstTimestamp: now,
		LastTimestamp:  now,
		Count:          1,
	}
	if _, err := creater.Create(ctx, ns, ev, false); err != nil {
		log.V(2).Info("Recording an event failed", "err", err)
	}
}

// kindOf returns the kind and apiVersion of the objects of id.
func (c *Collector) kindOf(id objectID) (kind, apiVersion string) {
	r, err := c.resource(id)
	if err != nil {
		return "", ""
	}
	return r.Info.Kind, r.Info.GroupVersion().String()
}

// describe prints an ownerReference, looked for in namespace ns, as kube's
// collector does in messages.
func describe(ref metav1.OwnerReference, ns string) string {
	return fmt.Sprintf("[%s/%s, namespace: %s, name: %s, uid: %s]", ref.APIVersion, ref.Kind, ns, ref.Name, ref.UID)
}
