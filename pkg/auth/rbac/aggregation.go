package rbac

import (
	"context"
	"fmt"
	"reflect"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/controller"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Aggregate keeps the rules of every ClusterRole with an aggregationRule
// equal to the rules of the ClusterRoles its selectors select, as
// kube-controller-manager's clusterrole-aggregation controller does. A
// change of any ClusterRole queues the aggregated ones; each is computed
// from a fresh list and written with its resourceVersion, so several
// replicas may run it.
func Aggregate(ctx context.Context, catalog *rest.Catalog) {
	r, ok := catalog.Resource(schema.GroupResource{Group: rbacv1.GroupName, Resource: "clusterroles"})
	if !ok {
		return
	}
	lister, l := r.Storage.(rest.Lister)
	updater, u := r.Storage.(rest.Updater)
	lw, w := rest.ListWatch(r.Storage)
	if !l || !w || !u {
		return
	}
	queue := controller.NewQueue[string]("clusterrole-aggregation", 50*time.Millisecond, 30*time.Second)
	defer queue.ShutDown()
	inf := cache.NewSharedIndexInformer(lw, &rbacv1.ClusterRole{}, 0, cache.Indexers{})
	enqueueAggregated := func(any) {
		for _, obj := range inf.GetStore().List() {
			if role := obj.(*rbacv1.ClusterRole); role.AggregationRule != nil {
				queue.Add(role.Name)
			}
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueAggregated, UpdateFunc: func(_, obj any) { enqueueAggregated(obj) }, DeleteFunc: enqueueAggregated,
	}); err != nil {
		klog.FromContext(ctx).Error(err, "Following ClusterRoles for aggregation failed")
		return
	}
	go inf.RunWithContext(ctx)
	controller.Run(ctx, queue, func(ctx context.Context, name string) error {
		return aggregate(ctx, lister, updater, name)
	}, func(name string, err error) {
		klog.FromContext(ctx).V(2).Info("Aggregating a ClusterRole failed; retrying", "clusterRole", name, "err", err)
	})
}

// aggregate sets the rules of the ClusterRole name from a fresh list.
func aggregate(ctx context.Context, lister rest.Lister, updater rest.Updater, name string) error {
	listed, err := lister.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return err
	}
	roles := listed.(*rbacv1.ClusterRoleList).Items
	var target *rbacv1.ClusterRole
	for i := range roles {
		if roles[i].Name == name {
			target = &roles[i]
		}
	}
	if target == nil || target.AggregationRule == nil {
		return nil
	}
	rules, err := AggregatedRules(target, roles)
	if err != nil {
		return err
	}
	if reflect.DeepEqual(rules, target.Rules) || (len(rules) == 0 && len(target.Rules) == 0) {
		return nil
	}
	_, _, err = updater.Update(ctx, "", name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		role := current.(*rbacv1.ClusterRole).DeepCopy()
		if role.ResourceVersion != target.ResourceVersion {
			return nil, fmt.Errorf("clusterrole %s changed since it was read", name)
		}
		role.Rules = rules
		return role, nil
	}, false, false)
	return err
}

// AggregatedRules are the rules of the roles target's selectors select
// (target excluded), in the roles' order, each once.
func AggregatedRules(target *rbacv1.ClusterRole, roles []rbacv1.ClusterRole) ([]rbacv1.PolicyRule, error) {
	var rules []rbacv1.PolicyRule
	for _, ls := range target.AggregationRule.ClusterRoleSelectors {
		sel, err := metav1.LabelSelectorAsSelector(&ls)
		if err != nil {
			return nil, err
		}
		for i := range roles {
			if roles[i].Name == target.Name || !sel.Matches(labels.Set(roles[i].Labels)) {
				continue
			}
			for _, rule := range roles[i].Rules {
				if !containsRule(rules, rule) {
					rules = append(rules, rule)
				}
			}
		}
	}
	return rules, nil
}

func containsRule(rules []rbacv1.PolicyRule, rule rbacv1.PolicyRule) bool {
	for _, r := range rules {
		if reflect.DeepEqual(r, rule) {
			return true
		}
	}
	return false
}
