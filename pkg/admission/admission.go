// Package admission is the chain of plugins every write passes through
// after it is decoded and before it is stored: mutating plugins first, in
// order, then validating ones. The generic store runs the chain inside its
// update retry loop, so plugins always see the object about to be written
// and the one stored now. Webhooks and CEL policies are further plugins.
package admission

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/auth/user"
)

// Operation is what a request does to an object, as admission names it.
type Operation string

// The operations, spelled as kube-apiserver's admission reviews spell them.
const (
	Create  Operation = "CREATE"
	Update  Operation = "UPDATE"
	Delete  Operation = "DELETE"
	Connect Operation = "CONNECT"
)

// Attributes describe one write.
type Attributes struct {
	Operation   Operation
	Kind        schema.GroupVersionKind
	Resource    schema.GroupVersionResource
	Subresource string
	Namespace   string
	Name        string
	// Object is the object to be written (nil on delete); mutating plugins
	// may change it.
	Object runtime.Object
	// OldObject is the stored object (nil on create).
	OldObject runtime.Object
	// User made the request; nil for the server's own writes.
	User   *user.Info
	DryRun bool
	// Default, when set, applies the type's defaults to an object, as
	// decoding a request does: a webhook's patched object is defaulted
	// again.
	Default func(obj runtime.Object)
}

// MutationInterface is a plugin that may change the object.
type MutationInterface interface {
	Admit(ctx context.Context, a *Attributes) error
}

// ValidationInterface is a plugin that only accepts or refuses.
type ValidationInterface interface {
	Validate(ctx context.Context, a *Attributes) error
}

// Interface is what the store runs: every mutating plugin, then (after the
// type's own validation) every validating one.
type Interface interface {
	MutationInterface
	ValidationInterface
}

// Chain is a list of plugins, each a MutationInterface, a
// ValidationInterface or both; the first error ends a phase.
type Chain []any

var _ Interface = Chain(nil)

// Admit runs the mutating plugins in order.
func (c Chain) Admit(ctx context.Context, a *Attributes) error {
	for _, p := range c {
		if m, ok := p.(MutationInterface); ok {
			if err := m.Admit(ctx, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// Validate runs the validating plugins in order.
func (c Chain) Validate(ctx context.Context, a *Attributes) error {
	for _, p := range c {
		if v, ok := p.(ValidationInterface); ok {
			if err := v.Validate(ctx, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// IsConfiguration reports whether a writes admission's own configuration
// (admissionregistration.k8s.io: webhook configurations, policies and
// their bindings), which no webhook or policy is run for, as in kube: a
// broken webhook or policy can always be removed.
func IsConfiguration(a *Attributes) bool { return a.Resource.Group == "admissionregistration.k8s.io" }
