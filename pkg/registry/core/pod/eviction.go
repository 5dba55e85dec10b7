package pod

import (
	"context"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// maxDisruptedPods bounds the evictions a budget records before its
// controller confirms them, as kube.
const maxDisruptedPods = 2000

// PodDeleter reads and deletes Pods.
type PodDeleter interface {
	rest.Getter
	rest.GracefulDeleter
}

// BudgetStore lists PodDisruptionBudgets and writes their status.
type BudgetStore interface {
	rest.Lister
	rest.Updater
}

// EvictionStorage serves pods/eviction: a Pod is deleted unless that
// would take its PodDisruptionBudget below what it allows, which is then
// counted down, as kube's eviction does.
type EvictionStorage struct {
	// Pods reads and deletes Pods; Status adds their DisruptionTarget
	// condition.
	Pods   PodDeleter
	Status rest.Updater
	// Budgets lists PodDisruptionBudgets; BudgetStatus writes their
	// status.
	Budgets      rest.Lister
	BudgetStatus rest.Updater
}

var _ rest.NamedCreater = EvictionStorage{}

// New returns an empty Eviction.
func (EvictionStorage) New() runtime.Object { return &policyv1.Eviction{} }

// CreateNamed evicts the Pod ns/name.
func (e EvictionStorage) CreateNamed(ctx context.Context, ns, name string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
	ev, ok := obj.(*policyv1.Eviction)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not an Eviction: %T", obj))
	}
	if ev.Name != name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Eviction object")
	}
	opts := ev.DeleteOptions
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	cur, err := e.Pods.Get(ctx, ns, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	p := cur.(*corev1.Pod)
	if !budgetApplies(p) {
		return e.evict(ctx, p, opts, dryRun)
	}
	budget, err := e.budget(ctx, p)
	if err != nil {
		return nil, err
	}
	if budget != nil && !unhealthyMayGo(p, budget) {
		if err := e.countDown(ctx, budget, p.Name, dryRun); err != nil {
			return nil, err
		}
	}
	return e.evict(ctx, p, opts, dryRun)
}

// budgetApplies: a Pod that is not running yet, has ended or is being
// deleted goes whatever its budget says.
func budgetApplies(p *corev1.Pod) bool {
	switch p.Status.Phase {
	case corev1.PodPending, corev1.PodSucceeded, corev1.PodFailed:
		return false
	}
	return p.DeletionTimestamp == nil
}

// unhealthyMayGo: a Pod that is not ready goes without counting against
// its budget when the budget says so, or, by default, when the budget is
// met without it.
func unhealthyMayGo(p *corev1.Pod, b *policyv1.PodDisruptionBudget) bool {
	if podReady(p) {
		return false
	}
	if pol := b.Spec.UnhealthyPodEvictionPolicy; pol != nil && *pol == policyv1.AlwaysAllow {
		return true
	}
	return b.Status.DesiredHealthy > 0 && b.Status.CurrentHealthy >= b.Status.DesiredHealthy
}

// budget returns the one PodDisruptionBudget selecting p, nil for none;
// several are an error, as kube's eviction supports only one.
func (e EvictionStorage) budget(ctx context.Context, p *corev1.Pod) (*policyv1.PodDisruptionBudget, error) {
	list, err := e.Budgets.List(ctx, p.Namespace, &metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var found []*policyv1.PodDisruptionBudget
	for i := range list.(*policyv1.PodDisruptionBudgetList).Items {
		b := &list.(*policyv1.PodDisruptionBudgetList).Items[i]
		sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		found = append(found, b)
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	return nil, &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusInternalServerError,
		Message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
	}}
}

// countDown takes one disruption from the budget, recording the Pod, or
// refuses with 429 as kube does when none is left.
func (e EvictionStorage) countDown(ctx context.Context, b *policyv1.PodDisruptionBudget, pod string, dryRun bool) error {
	_, _, err := e.BudgetStatus.Update(ctx, b.Namespace, b.Name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(schema.GroupResource{Group: policyv1.GroupName, Resource: "poddisruptionbudgets"}, b.Name)
		}
		b := current.(*policyv1.PodDisruptionBudget).DeepCopy()
		st := &b.Status
		switch {
		case st.ObservedGeneration < b.Generation:
			return nil, budgetRefusal(fmt.Sprintf("The disruption budget %s is still being processed by the server.", b.Name))
		case st.DisruptionsAllowed < 0:
			return nil, apierrors.NewForbidden(schema.GroupResource{Group: policyv1.GroupName, Resource: "poddisruptionbudgets"}, b.Name,
				fmt.Errorf("pdb disruptions allowed is negative"))
		case len(st.DisruptedPods) > maxDisruptedPods:
			return nil, apierrors.NewForbidden(schema.GroupResource{Group: policyv1.GroupName, Resource: "poddisruptionbudgets"}, b.Name,
				fmt.Errorf("DisruptedPods map too big - too many evictions not confirmed by PDB controller"))
		case st.DisruptionsAllowed == 0:
			return nil, budgetRefusal(fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently",
				b.Name, st.DesiredHealthy, st.CurrentHealthy))
		}
		st.DisruptionsAllowed--
		if st.DisruptionsAllowed == 0 {
			apimeta.SetStatusCondition(&st.Conditions, metav1.Condition{
				Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionFalse,
				Reason: policyv1.InsufficientPodsReason, ObservedGeneration: st.ObservedGeneration,
			})
		}
		if st.DisruptedPods == nil {
			st.DisruptedPods = map[string]metav1.Time{}
		}
		st.DisruptedPods[pod] = metav1.NewTime(time.Now())
		return b, nil
	}, dryRun, false)
	return err
}

func budgetRefusal(cause string) error {
	err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
	err.ErrStatus.Details.Causes = []metav1.StatusCause{{Type: policyv1.DisruptionBudgetCause, Message: cause}}
	return err
}

// evict marks the Pod as a disruption target, as kube does, and deletes
// it with the eviction's options.
func (e EvictionStorage) evict(ctx context.Context, p *corev1.Pod, opts *metav1.DeleteOptions, dryRun bool) (runtime.Object, error) {
	if !dryRun {
		_, _, err := e.Status.Update(ctx, p.Namespace, p.Name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
			if current == nil {
				return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, p.Name)
			}
			c := current.(*corev1.Pod).DeepCopy()
			setCondition(&c.Status, corev1.PodCondition{
				Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
				Reason: "EvictionByEvictionAPI", Message: "Eviction API: evicting",
			})
			return c, nil
		}, false, false)
		if err != nil {
			return nil, err
		}
	}
	if _, _, err := e.Pods.Delete(ctx, p.Namespace, p.Name, opts, dryRun); err != nil {
		return nil, err
	}
	return created(), nil
}
