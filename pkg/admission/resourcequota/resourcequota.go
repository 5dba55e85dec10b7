// Package resourcequota is kube-apiserver's ResourceQuota admission
// plugin: a new object in a namespace is refused when it would take a
// quota of that namespace past a hard limit, with kube's message
// ("exceeded quota: ..."), and is otherwise charged to the quotas it
// counts against at once, in their status, so that the next create sees
// it before the quota controller (pkg/resourcequota) recounts. What an
// object counts is the controller's own counting of that one object.
package resourcequota

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/resourcequota"
)

// Name is the plugin's name on kube-apiserver's command line.
const Name = "ResourceQuota"

// retries bounds the attempts to charge quotas that changed meanwhile.
const retries = 5

// Plugin is the ResourceQuota plugin.
type Plugin struct {
	// Quotas lists a namespace's quotas.
	Quotas func(ctx context.Context, namespace string) ([]corev1.ResourceQuota, error)
	// Charge writes used as q's status.used if q is still the stored
	// version; a conflict error means it changed.
	Charge func(ctx context.Context, q *corev1.ResourceQuota, used corev1.ResourceList) error
}

var _ admission.ValidationInterface = Plugin{}

// Validate refuses a create over quota and charges it to the quotas it
// counts against.
func (p Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	if p.Quotas == nil || a.Operation != admission.Create || a.Namespace == "" || a.Subresource != "" || a.Object == nil {
		return nil
	}
	gr := a.Resource.GroupResource()
	var err error
	for range retries {
		var quotas []corev1.ResourceQuota
		if quotas, err = p.Quotas(ctx, a.Namespace); err != nil || len(quotas) == 0 {
			return err
		}
		charges, refusal := check(quotas, a, gr)
		if refusal != nil || a.DryRun {
			return refusal
		}
		err = nil
		for _, c := range charges {
			if err = p.Charge(ctx, c.quota, c.used); err != nil {
				break
			}
		}
		if err == nil || !apierrors.IsConflict(err) {
			return err
		}
	}
	return apierrors.NewInternalError(fmt.Errorf("resource quota evaluation timed out: %w", err))
}

type charge struct {
	quota *corev1.ResourceQuota
	used  corev1.ResourceList
}

// check finds the quotas a's object counts against and the usage each
// would have with it; an error refuses the object.
func check(quotas []corev1.ResourceQuota, a *admission.Attributes, gr schema.GroupResource) ([]charge, error) {
	var charges []charge
	for i := range quotas {
		// The limits are those of the status, as kube reads them: a
		// quota the controller has not counted yet limits nothing.
		q := quotas[i].DeepCopy()
		q.Spec.Hard = q.Status.Hard
		if pod, ok := a.Object.(*corev1.Pod); ok && resourcequota.InScope(pod, q) {
			if missing := unspecified(pod, q); missing != "" {
				return nil, apierrors.NewForbidden(gr, a.Name, fmt.Errorf("failed quota: %s: must specify %s", q.Name, missing))
			}
		}
		delta := resourcequota.UsageOf(a.Object, gr, q)
		for name, v := range delta {
			if v.IsZero() {
				delete(delta, name)
			}
		}
		if len(delta) == 0 {
			continue
		}
		var unknown []string
		for name := range delta {
			if _, ok := q.Status.Used[name]; !ok {
				unknown = append(unknown, string(name))
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return nil, apierrors.NewForbidden(gr, a.Name, fmt.Errorf("status unknown for quota: %s, resources: %s", q.Name, strings.Join(unknown, ",")))
		}
		used := q.Status.Used.DeepCopy()
		var requested, current, limited corev1.ResourceList
		for name, v := range delta {
			sum := used[name].DeepCopy()
			sum.Add(v)
			used[name] = sum
			if hard, ok := q.Spec.Hard[name]; ok && sum.Cmp(hard) > 0 {
				if requested == nil {
					requested, current, limited = corev1.ResourceList{}, corev1.ResourceList{}, corev1.ResourceList{}
				}
				requested[name], current[name], limited[name] = v, q.Status.Used[name], hard
			}
		}
		if requested != nil {
			return nil, apierrors.NewForbidden(gr, a.Name, fmt.Errorf("exceeded quota: %s, requested: %s, used: %s, limited: %s",
				q.Name, prettyPrint(requested), prettyPrint(current), prettyPrint(limited)))
		}
		charges = append(charges, charge{quota: q, used: used})
	}
	return charges, nil
}

// unspecified says which of the quota's compute resources which
// containers of p do not state, in kube's words ("cpu for: a,b; memory
// for: a"); "" when all do.
func unspecified(p *corev1.Pod, q *corev1.ResourceQuota) string {
	var parts []string
	for name := range q.Spec.Hard {
		res, limits, extended, ok := resourcequota.ComputeOf(name)
		if !ok || extended {
			continue
		}
		var without []string
		for _, ctr := range append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...) {
			list := ctr.Resources.Requests
			if limits {
				list = ctr.Resources.Limits
			}
			if _, ok := list[res]; !ok {
				without = append(without, ctr.Name)
			}
		}
		if len(without) > 0 {
			parts = append(parts, string(name)+" for: "+strings.Join(without, ","))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// prettyPrint lists resources as kube prints them: name=quantity, sorted,
// comma-separated.
func prettyPrint(l corev1.ResourceList) string {
	parts := make([]string, 0, len(l))
	for name, q := range l {
		parts = append(parts, fmt.Sprintf("%s=%s", name, q.String()))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
