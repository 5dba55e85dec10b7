package lease

import (
	"reflect"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

func TestTypeInfo(t *testing.T) {
	// kube-apiserver 1.31 discovery: {"name":"leases","singularName":"lease","namespaced":true,"kind":"Lease",
	// "verbs":["create","delete","deletecollection","get","list","patch","update","watch"]}
	want := rest.ResourceInfo{
		GroupVersionResource: coordinationv1.SchemeGroupVersion.WithResource("leases"),
		Kind:                 "Lease", ListKind: "LeaseList", Singular: "lease", Namespaced: true,
		Verbs: []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"},
	}
	typ := Type()
	if !reflect.DeepEqual(typ.Info, want) {
		t.Errorf("Info = %+v, want %+v", typ.Info, want)
	}
	// kube-apiserver 1.31: PUT of a missing lease creates it; PUT without
	// resourceVersion is a 422.
	if !typ.Strategy.AllowCreateOnUpdate() || typ.Strategy.AllowUnconditionalUpdate() {
		t.Error("leases: PUT may create and needs a resourceVersion")
	}
}

func TestValidateSpec(t *testing.T) {
	// Messages are kube-apiserver 1.31's for the same specs.
	tests := []struct {
		name string
		spec coordinationv1.LeaseSpec
		want []string
	}{
		{name: "empty"},
		{name: "valid", spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("a"), LeaseDurationSeconds: ptr.To[int32](15), LeaseTransitions: ptr.To[int32](0)}},
		{name: "zero duration", spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: ptr.To[int32](0)},
			want: []string{"spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"}},
		{name: "both", spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: ptr.To[int32](-5), LeaseTransitions: ptr.To[int32](-1)},
			want: []string{
				"spec.leaseDurationSeconds: Invalid value: -5: must be greater than 0",
				"spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range ValidateSpec(&tc.spec, field.NewPath("spec")) {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAlphaFieldsDropped(t *testing.T) {
	l := &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{
		Strategy: ptr.To(coordinationv1.OldestEmulationVersion), PreferredHolder: ptr.To("b"), HolderIdentity: ptr.To("a"),
	}}
	Strategy{}.PrepareForCreate(t.Context(), l)
	if l.Spec.Strategy != nil || l.Spec.PreferredHolder != nil || *l.Spec.HolderIdentity != "a" {
		t.Errorf("spec after create = %+v", l.Spec)
	}
	l.Spec.Strategy = ptr.To(coordinationv1.OldestEmulationVersion)
	Strategy{}.PrepareForUpdate(t.Context(), l, l.DeepCopy())
	if l.Spec.Strategy != nil {
		t.Errorf("strategy kept on update")
	}
}

func TestTable(t *testing.T) {
	l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "leader", CreationTimestamp: metav1.Now()},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("pod-1")}}
	table, err := Table().ConvertToTable(t.Context(), &coordinationv1.LeaseList{Items: []coordinationv1.Lease{*l, {ObjectMeta: metav1.ObjectMeta{Name: "free"}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range table.ColumnDefinitions {
		names = append(names, c.Name)
	}
	if !reflect.DeepEqual(names, []string{"Name", "Holder", "Age"}) {
		t.Errorf("columns = %v", names)
	}
	if got := table.Rows[0].Cells[:2]; got[0] != "leader" || got[1] != "pod-1" {
		t.Errorf("row = %v", table.Rows[0].Cells)
	}
	if got := table.Rows[1].Cells[1]; got != "" {
		t.Errorf("holder of a free lease = %v", got)
	}
}
