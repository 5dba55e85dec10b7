package controlplane

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/registry/core/namespace"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// namespaceResource declares namespaces, with /status (status only) and
// /finalize (spec.finalizers only) over the namespaces' own storage.
func (api *CoreAPI) namespaceResource(backend *etcd3.Backend, admit admission.Interface) (rest.Resource, error) {
	t := namespace.Type()
	t.Strategy = namespaceLifecycle{t.Strategy}
	var err error
	if api.Namespaces, err = generic.NewStore(backend, t, admit, ""); err != nil {
		return rest.Resource{}, err
	}
	decl := api.Namespaces.Declaration()
	for _, sub := range []struct {
		name     string
		strategy rest.Strategy
		verbs    []string
	}{
		{"finalize", namespace.FinalizeStrategy(), []string{"update"}},
		{"status", namespace.StatusStrategy(), []string{"get", "patch", "update"}},
	} {
		st := namespace.Type()
		st.Strategy = namespaceLifecycle{sub.strategy}
		store, err := generic.NewStore(backend, st, admit, sub.name)
		if err != nil {
			return rest.Resource{}, err
		}
		if sub.name == "finalize" {
			api.finalizeStore = store
		}
		decl.Subresources = append(decl.Subresources, rest.Subresource{Name: sub.name, Storage: store, Verbs: sub.verbs})
	}
	return decl, nil
}

func namespacePending(obj runtime.Object) bool {
	n, ok := obj.(*corev1.Namespace)
	return ok && len(n.Spec.Finalizers) > 0
}

// finalizeNamespaces watches namespaces and, for each one being deleted,
// deletes its content and then removes its "kubernetes" finalizer, which
// deletes it. It runs until ctx ends, recovering from lost watches; after a
// restart the initial list finds namespaces left Terminating.
func (api *CoreAPI) finalizeNamespaces(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	var mu sync.Mutex
	active := map[string]bool{}
	start := func(name string, uid types.UID) {
		mu.Lock()
		defer mu.Unlock()
		if active[name] {
			return
		}
		active[name] = true
		wg.Go(func() {
			api.finalizeNamespace(ctx, name, uid)
			mu.Lock()
			delete(active, name)
			mu.Unlock()
		})
	}
	for ctx.Err() == nil {
		w, err := api.Namespaces.Watch(ctx, "", &metav1.ListOptions{})
		if err != nil {
			klog.ErrorS(err, "Watching namespaces failed; retrying")
			sleep(ctx, time.Second)
			continue
		}
		for ev := range w.ResultChan() {
			ns, ok := ev.Object.(*corev1.Namespace)
			if ok && ev.Type != watch.Deleted && ns.DeletionTimestamp != nil && slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
				start(ns.Name, ns.UID)
			}
		}
		w.Stop()
		sleep(ctx, 100*time.Millisecond)
	}
}

// finalizeNamespace empties namespace name and removes its finalizer.
func (api *CoreAPI) finalizeNamespace(ctx context.Context, name string, uid types.UID) {
	logger := klog.FromContext(ctx).WithValues("namespace", name)
	for backoff := 100 * time.Millisecond; ctx.Err() == nil; backoff = min(2*backoff, 5*time.Second) {
		// The event may be old (this replica was paused, the namespace
		// deleted and created again through another): empty only the
		// namespace a fresh quorum read shows being deleted.
		if deleting, err := api.stillDeleting(ctx, name, uid); err != nil || !deleting {
			if err != nil {
				logger.Error(err, "Reading the namespace failed; retrying")
				sleep(ctx, backoff)
				continue
			}
			return
		}
		empty, err := api.deleteContent(ctx, name)
		if err != nil {
			logger.Error(err, "Deleting namespace content failed; retrying")
		}
		if err == nil && empty {
			break
		}
		sleep(ctx, backoff)
	}
	if ctx.Err() != nil {
		return
	}
	finalize := api.finalizeStore
	_, _, err := finalize.Update(ctx, "", name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil || current.(*corev1.Namespace).UID != uid {
			// Gone, or another namespace of the same name: not ours.
			return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
		}
		n := current.(*corev1.Namespace).DeepCopy()
		n.Spec.Finalizers = slices.DeleteFunc(n.Spec.Finalizers, func(f corev1.FinalizerName) bool { return f == corev1.FinalizerKubernetes })
		return n, nil
	}, false, false)
	if err != nil && !apierrors.IsNotFound(err) {
		logger.Error(err, "Removing the namespace finalizer failed")
		return
	}
	logger.V(2).Info("Namespace finalized")
}

// stillDeleting reports whether namespace name, of uid, exists and is being
// deleted, on a quorum read.
func (api *CoreAPI) stillDeleting(ctx context.Context, name string, uid types.UID) (bool, error) {
	obj, err := api.Namespaces.Get(ctx, "", name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ns := obj.(*corev1.Namespace)
	return ns.UID == uid && ns.DeletionTimestamp != nil, nil
}

// deleteContent deletes every object in the namespace and reports whether
// none is left (objects with finalizers may linger).
func (api *CoreAPI) deleteContent(ctx context.Context, ns string) (bool, error) {
	empty := true
	for _, r := range api.Catalog.Namespaced() {
		deleter, ok1 := r.Storage.(rest.CollectionDeleter)
		lister, ok2 := r.Storage.(rest.Lister)
		if !ok1 || !ok2 {
			continue // virtual resources (reviews) keep nothing
		}
		list, err := deleter.DeleteCollection(ctx, ns, &metav1.ListOptions{}, &metav1.DeleteOptions{}, false)
		if apierrors.IsNotFound(err) {
			continue // a custom resource whose definition went meanwhile
		}
		if err != nil {
			return false, fmt.Errorf("deleting %s: %w", r.Info.GroupResource(), err)
		}
		// What DeleteCollection returns was deleted or only marked (it
		// has finalizers); only the marked ones are still there.
		if meta.LenList(list) > 0 {
			left, err := lister.List(ctx, ns, &metav1.ListOptions{Limit: 1})
			if err != nil {
				return false, err
			}
			empty = empty && meta.LenList(left) == 0
		}
	}
	return empty, nil
}

// namespaceLifecycle adds the namespace's spec.finalizers to its strategy:
// deleting a namespace marks it Terminating until they are removed.
type namespaceLifecycle struct{ rest.Strategy }

func (namespaceLifecycle) Pending(obj runtime.Object) bool { return namespacePending(obj) }

func (namespaceLifecycle) MarkDeleting(obj runtime.Object) {
	if n, ok := obj.(*corev1.Namespace); ok {
		n.Status.Phase = corev1.NamespaceTerminating
	}
}
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
