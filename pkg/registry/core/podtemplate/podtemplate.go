// Package podtemplate is the core/v1 PodTemplate resource (podtemplates,
// namespaced) as kube-apiserver 1.31 serves it: kube's defaults and
// validation of the template, and kube's columns.
package podtemplate

import (
	"context"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/internal/workload"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the podtemplates resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("podtemplates"),
			Kind:                 "PodTemplate",
			ListKind:             "PodTemplateList",
			Singular:             "podtemplate",
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &corev1.PodTemplate{} },
		NewList:  func() runtime.Object { return &corev1.PodTemplateList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { core.DefaultPodTemplate(&obj.(*corev1.PodTemplate).Template) },
	}
}

// restartPolicies a Pod of a template may have, in kube's order.
var restartPolicies = []corev1.RestartPolicy{corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}

// Strategy is the PodTemplate rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// PrepareForCreate starts the generation at 1, as kube.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*corev1.PodTemplate).Generation = 1
}

// SpecChanged: a new template bumps the generation.
func (Strategy) SpecChanged(obj, old runtime.Object) bool {
	return !reflect.DeepEqual(obj.(*corev1.PodTemplate).Template, old.(*corev1.PodTemplate).Template)
}

// Validate checks the template.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return core.PodTemplate(&obj.(*corev1.PodTemplate).Template, field.NewPath("template"), restartPolicies)
}

// ValidateUpdate checks the new template.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return core.PodTemplate(&obj.(*corev1.PodTemplate).Template, field.NewPath("template"), restartPolicies)
}

// Table prints PodTemplates as kube-apiserver does: NAME, CONTAINERS,
// IMAGES, POD LABELS.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Containers", "Names of each container in the template."),
			tables.Column("Images", "Images referenced by each container in the template."),
			tables.Column("Pod Labels", "The labels for the pod template."),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			pt, ok := obj.(*corev1.PodTemplate)
			if !ok {
				return nil, fmt.Errorf("not a PodTemplate: %T", obj)
			}
			names, images := workload.Containers(pt.Template.Spec.Containers)
			return []interface{}{pt.Name, names, images, labels.FormatLabels(pt.Template.Labels)}, nil
		},
	}
}
