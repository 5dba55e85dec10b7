// Package priority is kube-apiserver's Priority admission plugin: a new
// Pod gets the priority and preemption policy of its PriorityClass (the
// global default class, or 0, when it names none), at most one class is
// the global default, and the system classes are not deleted.
package priority

import (
	"context"
	"fmt"

	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	corev1 "k8s.io/api/core/v1"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/registry/scheduling/priorityclass"
)

// Lister reads every PriorityClass with a quorum read, so that a default
// set a moment ago through another replica is seen.
type Lister func(ctx context.Context) ([]schedulingv1.PriorityClass, error)

// Plugin is the Priority plugin.
type Plugin struct {
	PriorityClasses Lister
}

var _ admission.Interface = Plugin{}

// Name is the plugin's name on kube-apiserver's command line.
const Name = "Priority"

var pods = corev1.SchemeGroupVersion.WithResource("pods")

// Admit resolves a new Pod's priority from its class, and keeps the
// stored one on update, as kube.
func (p Plugin) Admit(ctx context.Context, a *admission.Attributes) error {
	if a.Resource != pods || a.Subresource != "" {
		return nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return nil
	}
	switch a.Operation {
	case admission.Update:
		if old, ok := a.OldObject.(*corev1.Pod); ok {
			if pod.Spec.Priority == nil {
				pod.Spec.Priority = old.Spec.Priority
			}
			if pod.Spec.PreemptionPolicy == nil {
				pod.Spec.PreemptionPolicy = old.Spec.PreemptionPolicy
			}
		}
		return nil
	case admission.Create:
	default:
		return nil
	}
	forbidden := func(err error) error { return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, err) }
	all, err := p.PriorityClasses(ctx)
	if err != nil {
		return err
	}
	value, policy := int32(0), corev1.PreemptLowerPriority
	var class *schedulingv1.PriorityClass
	for i := range all {
		pc := &all[i]
		if (pod.Spec.PriorityClassName == "" && pc.GlobalDefault) || (pod.Spec.PriorityClassName != "" && pc.Name == pod.Spec.PriorityClassName) {
			class = pc
		}
	}
	switch {
	case class != nil:
		pod.Spec.PriorityClassName = class.Name
		value = class.Value
		if class.PreemptionPolicy != nil {
			policy = *class.PreemptionPolicy
		}
	case pod.Spec.PriorityClassName != "":
		return forbidden(fmt.Errorf("no PriorityClass with name %v was found", pod.Spec.PriorityClassName))
	}
	if pod.Spec.Priority != nil && *pod.Spec.Priority != value {
		return forbidden(fmt.Errorf("the integer value of priority (%d) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name", *pod.Spec.Priority, value))
	}
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy != policy {
		return forbidden(fmt.Errorf("the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission controller computed %s from the given PriorityClass name", *pod.Spec.PreemptionPolicy, policy))
	}
	pod.Spec.Priority, pod.Spec.PreemptionPolicy = &value, &policy
	return nil
}

var priorityClasses = schedulingv1.SchemeGroupVersion.WithResource("priorityclasses")

// Validate refuses a second global default and a user's deletion of a
// system class, with kube's messages.
func (p Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	if a.Resource != priorityClasses || a.Subresource != "" {
		return nil
	}
	switch a.Operation {
	case admission.Delete:
		if a.User != nil && priorityclass.IsSystem(a.Name) {
			return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, fmt.Errorf("this is a system priority class and cannot be deleted"))
		}
	case admission.Create, admission.Update:
		pc, ok := a.Object.(*schedulingv1.PriorityClass)
		if !ok || !pc.GlobalDefault {
			return nil
		}
		if old, ok := a.OldObject.(*schedulingv1.PriorityClass); ok && old.GlobalDefault {
			return nil
		}
		all, err := p.PriorityClasses(ctx)
		if err != nil {
			return err
		}
		for _, other := range all {
			if other.GlobalDefault && other.Name != pc.Name {
				return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name,
					fmt.Errorf("PriorityClass %v is already marked as default. Only one default can exist", other.Name))
			}
		}
	}
	return nil
}
