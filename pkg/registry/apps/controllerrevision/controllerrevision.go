// Package controllerrevision is the apps/v1 ControllerRevision resource
// (controllerrevisions, namespaced) as kube-apiserver 1.31 serves it: a
// revision number and data that never changes, and kube's columns.
package controllerrevision

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the controllerrevisions resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: appsv1.SchemeGroupVersion.WithResource("controllerrevisions"),
			Kind:                 "ControllerRevision",
			ListKind:             "ControllerRevisionList",
			Singular:             "controllerrevision",
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &appsv1.ControllerRevision{} },
		NewList:  func() runtime.Object { return &appsv1.ControllerRevisionList{} },
		Strategy: Strategy{},
		Table:    Table(),
	}
}

// Strategy is the ControllerRevision rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// Validate checks a new revision.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*appsv1.ControllerRevision))
}

// ValidateUpdate checks the new revision, whose data may not change.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	r, o := obj.(*appsv1.ControllerRevision), old.(*appsv1.ControllerRevision)
	errs := Validate(r)
	if !reflect.DeepEqual(r.Data.Raw, o.Data.Raw) {
		errs = append(errs, field.Invalid(field.NewPath("data"), core.Printed(fmt.Sprintf("%#v", runtime.RawExtension{Raw: r.Data.Raw})), "field is immutable"))
	}
	return errs
}

// Validate returns the errors of r, as kube's ValidateControllerRevision.
func Validate(r *appsv1.ControllerRevision) field.ErrorList {
	var errs field.ErrorList
	if r.Revision < 0 {
		errs = append(errs, field.Invalid(field.NewPath("revision"), r.Revision, "must be greater than or equal to 0"))
	}
	if len(r.Data.Raw) == 0 && r.Data.Object == nil {
		errs = append(errs, field.Required(field.NewPath("data"), "data is mandatory"))
	}
	return errs
}

// Table prints ControllerRevisions as kube-apiserver does: NAME,
// CONTROLLER (kind.group/name of the controller owner), REVISION, AGE.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Controller", "Controller of the object"),
			{Name: "Revision", Type: "string", Description: appsv1.ControllerRevision{}.SwaggerDoc()["revision"]},
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			r, ok := obj.(*appsv1.ControllerRevision)
			if !ok {
				return nil, fmt.Errorf("not a ControllerRevision: %T", obj)
			}
			controller := "<none>"
			if ref := metav1.GetControllerOf(r); ref != nil {
				gv, _ := schema.ParseGroupVersion(ref.APIVersion)
				controller = strings.ToLower(gv.WithKind(ref.Kind).GroupKind().String()) + "/" + ref.Name
			}
			return []interface{}{r.Name, controller, r.Revision, tables.Age(r.CreationTimestamp)}, nil
		},
	}
}
