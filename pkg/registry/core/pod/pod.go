// Package pod is the core/v1 Pod resource (pods, namespaced, short name
// po, category all) as kube-apiserver 1.31 serves it with no kubelet:
// kube's defaults, validation and columns, a spec that updates only where
// kube lets it, graceful deletion once a Pod is on a node, and the
// subresources status, binding, eviction (against PodDisruptionBudgets),
// ephemeralcontainers, and log, exec, attach, portforward and proxy, which
// reach for the Pod's node or address as kube-apiserver does.
package pod

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Type is the pods resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("pods"),
			Kind:                 "Pod",
			ListKind:             "PodList",
			Singular:             "pod",
			ShortNames:           []string{"po"},
			Categories:           []string{"all"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &corev1.Pod{} },
		NewList:  func() runtime.Object { return &corev1.PodList{} },
		Strategy: Strategy{},
		Attrs:    Attrs,
		SelectableFields: []string{
			"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
			"spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
		},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*corev1.Pod)) },
	}
}

// StatusType is the type of pods/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// EphemeralContainersType is the type of pods/ephemeralcontainers.
func EphemeralContainersType() rest.Type { return Type().WithStrategy(ephemeralStrategy{}) }

// Attrs returns a Pod's labels and the fields kube lets clients select
// Pods by.
func Attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil, fmt.Errorf("not a Pod: %T", obj)
	}
	ip := ""
	if len(p.Status.PodIPs) > 0 {
		ip = p.Status.PodIPs[0].IP
	}
	return p.Labels, fields.Set{
		"metadata.name":            p.Name,
		"metadata.namespace":       p.Namespace,
		"spec.nodeName":            p.Spec.NodeName,
		"spec.restartPolicy":       string(p.Spec.RestartPolicy),
		"spec.schedulerName":       p.Spec.SchedulerName,
		"spec.serviceAccountName":  p.Spec.ServiceAccountName,
		"spec.hostNetwork":         strconv.FormatBool(p.Spec.HostNetwork),
		"status.phase":             string(p.Status.Phase),
		"status.podIP":             ip,
		"status.nominatedNodeName": p.Status.NominatedNodeName,
	}, nil
}

// Default applies kube's defaults of a Pod: those of every Pod template,
// then requests taken from limits where a container sets none, service
// links on, and the deprecated serviceAccount field mirroring
// serviceAccountName (kube's conversion keeps them equal).
func Default(p *corev1.Pod) {
	t := corev1.PodTemplateSpec{Spec: p.Spec}
	core.DefaultPodTemplate(&t)
	p.Spec = t.Spec
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			requestsFromLimits(&cs[i].Resources)
		}
	}
	if p.Spec.EnableServiceLinks == nil {
		on := corev1.DefaultEnableServiceLinks
		p.Spec.EnableServiceLinks = &on
	}
	if p.Spec.ServiceAccountName == "" {
		p.Spec.ServiceAccountName = p.Spec.DeprecatedServiceAccount
	}
	p.Spec.DeprecatedServiceAccount = p.Spec.ServiceAccountName
	for i := range p.Spec.EphemeralContainers {
		c := &p.Spec.EphemeralContainers[i]
		t := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{corev1.Container(c.EphemeralContainerCommon)}}}
		core.DefaultPodTemplate(&t)
		c.EphemeralContainerCommon = corev1.EphemeralContainerCommon(t.Spec.Containers[0])
	}
	// The singular address and the list mirror each other, as kube's
	// conversion keeps them; the singular one wins when they differ, for
	// older clients.
	st := &p.Status
	if st.PodIP != "" && (len(st.PodIPs) == 0 || st.PodIPs[0].IP != st.PodIP) {
		st.PodIPs = []corev1.PodIP{{IP: st.PodIP}}
	}
	if len(st.PodIPs) > 0 {
		st.PodIP = st.PodIPs[0].IP
	}
	if st.HostIP != "" && (len(st.HostIPs) == 0 || st.HostIPs[0].IP != st.HostIP) {
		st.HostIPs = []corev1.HostIP{{IP: st.HostIP}}
	}
	if len(st.HostIPs) > 0 {
		st.HostIP = st.HostIPs[0].IP
	}
}

func requestsFromLimits(r *corev1.ResourceRequirements) {
	for name, limit := range r.Limits {
		if _, ok := r.Requests[name]; ok {
			continue
		}
		if r.Requests == nil {
			r.Requests = corev1.ResourceList{}
		}
		r.Requests[name] = limit.DeepCopy()
	}
}

// QOSClass is the quality of service kube gives a Pod from the cpu and
// memory its containers ask for: Guaranteed when every container limits
// both and asks for what it limits, BestEffort when none asks or limits
// anything, Burstable otherwise.
func QOSClass(p *corev1.Pod) corev1.PodQOSClass {
	requests, limits := corev1.ResourceList{}, corev1.ResourceList{}
	guaranteed := true
	add := func(sum corev1.ResourceList, name corev1.ResourceName, q resource.Quantity) {
		if v, ok := sum[name]; ok {
			q.Add(v)
		}
		sum[name] = q
	}
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			for name, q := range c.Resources.Requests {
				if qosResource(name) && q.Sign() > 0 {
					add(requests, name, q.DeepCopy())
				}
			}
			found := 0
			for name, q := range c.Resources.Limits {
				if qosResource(name) && q.Sign() > 0 {
					add(limits, name, q.DeepCopy())
					found++
				}
			}
			if found < 2 {
				guaranteed = false
			}
		}
	}
	if len(requests) == 0 && len(limits) == 0 {
		return corev1.PodQOSBestEffort
	}
	if guaranteed && len(requests) == len(limits) {
		for name, req := range requests {
			if lim, ok := limits[name]; !ok || lim.Cmp(req) != 0 {
				return corev1.PodQOSBurstable
			}
		}
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

func qosResource(name corev1.ResourceName) bool {
	return name == corev1.ResourceCPU || name == corev1.ResourceMemory
}

// Strategy is the Pod rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

var _ rest.Graceful = Strategy{}

// PrepareForCreate starts a Pod Pending with its QoS class; a client does
// not write status on create.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	p := obj.(*corev1.Pod)
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: QOSClass(p)}
}

// PrepareForUpdate keeps the stored status.
func (Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	obj.(*corev1.Pod).Status = old.(*corev1.Pod).Status
}

// Validate checks a new Pod.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return validateCreate(obj.(*corev1.Pod))
}

// ValidateUpdate checks the new Pod and what its spec may change.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validateUpdate(obj.(*corev1.Pod), old.(*corev1.Pod))
}

// GracePeriod is how long a Pod's kubelet has to stop it: the delete's
// period, else the one a delete already gave, else the spec's; none for
// a Pod on no node or one that has ended, as no kubelet runs it.
func (Strategy) GracePeriod(obj runtime.Object, opts *metav1.DeleteOptions) int64 {
	p := obj.(*corev1.Pod)
	period := int64(corev1.DefaultTerminationGracePeriodSeconds)
	switch {
	case opts != nil && opts.GracePeriodSeconds != nil:
		period = *opts.GracePeriodSeconds
	case p.DeletionGracePeriodSeconds != nil:
		period = *p.DeletionGracePeriodSeconds
	case p.Spec.TerminationGracePeriodSeconds != nil:
		period = *p.Spec.TerminationGracePeriodSeconds
	}
	if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return 0
	}
	if period < 0 {
		return 1
	}
	return period
}

// statusStrategy writes pods/status: the stored spec stays.
type statusStrategy struct{ rest.StatusStrategy }

// ValidateUpdate checks the status as kube does where it matters to
// clients: a known phase.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return validateStatus(&obj.(*corev1.Pod).Status)
}

// ephemeralStrategy writes pods/ephemeralcontainers: only
// spec.ephemeralContainers changes.
type ephemeralStrategy struct{ rest.PlainStrategy }

// PrepareForUpdate keeps everything but the ephemeral containers.
func (ephemeralStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	p, o := obj.(*corev1.Pod), old.(*corev1.Pod)
	ephemeral := p.Spec.EphemeralContainers
	p.Spec = *o.Spec.DeepCopy()
	p.Spec.EphemeralContainers = ephemeral
	p.Status = o.Status
}

// ValidateUpdate checks the ephemeral containers and that the ones there
// before are unchanged.
func (ephemeralStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validateEphemeralUpdate(obj.(*corev1.Pod), old.(*corev1.Pod))
}
