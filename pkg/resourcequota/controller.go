// Package resourcequota keeps every ResourceQuota's status as
// kube-controller-manager's resource quota controller does: status.hard is
// the spec's, and status.used counts, from fresh lists of the namespace,
// the objects and the Pods' requests and limits that each hard limit
// names (pods, services, configmaps, secrets, replicationcontrollers,
// resourcequotas, persistentvolumeclaims, count/<resource>.<group>,
// requests.* and limits.* of Pods, requests.storage and its per storage
// class forms, services.nodeports, services.loadbalancers; the
// Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass
// and CrossNamespacePodAffinity scopes and scope selectors). Quotas are recounted when their limits change and every
// few seconds; replicas compute the same status and write only a
// difference. Refusing writes over quota (kube's ResourceQuota admission)
// is not done here.
package resourcequota

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/controller"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Resync is how often every quota is recounted, so that objects created
// or deleted since show up without a watch of every resource.
const Resync = 5 * time.Second

var quotas = schema.GroupResource{Resource: "resourcequotas"}

// Run keeps the quotas' status until ctx ends.
func Run(ctx context.Context, catalog *rest.Catalog) {
	log := klog.FromContext(ctx).WithName("resourcequota")
	res, ok := catalog.Resource(quotas)
	if !ok {
		log.Error(nil, "ResourceQuotas are not served; not keeping their status")
		return
	}
	status, ok := res.Subresource("status")
	if !ok {
		log.Error(nil, "resourcequotas/status is not served; not keeping quota status")
		return
	}
	lw, ok := rest.ListWatch(res.Storage)
	if !ok {
		log.Error(nil, "ResourceQuotas cannot be followed; not keeping their status")
		return
	}
	queue := controller.NewQueue[string]("resourcequota", 50*time.Millisecond, 30*time.Second)
	defer queue.ShutDown()
	inf := cache.NewSharedIndexInformer(lw, res.Storage.New(), 0, cache.Indexers{})
	enqueue := func(obj any) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			queue.Add(key)
		}
	}
	changed := func(old, obj any) {
		o, ok1 := old.(*corev1.ResourceQuota)
		n, ok2 := obj.(*corev1.ResourceQuota)
		if !ok1 || !ok2 || limitsChanged(o, n) {
			enqueue(obj)
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: enqueue, UpdateFunc: changed}); err != nil {
		log.Error(err, "Following ResourceQuotas failed; not keeping their status")
		return
	}
	go inf.RunWithContext(ctx)
	go func() {
		t := time.NewTicker(Resync)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				for _, key := range inf.GetStore().ListKeys() {
					queue.Add(key)
				}
			}
		}
	}()
	c := Counter{Catalog: catalog}
	controller.Run(ctx, queue, func(ctx context.Context, key string) error {
		ns, name, err := cache.SplitMetaNamespaceKey(key)
		if err != nil {
			return nil
		}
		return c.sync(ctx, res.Storage, status.Storage, ns, name)
	}, func(key string, err error) {
		log.V(2).Info("Recounting a ResourceQuota failed; retrying", "quota", key, "err", err)
	})
}

// limitsChanged says whether an update of a quota needs a recount: its
// limits changed, or its status does not show them yet. Usage alone does
// not: ResourceQuota admission charges a create to the quota before the
// object is written, so a count made right after a charge would miss the
// object and undo it (kube's controller, too, leaves status-only updates
// alone).
func limitsChanged(old, updated *corev1.ResourceQuota) bool {
	return !apiequality.Semantic.DeepEqual(old.Spec, updated.Spec) || !apiequality.Semantic.DeepEqual(updated.Status.Hard, updated.Spec.Hard)
}

// sync writes ns/name's status from a fresh read and fresh counts, if it
// differs.
func (c Counter) sync(ctx context.Context, store, status rest.Storage, ns, name string) error {
	obj, err := store.(rest.Getter).Get(ctx, ns, name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	q := obj.(*corev1.ResourceQuota)
	used, err := c.Used(ctx, q)
	if err != nil {
		return err
	}
	want := corev1.ResourceQuotaStatus{Hard: q.Spec.Hard.DeepCopy(), Used: used}
	if apiequality.Semantic.DeepEqual(q.Status, want) {
		return nil
	}
	read := q.ResourceVersion
	_, _, err = status.(rest.Updater).Update(ctx, ns, name, func(_ context.Context, latest runtime.Object) (runtime.Object, error) {
		if latest == nil || latest.(metav1.Object).GetResourceVersion() != read {
			return nil, apierrors.NewConflict(quotas, name, fmt.Errorf("changed since it was counted"))
		}
		next := latest.(*corev1.ResourceQuota).DeepCopy()
		next.Status = want
		return next, nil
	}, false, false)
	return err
}

// Counter counts what quotas limit, through the served resources.
type Counter struct {
	Catalog *rest.Catalog
}

// objectCounts are the plain names of object counts, and what they count.
var objectCounts = map[corev1.ResourceName]schema.GroupResource{
	corev1.ResourcePods:                   {Resource: "pods"},
	corev1.ResourceServices:               {Resource: "services"},
	corev1.ResourceConfigMaps:             {Resource: "configmaps"},
	corev1.ResourceSecrets:                {Resource: "secrets"},
	corev1.ResourceReplicationControllers: {Resource: "replicationcontrollers"},
	corev1.ResourceQuotas:                 {Resource: "resourcequotas"},
	corev1.ResourcePersistentVolumeClaims: {Resource: "persistentvolumeclaims"},
}

// Used counts what each of q's hard limits names in q's namespace.
func (c Counter) Used(ctx context.Context, q *corev1.ResourceQuota) (corev1.ResourceList, error) {
	lists := map[schema.GroupResource][]runtime.Object{}
	list := func(gr schema.GroupResource) ([]runtime.Object, error) {
		if items, ok := lists[gr]; ok {
			return items, nil
		}
		res, ok := c.Catalog.Resource(gr)
		if !ok {
			return nil, nil // not served: nothing to count
		}
		l, ok := res.Storage.(rest.Lister)
		if !ok {
			return nil, nil
		}
		obj, err := l.List(ctx, q.Namespace, &metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		items, err := meta.ExtractList(obj)
		if err != nil {
			return nil, err
		}
		lists[gr] = items
		return items, nil
	}
	return usage(q, list)
}

// UsageOf is what obj, an object of resource gr, counts against q: what a
// create of it adds to q's usage.
func UsageOf(obj runtime.Object, gr schema.GroupResource, q *corev1.ResourceQuota) corev1.ResourceList {
	used, _ := usage(q, func(g schema.GroupResource) ([]runtime.Object, error) {
		if g == gr {
			return []runtime.Object{obj}, nil
		}
		return nil, nil
	})
	return used
}

// usage counts what each of q's hard limits names among the objects list
// returns for a resource.
func usage(q *corev1.ResourceQuota, listAll func(schema.GroupResource) ([]runtime.Object, error)) (corev1.ResourceList, error) {
	list := func(gr schema.GroupResource) ([]runtime.Object, error) {
		items, err := listAll(gr)
		if err == nil && gr.Resource == "pods" && gr.Group == "" {
			items = podsInScope(items, q.Spec.Scopes, q.Spec.ScopeSelector)
		}
		return items, err
	}
	used := corev1.ResourceList{}
	for name := range q.Spec.Hard {
		gr, counted := countedResource(name)
		switch {
		case counted:
			items, err := list(gr)
			if err != nil {
				return nil, err
			}
			used[name] = *resource.NewQuantity(int64(len(items)), resource.DecimalSI)
		case isPodCompute(name):
			items, err := list(schema.GroupResource{Resource: "pods"})
			if err != nil {
				return nil, err
			}
			used[name] = podCompute(items, name)
		case name == corev1.ResourceRequestsStorage:
			items, err := list(schema.GroupResource{Resource: "persistentvolumeclaims"})
			if err != nil {
				return nil, err
			}
			used[name] = claimStorage(items, nil)
		case isStorageClassQuota(name):
			class, what, _ := strings.Cut(string(name), storageClassSuffix)
			items, err := list(schema.GroupResource{Resource: "persistentvolumeclaims"})
			if err != nil {
				return nil, err
			}
			switch corev1.ResourceName(what) {
			case corev1.ResourcePersistentVolumeClaims:
				n := 0
				for _, o := range items {
					if claimClass(o.(*corev1.PersistentVolumeClaim)) == class {
						n++
					}
				}
				used[name] = *resource.NewQuantity(int64(n), resource.DecimalSI)
			case corev1.ResourceRequestsStorage:
				used[name] = claimStorage(items, &class)
			}
		case name == corev1.ResourceServicesNodePorts || name == corev1.ResourceServicesLoadBalancers:
			items, err := list(schema.GroupResource{Resource: "services"})
			if err != nil {
				return nil, err
			}
			used[name] = serviceCount(items, name)
		}
	}
	return used, nil
}

// storageClassSuffix joins a class's name and what a quota limits of its
// claims ("gold.storageclass.storage.k8s.io/requests.storage").
const storageClassSuffix = ".storageclass.storage.k8s.io/"

func isStorageClassQuota(name corev1.ResourceName) bool {
	_, what, ok := strings.Cut(string(name), storageClassSuffix)
	return ok && (what == string(corev1.ResourcePersistentVolumeClaims) || what == string(corev1.ResourceRequestsStorage))
}

// claimClass is a claim's storage class: the beta annotation's, else its
// spec's, as kube reads it.
func claimClass(c *corev1.PersistentVolumeClaim) string {
	if class, ok := c.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return class
	}
	if c.Spec.StorageClassName != nil {
		return *c.Spec.StorageClassName
	}
	return ""
}

// claimStorage sums the storage the claims request, of class only when
// given.
func claimStorage(claims []runtime.Object, class *string) resource.Quantity {
	sum := resource.Quantity{Format: resource.BinarySI}
	for _, o := range claims {
		c := o.(*corev1.PersistentVolumeClaim)
		if class != nil && claimClass(c) != *class {
			continue
		}
		if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
			sum.Add(q)
		}
	}
	return sum
}

// countedResource tells whether name counts objects, and of what.
func countedResource(name corev1.ResourceName) (schema.GroupResource, bool) {
	if gr, ok := objectCounts[name]; ok {
		return gr, true
	}
	rest, ok := strings.CutPrefix(string(name), "count/")
	if !ok {
		return schema.GroupResource{}, false
	}
	return schema.ParseGroupResource(rest), true
}

// ComputeOf says which container resource a quota name of Pod compute
// sums ("limits.memory": memory, from limits; "cpu": cpu, from requests),
// and whether it is an extended resource ("requests.example.com/dongle"),
// which a quota limits by requests only and Pods need not state; ok is
// false for other names.
func ComputeOf(name corev1.ResourceName) (res corev1.ResourceName, limits, extended, ok bool) {
	n := string(name)
	switch {
	case strings.HasPrefix(n, corev1.DefaultResourceRequestsPrefix):
		n = strings.TrimPrefix(n, corev1.DefaultResourceRequestsPrefix)
		if strings.Contains(n, "/") {
			return corev1.ResourceName(n), false, true, true
		}
	case strings.HasPrefix(n, "limits."):
		n, limits = strings.TrimPrefix(n, "limits."), true
	}
	switch corev1.ResourceName(n) {
	case corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage:
		return corev1.ResourceName(n), limits, false, true
	}
	return "", false, false, false
}

// podCompute sums, over pods, the container resource that quota name
// names (an init container counts where it needs more than the others).
func podCompute(pods []runtime.Object, name corev1.ResourceName) resource.Quantity {
	res, limits, _, _ := ComputeOf(name)
	sum := resource.Quantity{}
	for _, o := range pods {
		p := o.(*corev1.Pod)
		total := resource.Quantity{}
		for _, c := range p.Spec.Containers {
			if q, ok := pick(c, limits)[res]; ok {
				total.Add(q)
			}
		}
		for _, c := range p.Spec.InitContainers {
			if q, ok := pick(c, limits)[res]; ok && q.Cmp(total) > 0 {
				total = q.DeepCopy()
			}
		}
		sum.Add(total)
	}
	if sum.Format == "" {
		sum.Format = resource.DecimalSI
	}
	return sum
}

func pick(c corev1.Container, limits bool) corev1.ResourceList {
	if limits {
		return c.Resources.Limits
	}
	return c.Resources.Requests
}

func isPodCompute(name corev1.ResourceName) bool {
	_, _, _, ok := ComputeOf(name)
	return ok
}

// serviceCount counts node ports (of NodePort and LoadBalancer Services)
// or load balancers.
func serviceCount(items []runtime.Object, name corev1.ResourceName) resource.Quantity {
	n := int64(0)
	for _, o := range items {
		s := o.(*corev1.Service)
		switch {
		case name == corev1.ResourceServicesLoadBalancers && s.Spec.Type == corev1.ServiceTypeLoadBalancer:
			n++
		case name == corev1.ResourceServicesNodePorts && (s.Spec.Type == corev1.ServiceTypeNodePort || s.Spec.Type == corev1.ServiceTypeLoadBalancer):
			n += int64(len(s.Spec.Ports))
		}
	}
	return *resource.NewQuantity(n, resource.DecimalSI)
}

// podsInScope keeps the Pods a quota counts: not ended, and within its
// scopes and scope selector.
func podsInScope(items []runtime.Object, scopes []corev1.ResourceQuotaScope, selector *corev1.ScopeSelector) []runtime.Object {
	var out []runtime.Object
	for _, o := range items {
		p, ok := o.(*corev1.Pod)
		if !ok || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if matchesScopes(p, scopes, selector) {
			out = append(out, o)
		}
	}
	return out
}

// InScope reports whether q counts Pod p: it is in q's scopes and scope
// selector.
func InScope(p *corev1.Pod, q *corev1.ResourceQuota) bool {
	return matchesScopes(p, q.Spec.Scopes, q.Spec.ScopeSelector)
}

// matchesScopes reports whether p is in every scope (a scope listed is
// the selector's Exists of it).
func matchesScopes(p *corev1.Pod, scopes []corev1.ResourceQuotaScope, selector *corev1.ScopeSelector) bool {
	for _, s := range scopes {
		if !inScope(p, corev1.ScopedResourceSelectorRequirement{ScopeName: s, Operator: corev1.ScopeSelectorOpExists}) {
			return false
		}
	}
	if selector != nil {
		for _, r := range selector.MatchExpressions {
			if !inScope(p, r) {
				return false
			}
		}
	}
	return true
}

// inScope reports whether p meets one scope requirement, as kube's quota
// evaluator for Pods does.
func inScope(p *corev1.Pod, r corev1.ScopedResourceSelectorRequirement) bool {
	switch r.ScopeName {
	case corev1.ResourceQuotaScopeBestEffort:
		return bestEffort(p)
	case corev1.ResourceQuotaScopeNotBestEffort:
		return !bestEffort(p)
	case corev1.ResourceQuotaScopeTerminating:
		return p.Spec.ActiveDeadlineSeconds != nil && *p.Spec.ActiveDeadlineSeconds >= 0
	case corev1.ResourceQuotaScopeNotTerminating:
		return p.Spec.ActiveDeadlineSeconds == nil || *p.Spec.ActiveDeadlineSeconds < 0
	case corev1.ResourceQuotaScopePriorityClass:
		name := p.Spec.PriorityClassName
		switch r.Operator {
		case corev1.ScopeSelectorOpExists:
			return name != ""
		case corev1.ScopeSelectorOpDoesNotExist:
			return name == ""
		case corev1.ScopeSelectorOpIn:
			return slices.Contains(r.Values, name)
		case corev1.ScopeSelectorOpNotIn:
			return !slices.Contains(r.Values, name)
		}
	case corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
		return crossNamespaceAffinity(p)
	}
	return false
}

func bestEffort(p *corev1.Pod) bool {
	for _, c := range append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...) {
		if len(c.Resources.Requests) > 0 || len(c.Resources.Limits) > 0 {
			return false
		}
	}
	return true
}

// crossNamespaceAffinity reports whether a pod (anti-)affinity term of p
// names namespaces or selects them.
func crossNamespaceAffinity(p *corev1.Pod) bool {
	a := p.Spec.Affinity
	if a == nil {
		return false
	}
	var terms []corev1.PodAffinityTerm
	if pa := a.PodAffinity; pa != nil {
		terms = append(terms, pa.RequiredDuringSchedulingIgnoredDuringExecution...)
		for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			terms = append(terms, w.PodAffinityTerm)
		}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		terms = append(terms, pa.RequiredDuringSchedulingIgnoredDuringExecution...)
		for _, w := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			terms = append(terms, w.PodAffinityTerm)
		}
	}
	return slices.ContainsFunc(terms, func(t corev1.PodAffinityTerm) bool { return len(t.Namespaces) > 0 || t.NamespaceSelector != nil })
}
