package namespacedefaults

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/controller"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Names of the objects kept in every namespace, as Kubernetes names them.
const (
	ServiceAccountName = "default"
	RootCAConfigMap    = "kube-root-ca.crt"
	RootCAKey          = "ca.crt"
	descriptionKey     = "kubernetes.io/description"
	rootCADescription  = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. " +
		"No other usage is guaranteed across distributions of Kubernetes clusters."
)

// resources the controller reads and writes.
type resources struct {
	namespaces, accounts, configMaps rest.Storage
}

func lookup(catalog *rest.Catalog) (resources, error) {
	var r resources
	for _, x := range []struct {
		name string
		into *rest.Storage
	}{{"namespaces", &r.namespaces}, {"serviceaccounts", &r.accounts}, {"configmaps", &r.configMaps}} {
		res, ok := catalog.Resource(schema.GroupResource{Resource: x.name})
		if !ok {
			return r, fmt.Errorf("%s are not served", x.name)
		}
		*x.into = res.Storage
	}
	return r, nil
}

// Run keeps the defaults of every namespace until ctx ends. rootCA is the
// bundle to publish; empty publishes no ConfigMap.
func Run(ctx context.Context, catalog *rest.Catalog, rootCA []byte) {
	log := klog.FromContext(ctx).WithName("namespace-defaults")
	r, err := lookup(catalog)
	if err != nil {
		log.Error(err, "Not keeping namespace defaults")
		return
	}
	queue := controller.NewQueue[string]("namespace-defaults", 50*time.Millisecond, 30*time.Second)
	defer queue.ShutDown()
	enqueueNamespace := func(obj any) {
		if m, ok := obj.(metav1.Object); ok {
			queue.Add(m.GetName())
		}
	}
	enqueueOwner := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		if m, ok := obj.(metav1.Object); ok {
			queue.Add(m.GetNamespace())
		}
	}
	follow := []struct {
		storage rest.Storage
		name    string // only objects of this name; "" for all
		handler cache.ResourceEventHandlerFuncs
	}{
		{r.namespaces, "", cache.ResourceEventHandlerFuncs{AddFunc: enqueueNamespace, UpdateFunc: func(_, obj any) { enqueueNamespace(obj) }}},
		{r.accounts, ServiceAccountName, cache.ResourceEventHandlerFuncs{DeleteFunc: enqueueOwner}},
	}
	if len(rootCA) > 0 {
		follow = append(follow, struct {
			storage rest.Storage
			name    string
			handler cache.ResourceEventHandlerFuncs
		}{r.configMaps, RootCAConfigMap, cache.ResourceEventHandlerFuncs{UpdateFunc: func(_, obj any) { enqueueOwner(obj) }, DeleteFunc: enqueueOwner}})
	}
	for _, f := range follow {
		lw, ok := named(f.storage, f.name)
		if !ok {
			log.Error(nil, "A resource cannot be followed; not keeping namespace defaults")
			return
		}
		inf := cache.NewSharedIndexInformer(lw, f.storage.New(), 0, cache.Indexers{})
		if _, err := inf.AddEventHandler(f.handler); err != nil {
			log.Error(err, "Following a resource failed; not keeping namespace defaults")
			return
		}
		go inf.RunWithContext(ctx)
	}
	controller.Run(ctx, queue, func(ctx context.Context, ns string) error {
		return r.sync(ctx, ns, rootCA)
	}, func(ns string, err error) {
		log.V(2).Info("Keeping a namespace's defaults failed; retrying", "namespace", ns, "err", err)
	})
}

// named lists and watches the objects of s called name, in every
// namespace.
func named(s rest.Storage, name string) (*cache.ListWatch, bool) {
	lw, ok := rest.ListWatch(s)
	if !ok || name == "" {
		return lw, ok
	}
	selector := fields.OneTermEqualSelector("metadata.name", name).String()
	list, watchFn := lw.ListWithContextFunc, lw.WatchFuncWithContext
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			opts.FieldSelector = selector
			return list(ctx, opts)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.FieldSelector = selector
			return watchFn(ctx, opts)
		},
	}, true
}

// sync makes sure the active namespace ns has its defaults, from fresh
// reads. A namespace that is gone or terminating is left alone.
func (r resources) sync(ctx context.Context, ns string, rootCA []byte) error {
	obj, err := r.namespaces.(rest.Getter).Get(ctx, "", ns, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if n := obj.(*corev1.Namespace); n.DeletionTimestamp != nil || n.Status.Phase == corev1.NamespaceTerminating {
		return nil
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: ServiceAccountName, Namespace: ns}}
	if err := ensure(ctx, r.accounts, sa, nil); err != nil {
		return fmt.Errorf("service account: %w", err)
	}
	if len(rootCA) == 0 {
		return nil
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: RootCAConfigMap, Namespace: ns, Annotations: map[string]string{descriptionKey: rootCADescription}},
		Data:       map[string]string{RootCAKey: string(rootCA)},
	}
	return ensure(ctx, r.configMaps, cm, func(current runtime.Object) (runtime.Object, bool) {
		c := current.(*corev1.ConfigMap)
		if c.Data[RootCAKey] == string(rootCA) && len(c.Data) == 1 && len(c.BinaryData) == 0 {
			return nil, false
		}
		c = c.DeepCopy()
		c.Data, c.BinaryData = cm.Data, nil
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[descriptionKey] = rootCADescription
		return c, true
	})
}

// ensure creates want unless it exists; then fix, when set, says whether
// and how the current object must change, and the change is written only
// over the version read.
func ensure(ctx context.Context, s rest.Storage, want metav1.Object, fix func(current runtime.Object) (runtime.Object, bool)) error {
	current, err := s.(rest.Getter).Get(ctx, want.GetNamespace(), want.GetName(), &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = s.(rest.Creater).Create(ctx, want.GetNamespace(), want.(runtime.Object), false)
		if apierrors.IsAlreadyExists(err) {
			return nil // another replica was first
		}
		return err
	}
	if err != nil || fix == nil {
		return err
	}
	fixed, changed := fix(current)
	if !changed {
		return nil
	}
	read := current.(metav1.Object).GetResourceVersion()
	_, _, err = s.(rest.Updater).Update(ctx, want.GetNamespace(), want.GetName(), func(_ context.Context, latest runtime.Object) (runtime.Object, error) {
		if latest == nil || latest.(metav1.Object).GetResourceVersion() != read {
			return nil, apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, want.GetName(), fmt.Errorf("changed since it was read"))
		}
		return fixed, nil
	}, false, false)
	return err
}
