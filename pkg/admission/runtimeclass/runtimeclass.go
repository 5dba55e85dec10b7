// Package runtimeclass is kube-apiserver's RuntimeClass admission plugin:
// a new Pod naming a RuntimeClass must name one that exists, takes its
// overhead (or states the same one) and its scheduling constraints (node
// selector and tolerations, which must not conflict with the Pod's own).
package runtimeclass

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/apiserver/apiserver/pkg/admission"
)

// Name is the plugin's name on kube-apiserver's command line.
const Name = "RuntimeClass"

// Getter reads a RuntimeClass with a quorum read.
type Getter func(ctx context.Context, name string) (*nodev1.RuntimeClass, error)

// Plugin is the RuntimeClass plugin.
type Plugin struct {
	RuntimeClasses Getter
}

var _ admission.Interface = Plugin{}

var pods = corev1.SchemeGroupVersion.WithResource("pods")

// runtimeClassOf returns the class a new Pod names; nil when the request
// is not the creation of a Pod that names one.
func (p Plugin) runtimeClassOf(ctx context.Context, a *admission.Attributes) (*corev1.Pod, *nodev1.RuntimeClass, error) {
	if a.Resource != pods || a.Subresource != "" || a.Operation != admission.Create {
		return nil, nil, nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok || pod.Spec.RuntimeClassName == nil || *pod.Spec.RuntimeClassName == "" {
		return nil, nil, nil
	}
	rc, err := p.RuntimeClasses(ctx, *pod.Spec.RuntimeClassName)
	if apierrors.IsNotFound(err) {
		return nil, nil, forbidden(a, fmt.Errorf("pod rejected: RuntimeClass %q not found", *pod.Spec.RuntimeClassName))
	}
	if err != nil {
		return nil, nil, err
	}
	return pod, rc, nil
}

func forbidden(a *admission.Attributes, err error) error {
	return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, err)
}

// Admit sets the class's overhead and scheduling constraints on the Pod.
func (p Plugin) Admit(ctx context.Context, a *admission.Attributes) error {
	pod, rc, err := p.runtimeClassOf(ctx, a)
	if err != nil || rc == nil {
		return err
	}
	if rc.Overhead != nil && pod.Spec.Overhead == nil {
		pod.Spec.Overhead = rc.Overhead.PodFixed.DeepCopy()
	}
	if s := rc.Scheduling; s != nil {
		if len(s.NodeSelector) > 0 {
			if pod.Spec.NodeSelector == nil {
				pod.Spec.NodeSelector = map[string]string{}
			}
			for k, v := range s.NodeSelector {
				if have, ok := pod.Spec.NodeSelector[k]; ok && have != v {
					return forbidden(a, fmt.Errorf("conflict: runtimeClass.scheduling.nodeSelector[%s] = %s; pod.spec.nodeSelector[%s] = %s", k, v, k, have))
				}
				pod.Spec.NodeSelector[k] = v
			}
		}
		for _, t := range s.Tolerations {
			if !slices.ContainsFunc(pod.Spec.Tolerations, func(have corev1.Toleration) bool { return reflect.DeepEqual(have, t) }) {
				pod.Spec.Tolerations = append(pod.Spec.Tolerations, t)
			}
		}
	}
	return nil
}

// Validate refuses an overhead that is not the class's.
func (p Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	pod, rc, err := p.runtimeClassOf(ctx, a)
	if err != nil {
		return err
	}
	if rc == nil {
		if pod, ok := a.Object.(*corev1.Pod); ok && a.Resource == pods && a.Subresource == "" && a.Operation == admission.Create &&
			pod.Spec.Overhead != nil && (pod.Spec.RuntimeClassName == nil || *pod.Spec.RuntimeClassName == "") {
			return forbidden(a, fmt.Errorf("pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"))
		}
		return nil
	}
	switch {
	case rc.Overhead == nil && pod.Spec.Overhead != nil:
		return forbidden(a, fmt.Errorf("pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"))
	case rc.Overhead != nil && !apiequality.Semantic.DeepEqual(rc.Overhead.PodFixed, pod.Spec.Overhead):
		return forbidden(a, fmt.Errorf("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"))
	}
	return nil
}
