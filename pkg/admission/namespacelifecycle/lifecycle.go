// Package namespacelifecycle is kube-apiserver's NamespaceLifecycle
// admission plugin: no new object in a namespace that does not exist or is
// being deleted, and the namespaces every cluster relies on may not be
// deleted.
package namespacelifecycle

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/admission"
)

// Immortal are the namespaces that may not be deleted.
var Immortal = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic}

// Getter reads a namespace with a quorum read, so that a namespace deleted
// or marked a moment ago, perhaps through another replica, is seen.
type Getter func(ctx context.Context, name string) (*corev1.Namespace, error)

// Plugin is the NamespaceLifecycle plugin.
type Plugin struct {
	Namespaces Getter
}

var _ admission.MutationInterface = Plugin{}

// Name is the plugin's name on kube-apiserver's command line.
const Name = "NamespaceLifecycle"

var namespacesResource = corev1.SchemeGroupVersion.WithResource("namespaces")

// Admit refuses what NamespaceLifecycle refuses. It runs with the mutating
// plugins, before the type's validation, as in kube-apiserver: an invalid
// object in a missing namespace gets the 404.
func (p Plugin) Admit(ctx context.Context, a *admission.Attributes) error {
	if a.Resource == namespacesResource && a.Subresource == "" {
		if a.Operation == admission.Delete && slices.Contains(Immortal, a.Name) {
			return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, fmt.Errorf("this namespace may not be deleted"))
		}
		return nil
	}
	if a.Operation != admission.Create || a.Namespace == "" {
		return nil
	}
	ns, err := p.Namespaces(ctx, a.Namespace)
	if err != nil {
		return err
	}
	if ns.Status.Phase == corev1.NamespaceTerminating || ns.DeletionTimestamp != nil {
		return terminating(a.Namespace)
	}
	return nil
}

// terminating is kube-apiserver's Forbidden for new content in a namespace
// being deleted, with its cause.
func terminating(ns string) error {
	msg := fmt.Sprintf("unable to create new content in namespace %s because it is being terminated", ns)
	err := apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, ns, fmt.Errorf("%s", msg))
	err.ErrStatus.Message = msg
	err.ErrStatus.Details.Causes = []metav1.StatusCause{{
		Type:    corev1.NamespaceTerminatingCause,
		Message: fmt.Sprintf("namespace %s is being terminated", ns),
		Field:   "metadata.namespace",
	}}
	return err
}
