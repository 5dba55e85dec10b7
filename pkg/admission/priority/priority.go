// Package priority is the part of kube-apiserver's Priority admission
// plugin that concerns PriorityClasses: at most one class is the global
// default, and the system classes are not deleted. (Resolving a Pod's
// priority from its class is the rest of kube's plugin; Pods are not
// served.)
package priority

import (
	"context"
	"fmt"

	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

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

var _ admission.ValidationInterface = Plugin{}

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
