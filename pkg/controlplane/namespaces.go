package controlplane

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
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/controller"
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
// restart the initial list finds namespaces left Terminating. Names go
// through client-go's work queue: queued once however many events arrive,
// one worker, and a per-name exponential backoff while content lingers.
func (api *CoreAPI) finalizeNamespaces(ctx context.Context) {
	queue := controller.NewQueue[string]("namespace-finalizer", 100*time.Millisecond, 5*time.Second)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer queue.ShutDown()
	wg.Go(func() {
		controller.Run(ctx, queue, api.finalizeNamespace, func(name string, err error) {
			if !errors.Is(err, errContentLeft) {
				klog.ErrorS(err, "Finalizing a namespace failed; retrying", "namespace", name)
			}
		})
	})
	for ctx.Err() == nil {
		w, err := api.Namespaces.Watch(ctx, "", &metav1.ListOptions{})
		if err != nil {
			klog.ErrorS(err, "Watching namespaces failed; retrying")
			sleep(ctx, time.Second)
			continue
		}
		for ev := range w.ResultChan() {
			if ns, ok := ev.Object.(*corev1.Namespace); ok && ev.Type != watch.Deleted && ns.DeletionTimestamp != nil {
				queue.Add(ns.Name)
			}
		}
		w.Stop()
		sleep(ctx, 100*time.Millisecond)
	}
}

// errContentLeft: objects with finalizers of their own are still in the
// namespace.
var errContentLeft = errors.New("namespace content still being deleted")

// finalizeNamespace empties namespace name and removes its finalizer, if a
// fresh quorum read shows it being deleted: an event may be old (this
// replica was paused, the namespace deleted and created again through
// another), and only the namespace read is emptied.
func (api *CoreAPI) finalizeNamespace(ctx context.Context, name string) error {
	obj, err := api.Namespaces.Get(ctx, "", name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	ns := obj.(*corev1.Namespace)
	if ns.DeletionTimestamp == nil || !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
		return nil
	}
	empty, err := api.deleteContent(ctx, name)
	if err != nil {
		return fmt.Errorf("deleting the content: %w", err)
	}
	if !empty {
		return errContentLeft
	}
	_, _, err = api.finalizeStore.Update(ctx, "", name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil || current.(*corev1.Namespace).UID != ns.UID {
			// Gone, or another namespace of the same name: not ours.
			return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
		}
		n := current.(*corev1.Namespace).DeepCopy()
		n.Spec.Finalizers = slices.DeleteFunc(n.Spec.Finalizers, func(f corev1.FinalizerName) bool { return f == corev1.FinalizerKubernetes })
		return n, nil
	}, false, false)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("removing the namespace finalizer: %w", err)
	}
	klog.FromContext(ctx).V(2).Info("Namespace finalized", "namespace", name)
	return nil
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
