// Package limitranger is kube-apiserver's LimitRanger admission plugin for
// Pods: a new Pod's containers get the default requests and limits of
// their namespace's LimitRanges (recorded in the kubernetes.io/limit-ranger
// annotation, as kube does), and a Pod whose containers, or whose sum,
// fall outside a LimitRange's min, max or limit-to-request ratio is
// refused with kube's messages.
package limitranger

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"

	"github.com/apiserver/apiserver/pkg/admission"
)

// Name is the plugin's name on kube-apiserver's command line.
const Name = "LimitRanger"

// annotation records the defaults the plugin set.
const annotation = "kubernetes.io/limit-ranger"

// Lister lists a namespace's LimitRanges with a quorum read.
type Lister func(ctx context.Context, namespace string) ([]corev1.LimitRange, error)

// Plugin is the LimitRanger plugin.
type Plugin struct {
	LimitRanges Lister
}

var _ admission.Interface = Plugin{}

var pods = corev1.SchemeGroupVersion.WithResource("pods")

// newPod returns the Pod a request creates and its namespace's
// LimitRanges; a nil Pod for anything else. Pods' containers cannot change
// after creation, so updates are left alone, as kube leaves them.
func (p Plugin) newPod(ctx context.Context, a *admission.Attributes) (*corev1.Pod, []corev1.LimitRange, error) {
	if a.Resource != pods || a.Subresource != "" || a.Operation != admission.Create {
		return nil, nil, nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return nil, nil, nil
	}
	ranges, err := p.LimitRanges(ctx, a.Namespace)
	return pod, ranges, err
}

// Admit sets the containers' default requests and limits.
func (p Plugin) Admit(ctx context.Context, a *admission.Attributes) error {
	pod, ranges, err := p.newPod(ctx, a)
	if err != nil || pod == nil {
		return err
	}
	for i := range ranges {
		requests, limits := corev1.ResourceList{}, corev1.ResourceList{}
		for _, item := range ranges[i].Spec.Limits {
			if item.Type != corev1.LimitTypeContainer {
				continue
			}
			for k, v := range item.DefaultRequest {
				requests[k] = v.DeepCopy()
			}
			for k, v := range item.Default {
				limits[k] = v.DeepCopy()
			}
		}
		if len(requests) == 0 && len(limits) == 0 {
			continue
		}
		var notes []string
		for j := range pod.Spec.InitContainers {
			notes = mergeDefaults(&pod.Spec.InitContainers[j], "init container", requests, limits, notes)
		}
		for j := range pod.Spec.Containers {
			notes = mergeDefaults(&pod.Spec.Containers[j], "container", requests, limits, notes)
		}
		if len(notes) > 0 {
			if pod.Annotations == nil {
				pod.Annotations = map[string]string{}
			}
			pod.Annotations[annotation] = "LimitRanger plugin set: " + strings.Join(notes, "; ")
		}
	}
	return nil
}

// mergeDefaults gives c what it lacks of the defaults and notes it.
func mergeDefaults(c *corev1.Container, what string, requests, limits corev1.ResourceList, notes []string) []string {
	fill := func(into *corev1.ResourceList, from corev1.ResourceList) []string {
		var set []string
		for k, v := range from {
			if *into == nil {
				*into = corev1.ResourceList{}
			}
			if _, ok := (*into)[k]; !ok {
				(*into)[k] = v.DeepCopy()
				set = append(set, string(k))
			}
		}
		slices.Sort(set)
		return set
	}
	setLimits := fill(&c.Resources.Limits, limits)
	setRequests := fill(&c.Resources.Requests, requests)
	if len(setRequests) > 0 {
		notes = append(notes, fmt.Sprintf("%s request for %s %s", strings.Join(setRequests, ", "), what, c.Name))
	}
	if len(setLimits) > 0 {
		notes = append(notes, fmt.Sprintf("%s limit for %s %s", strings.Join(setLimits, ", "), what, c.Name))
	}
	return notes
}

// Validate refuses a Pod outside its namespace's LimitRanges.
func (p Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	pod, ranges, err := p.newPod(ctx, a)
	if err != nil || pod == nil {
		return err
	}
	var errs []error
	for i := range ranges {
		for _, item := range ranges[i].Spec.Limits {
			switch item.Type {
			case corev1.LimitTypeContainer:
				for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
					for _, c := range cs {
						errs = append(errs, check(item, c.Resources.Requests, c.Resources.Limits)...)
					}
				}
			case corev1.LimitTypePod:
				errs = append(errs, check(item, podTotal(pod, func(c corev1.Container) corev1.ResourceList { return c.Resources.Requests }),
					podTotal(pod, func(c corev1.Container) corev1.ResourceList { return c.Resources.Limits }))...)
			}
		}
	}
	if len(errs) > 0 {
		return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, utilerrors.NewAggregate(errs))
	}
	return nil
}

// podTotal is what a Pod needs of each resource: its containers' sum, or
// its largest init container's when that is more.
func podTotal(pod *corev1.Pod, of func(corev1.Container) corev1.ResourceList) corev1.ResourceList {
	total := corev1.ResourceList{}
	for _, c := range pod.Spec.Containers {
		for k, v := range of(c) {
			sum := total[k]
			sum.Add(v)
			total[k] = sum
		}
	}
	for _, c := range pod.Spec.InitContainers {
		for k, v := range of(c) {
			if cur, ok := total[k]; !ok || v.Cmp(cur) > 0 {
				total[k] = v.DeepCopy()
			}
		}
	}
	return total
}

// check applies one LimitRange item to requests and limits.
func check(item corev1.LimitRangeItem, requests, limits corev1.ResourceList) []error {
	var errs []error
	kind := string(item.Type)
	for name, enforced := range item.Min {
		req, hasReq := requests[name]
		lim, hasLim := limits[name]
		r, l, e := values(req, lim, enforced)
		switch {
		case !hasReq:
			errs = append(errs, fmt.Errorf("minimum %s usage per %s is %s.  No request is specified", name, kind, enforced.String()))
		case r < e:
			errs = append(errs, fmt.Errorf("minimum %s usage per %s is %s, but request is %s", name, kind, enforced.String(), req.String()))
		case hasLim && l < e:
			errs = append(errs, fmt.Errorf("minimum %s usage per %s is %s, but limit is %s", name, kind, enforced.String(), lim.String()))
		}
	}
	for name, enforced := range item.Max {
		req, hasReq := requests[name]
		lim, hasLim := limits[name]
		r, l, e := values(req, lim, enforced)
		switch {
		case !hasLim:
			errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s.  No limit is specified", name, kind, enforced.String()))
		case l > e:
			errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s, but limit is %s", name, kind, enforced.String(), lim.String()))
		case hasReq && r > e:
			errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s, but request is %s", name, kind, enforced.String(), req.String()))
		}
	}
	for name, enforced := range item.MaxLimitRequestRatio {
		req, hasReq := requests[name]
		lim, hasLim := limits[name]
		r, l, _ := values(req, lim, enforced)
		switch {
		case !hasReq || r == 0:
			errs = append(errs, fmt.Errorf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", name, kind, enforced.String()))
		case !hasLim || l == 0:
			errs = append(errs, fmt.Errorf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", name, kind, enforced.String()))
		default:
			ratio := float64(l) / float64(r)
			shown, max := ratio, float64(enforced.Value())
			if enforced.Value() <= resource.MaxMilliValue {
				ratio, max = ratio*1000, float64(enforced.MilliValue())
			}
			if ratio > max {
				errs = append(errs, fmt.Errorf("%s max limit to request ratio per %s is %s, but provided ratio is %f", name, kind, enforced.String(), shown))
			}
		}
	}
	return errs
}

// values are the request, limit and bound in one unit: thousandths when
// none would overflow, as kube compares them.
func values(req, lim, enforced resource.Quantity) (int64, int64, int64) {
	r, l, e := req.Value(), lim.Value(), enforced.Value()
	if r <= resource.MaxMilliValue && l <= resource.MaxMilliValue && e <= resource.MaxMilliValue {
		return req.MilliValue(), lim.MilliValue(), enforced.MilliValue()
	}
	return r, l, e
}
