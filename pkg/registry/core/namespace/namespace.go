package namespace

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

const (
	// FinalizerKubernetes is the finalizer every namespace gets on create;
	// the namespace lifecycle removes it after deleting the content.
	FinalizerKubernetes = corev1.FinalizerKubernetes
	// LabelMetadataName is the label holding the namespace's own name.
	LabelMetadataName = corev1.LabelMetadataName
)

// Verbs are the verbs of namespaces: the default ones but deletecollection.
var Verbs = []string{"create", "delete", "get", "list", "patch", "update", "watch"}

// SelectableFields are the field selectors of namespaces beyond
// metadata.name; metadata.namespace is not one.
var SelectableFields = []string{"status.phase"}

// ValidateName is the rule of namespace names, a DNS label, for the generic
// store.
func ValidateName(name string, prefix bool) []string {
	return metavalidation.ValidateNamespaceName(name, prefix)
}

// Type is the namespaces resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("namespaces"),
			Kind:                 "Namespace",
			ListKind:             "NamespaceList",
			Singular:             "namespace",
			ShortNames:           []string{"ns"},
			Verbs:                Verbs,
		},
		New:              func() runtime.Object { return &corev1.Namespace{} },
		NewList:          func() runtime.Object { return &corev1.NamespaceList{} },
		Strategy:         Strategy{},
		Attrs:            Attrs,
		SelectableFields: SelectableFields,
		Table:            Table(),
		ValidateName:     ValidateName,
	}
}

// Strategy is the Namespace rest.Strategy of the main resource.
type Strategy struct{}

var (
	_ rest.Strategy         = Strategy{}
	_ rest.GenerationPolicy = Strategy{}
)

// PrepareForCreate makes the namespace Active, with no other status, adds
// the kubernetes finalizer when missing and sets the name label.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	ns := obj.(*corev1.Namespace)
	ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
	if !HasFinalizer(ns, FinalizerKubernetes) {
		ns.Spec.Finalizers = append(ns.Spec.Finalizers, FinalizerKubernetes)
	}
	setNameLabel(ns)
}

// PrepareForUpdate keeps spec.finalizers and status, which only /finalize
// and /status change, and the name label.
func (Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	ns, o := obj.(*corev1.Namespace), old.(*corev1.Namespace)
	ns.Spec.Finalizers = o.Spec.Finalizers
	ns.Status = o.Status
	setNameLabel(ns)
}

// Validate checks spec.finalizers; the store checks the name.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return validateFinalizers(obj.(*corev1.Namespace), false)
}

// ValidateUpdate has nothing to check beyond metadata, which the store
// checks: what else could change is kept by PrepareForUpdate.
func (Strategy) ValidateUpdate(context.Context, runtime.Object, runtime.Object) field.ErrorList {
	return nil
}

// Canonicalize sets the name label again, for kube sets it whenever it
// decodes a namespace.
func (Strategy) Canonicalize(obj runtime.Object) {
	setNameLabel(obj.(*corev1.Namespace))
}

// AllowCreateOnUpdate is false: PUT of a missing namespace is a 404.
func (Strategy) AllowCreateOnUpdate() bool { return false }

// AllowUnconditionalUpdate is true: PUT without resourceVersion overwrites.
func (Strategy) AllowUnconditionalUpdate() bool { return true }

// SpecChanged is always false: kube-apiserver never bumps the
// metadata.generation of a namespace.
func (Strategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// setNameLabel labels ns with its name, as kube's defaulting does for every
// namespace it decodes, so clients can neither remove nor change it.
func setNameLabel(ns *corev1.Namespace) {
	if ns.Name == "" {
		return
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[LabelMetadataName] = ns.Name
}

// HasFinalizer reports whether spec.finalizers of ns holds f.
func HasFinalizer(ns *corev1.Namespace, f corev1.FinalizerName) bool {
	for _, g := range ns.Spec.Finalizers {
		if g == f {
			return true
		}
	}
	return false
}

// standardFinalizers may be written without a domain.
var standardFinalizers = map[string]bool{
	string(FinalizerKubernetes):      true,
	metav1.FinalizerOrphanDependents: true,
	metav1.FinalizerDeleteDependents: true,
}

// validateFinalizers checks each spec.finalizers entry: a qualified name,
// with a domain unless it is one of kube's standard finalizers. On create
// kube reports every error at spec.finalizers, on /finalize at
// spec.finalizers[i].
func validateFinalizers(ns *corev1.Namespace, indexed bool) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec", "finalizers")
	for i, f := range ns.Spec.Finalizers {
		fp := p
		if indexed {
			fp = p.Index(i)
		}
		errs = append(errs, metavalidation.ValidateFinalizerName(string(f), fp)...)
		if !strings.Contains(string(f), "/") && !standardFinalizers[string(f)] {
			errs = append(errs, field.Invalid(fp, string(f), "name is neither a standard finalizer name nor is it fully qualified"))
		}
	}
	return errs
}

// Attrs returns the labels of a namespace and its selectable fields,
// metadata.name and status.phase.
func Attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	ns, ok := obj.(*corev1.Namespace)
	if !ok {
		return nil, nil, fmt.Errorf("not a Namespace: %T", obj)
	}
	return ns.Labels, fields.Set{"metadata.name": ns.Name, "status.phase": string(ns.Status.Phase)}, nil
}

// Table prints namespaces as kube-apiserver does: NAME, STATUS (the phase)
// and AGE.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Status", "The status of the namespace"),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			ns, ok := obj.(*corev1.Namespace)
			if !ok {
				return nil, fmt.Errorf("not a Namespace: %T", obj)
			}
			return []interface{}{ns.Name, string(ns.Status.Phase), tables.Age(ns.CreationTimestamp)}, nil
		},
	}
}
