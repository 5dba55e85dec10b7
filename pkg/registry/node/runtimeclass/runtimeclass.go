// Package runtimeclass is the node.k8s.io/v1 RuntimeClass resource
// (runtimeclasses, cluster-scoped) as kube-apiserver 1.31 serves it: the
// handler is a DNS label and never changes; the pod overhead is a
// container resource list; scheduling's node selector and tolerations are
// validated as a Pod's (with kube's paths, quirks included). It prints as
// NAME, HANDLER, AGE.
package runtimeclass

import (
	"context"
	"fmt"

	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the runtimeclasses resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: nodev1.SchemeGroupVersion.WithResource("runtimeclasses"),
			Kind:                 "RuntimeClass",
			ListKind:             "RuntimeClassList",
			Singular:             "runtimeclass",
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &nodev1.RuntimeClass{} },
		NewList:  func() runtime.Object { return &nodev1.RuntimeClassList{} },
		Strategy: Strategy{},
		Table:    Table(),
	}
}

// Strategy is the RuntimeClass rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// Validate checks the handler, overhead and scheduling.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*nodev1.RuntimeClass))
}

// ValidateUpdate refuses a new handler, then validates the new class.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	rc, o := obj.(*nodev1.RuntimeClass), old.(*nodev1.RuntimeClass)
	var errs field.ErrorList
	if rc.Handler != o.Handler {
		errs = append(errs, field.Invalid(field.NewPath("handler"), rc.Handler, "field is immutable"))
	}
	return append(errs, Validate(rc)...)
}

// Validate returns the errors of rc, as kube's ValidateRuntimeClass.
func Validate(rc *nodev1.RuntimeClass) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(rc.Handler) {
		errs = append(errs, field.Invalid(field.NewPath("handler"), rc.Handler, msg))
	}
	if rc.Overhead != nil {
		// kube reports the pod overhead at overhead.limits.
		errs = append(errs, core.ContainerResources(rc.Overhead.PodFixed, field.NewPath("overhead", "limits"))...)
	}
	if s := rc.Scheduling; s != nil {
		p := field.NewPath("scheduling")
		errs = append(errs, core.NodeSelector(s.NodeSelector, p.Child("nodeSelector"))...)
		// kube names the tolerations twice in their path.
		errs = append(errs, core.Tolerations(s.Tolerations, p.Child("tolerations", "tolerations"), p.Child("tolerations"))...)
	}
	return errs
}

// Table prints RuntimeClasses as kube-apiserver does: NAME, HANDLER, AGE.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Handler", nodev1.RuntimeClass{}.SwaggerDoc()["handler"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			rc, ok := obj.(*nodev1.RuntimeClass)
			if !ok {
				return nil, fmt.Errorf("not a RuntimeClass: %T", obj)
			}
			return []interface{}{rc.Name, rc.Handler, tables.Age(rc.CreationTimestamp)}, nil
		},
	}
}
