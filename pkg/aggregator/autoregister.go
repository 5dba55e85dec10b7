package aggregator

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"

	apiregistrationv1 "github.com/apiserver/apiserver/pkg/apiregistration/v1"
)

// priority is an APIService's group and version priorities.
type priority struct{ group, version int32 }

// builtinPriorities are kube-apiserver 1.31's priorities of its own group
// versions, as its local APIServices carry them (read from a running
// kube-apiserver 1.31).
var builtinPriorities = map[schema.GroupVersion]priority{
	{Version: "v1"}:                                             {18000, 1},
	{Group: "events.k8s.io", Version: "v1"}:                     {17750, 15},
	{Group: "apps", Version: "v1"}:                              {17800, 15},
	{Group: "authentication.k8s.io", Version: "v1"}:             {17700, 15},
	{Group: "authorization.k8s.io", Version: "v1"}:              {17600, 15},
	{Group: "autoscaling", Version: "v1"}:                       {17500, 15},
	{Group: "autoscaling", Version: "v2"}:                       {17500, 30},
	{Group: "batch", Version: "v1"}:                             {17400, 15},
	{Group: "certificates.k8s.io", Version: "v1"}:               {17300, 15},
	{Group: "networking.k8s.io", Version: "v1"}:                 {17200, 15},
	{Group: "policy", Version: "v1"}:                            {17100, 15},
	{Group: "rbac.authorization.k8s.io", Version: "v1"}:         {17000, 15},
	{Group: "storage.k8s.io", Version: "v1"}:                    {16800, 15},
	{Group: "admissionregistration.k8s.io", Version: "v1"}:      {16700, 15},
	{Group: "apiextensions.k8s.io", Version: "v1"}:              {16700, 15},
	{Group: "scheduling.k8s.io", Version: "v1"}:                 {16600, 15},
	{Group: "coordination.k8s.io", Version: "v1"}:               {16500, 15},
	{Group: "node.k8s.io", Version: "v1"}:                       {16300, 15},
	{Group: "discovery.k8s.io", Version: "v1"}:                  {16200, 15},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1"}:      {16100, 21},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta3"}: {16100, 18},
}

// customPriority is what kube gives the APIServices of custom resources.
var customPriority = priority{1000, 100}

// autoregisterInterval is how often the local APIServices are checked
// even when no group version changed.
const autoregisterInterval = time.Minute

// RunLocal keeps one local APIService for every group version this server
// serves itself (its own, labelled "onstart", and those of
// CustomResourceDefinitions, labelled "true"), and deletes those of
// custom resources no longer served, until ctx ends. Replicas may all do
// it: what exists is left as it is.
func (a *Aggregator) RunLocal(ctx context.Context) {
	log := klog.FromContext(ctx).WithName("autoregister")
	s, err := newClients(ctx)
	if err != nil {
		log.Error(err, "Not keeping the local APIServices")
		return
	}
	catalog := a.config.Catalog
	for {
		changed := catalog.Changed()
		if err := a.syncLocal(ctx, s); err != nil && ctx.Err() == nil {
			log.V(2).Info("Keeping the local APIServices failed; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-time.After(autoregisterInterval):
		}
	}
}

func (a *Aggregator) syncLocal(ctx context.Context, s clients) error {
	builtin := a.config.Discovery.GroupVersions()
	served := map[schema.GroupVersion]bool{}
	a.mu.RLock()
	for gv := range builtin {
		_, remote := a.remotes[gv]
		// kube-apiserver lists no APIService of the group of APIServices.
		served[gv] = !remote && gv.Group != apiregistrationv1.GroupName
	}
	a.mu.RUnlock()
	list, err := s.apiservices.List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	existing := map[string]*apiregistrationv1.APIService{}
	for i := range list.Items {
		svc, err := fromUnstructured(&list.Items[i])
		if err != nil {
			return err
		}
		existing[svc.Name] = svc
	}
	for gv, local := range served {
		if _, ok := existing[apiregistrationv1.Name(gv)]; ok || !local {
			continue
		}
		p, label := customPriority, "true"
		if builtin[gv] {
			label = "onstart"
			if known, ok := builtinPriorities[gv]; ok {
				p = known
			}
		}
		svc := &apiregistrationv1.APIService{
			ObjectMeta: metav1.ObjectMeta{Name: apiregistrationv1.Name(gv), Labels: map[string]string{apiregistrationv1.AutomanagedLabel: label}},
			Spec:       apiregistrationv1.APIServiceSpec{Group: gv.Group, Version: gv.Version, GroupPriorityMinimum: p.group, VersionPriority: p.version},
		}
		u, err := toUnstructured(svc)
		if err != nil {
			return err
		}
		if _, err := s.apiservices.Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	for name, svc := range existing {
		gv := schema.GroupVersion{Group: svc.Spec.Group, Version: svc.Spec.Version}
		if svc.Labels[apiregistrationv1.AutomanagedLabel] != "true" || !svc.IsLocal() || served[gv] {
			continue
		}
		uid := svc.UID
		if err := s.apiservices.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil &&
			!apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return err
		}
	}
	return nil
}
