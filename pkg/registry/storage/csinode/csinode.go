// Package csinode is the storage.k8s.io/v1 CSINode resource (csinodes,
// cluster-scoped) as kube-apiserver 1.31 serves it: kube's validation of
// the drivers with its messages, and kube's columns.
package csinode

import (
	"context"
	"fmt"

	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/internal/workload"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the csinodes resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: storagev1.SchemeGroupVersion.WithResource("csinodes"),
			Kind:                 "CSINode",
			ListKind:             "CSINodeList",
			Singular:             "csinode",
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &storagev1.CSINode{} },
		NewList:  func() runtime.Object { return &storagev1.CSINodeList{} },
		Strategy: Strategy{},
		Table:    Table(),
	}
}

// Strategy is the CSINode rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// Validate checks a new CSINode.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*storagev1.CSINode))
}

// ValidateUpdate checks the new CSINode.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*storagev1.CSINode))
}

// Validate returns the errors of n, as kube's ValidateCSINode.
func Validate(n *storagev1.CSINode) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	fld := field.NewPath("spec", "drivers")
	for i, d := range n.Spec.Drivers {
		at := fld.Index(i)
		if d.Name == "" {
			errs = append(errs, field.Required(at.Child("name"), ""))
		} else {
			errs = append(errs, core.Names(validation.IsDNS1123Subdomain, d.Name, at.Child("name"))...)
		}
		if d.NodeID == "" {
			errs = append(errs, field.Required(at.Child("nodeID"), ""))
		}
		for j, k := range d.TopologyKeys {
			errs = append(errs, core.Names(validation.IsQualifiedName, k, at.Child("topologyKeys").Index(j))...)
		}
		if a := d.Allocatable; a != nil && a.Count != nil {
			errs = append(errs, workload.NonNegative(*a.Count, at.Child("allocatable", "count"))...)
		}
		if names.Has(d.Name) {
			errs = append(errs, field.Duplicate(at.Child("name"), d.Name))
		}
		names.Insert(d.Name)
	}
	return errs
}

// Table prints CSINodes as kube-apiserver does: NAME, DRIVERS, AGE.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			{Name: "Drivers", Type: "integer", Description: "Drivers indicates the number of CSI drivers registered on the node"},
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			n, ok := obj.(*storagev1.CSINode)
			if !ok {
				return nil, fmt.Errorf("not a CSINode: %T", obj)
			}
			return []interface{}{n.Name, int64(len(n.Spec.Drivers)), tables.Age(n.CreationTimestamp)}, nil
		},
	}
}
