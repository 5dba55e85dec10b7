package namespace

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/apiserver/apiserver/pkg/registry/core/internal/coretest"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables/tablestest"
)

// Causes below are kube-apiserver 1.31's answers to the same requests,
// pasted from its 422 Status.
const (
	labelMsg     = `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
	qualifiedMsg = `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`
	notQualified = `name is neither a standard finalizer name nor is it fully qualified`
)

func TestTypeInfo(t *testing.T) {
	// kube-apiserver 1.31 discovery: {"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace",
	// "verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["ns"]}
	want := rest.ResourceInfo{
		GroupVersionResource: corev1.SchemeGroupVersion.WithResource("namespaces"),
		Kind:                 "Namespace", ListKind: "NamespaceList", Singular: "namespace", ShortNames: []string{"ns"},
		Verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"},
	}
	typ := Type()
	if !reflect.DeepEqual(typ.Info, want) {
		t.Errorf("Info = %+v, want %+v", typ.Info, want)
	}
	if _, ok := typ.New().(*corev1.Namespace); !ok {
		t.Errorf("New() = %T", typ.New())
	}
	if _, ok := typ.NewList().(*corev1.NamespaceList); !ok {
		t.Errorf("NewList() = %T", typ.NewList())
	}
	if typ.Strategy.AllowCreateOnUpdate() || !typ.Strategy.AllowUnconditionalUpdate() {
		t.Error("namespaces: PUT may not create, may skip resourceVersion")
	}
	// kube: fieldSelector=status.phase works, metadata.namespace, spec.finalizers and name are 400s.
	if !reflect.DeepEqual(typ.SelectableFields, []string{"status.phase"}) {
		t.Errorf("SelectableFields = %v", typ.SelectableFields)
	}
	if FinalizerKubernetes != "kubernetes" || LabelMetadataName != "kubernetes.io/metadata.name" {
		t.Error("constants differ from kube's")
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name   string
		prefix bool
		want   []string
	}{
		{name: "default"},
		{name: "Bad_Name", want: []string{labelMsg}},
		{name: "a.b", want: []string{"must not contain dots"}},
		{name: strings.Repeat("a", 64), want: []string{"must be no more than 63 characters"}},
		{name: "Foo.", prefix: true, want: []string{labelMsg}},
		{name: "foo-", prefix: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidateName(tc.name, tc.prefix); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ValidateName = %q, want %q", got, tc.want)
			}
		})
	}
}

func ns(name string, finalizers ...corev1.FinalizerName) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NamespaceSpec{Finalizers: finalizers}}
}

func TestPrepareForCreate(t *testing.T) {
	tests := []struct {
		name string
		obj  *corev1.Namespace
		want string
	}{
		{
			// kube: {"spec":{"finalizers":["foo.io/x","kubernetes"]},"status":{"phase":"Active"}} for a
			// namespace sent with finalizers [foo.io/x] and phase Terminating.
			name: "status reset, finalizer appended",
			obj: func() *corev1.Namespace {
				n := ns("ns1", "foo.io/x")
				n.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating, Conditions: []corev1.NamespaceCondition{{Type: "X"}}}
				return n
			}(),
			want: `{"metadata":{"name":"ns1","labels":{"kubernetes.io/metadata.name":"ns1"}},"spec":{"finalizers":["foo.io/x","kubernetes"]},"status":{"phase":"Active"}}`,
		},
		{name: "finalizer kept", obj: ns("ns2", "kubernetes", "a.io/b"), want: `{"metadata":{"name":"ns2","labels":{"kubernetes.io/metadata.name":"ns2"}},"spec":{"finalizers":["kubernetes","a.io/b"]},"status":{"phase":"Active"}}`},
		{
			name: "label overwritten",
			obj: func() *corev1.Namespace {
				n := ns("ns3")
				n.Labels = map[string]string{LabelMetadataName: "zzz", "a": "b"}
				return n
			}(),
			want: `{"metadata":{"name":"ns3","labels":{"a":"b","kubernetes.io/metadata.name":"ns3"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			Type().Strategy.PrepareForCreate(context.Background(), tc.obj)
			b, _ := json.Marshal(tc.obj)
			if string(b) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b, tc.want)
			}
		})
	}
}

func TestPrepareForUpdate(t *testing.T) {
	// kube: a PUT with finalizers [] and phase Terminating, and a changed name label, keeps
	// finalizers [foo.io/x], the old status and the label.
	old := ns("ns1", "foo.io/x")
	old.Status.Phase = corev1.NamespaceActive
	obj := ns("ns1")
	obj.Labels = map[string]string{"a": "b", LabelMetadataName: "zzz"}
	obj.Status.Phase = corev1.NamespaceTerminating
	Type().Strategy.PrepareForUpdate(context.Background(), obj, old)
	b, _ := json.Marshal(obj)
	if want := `{"metadata":{"name":"ns1","labels":{"a":"b","kubernetes.io/metadata.name":"ns1"}},"spec":{"finalizers":["foo.io/x"]},"status":{"phase":"Active"}}`; string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	if errs := Type().Strategy.ValidateUpdate(context.Background(), obj, old); len(errs) != 0 {
		t.Errorf("ValidateUpdate: %v", errs)
	}
}

func TestCanonicalizeLabelsGeneratedName(t *testing.T) {
	n := ns("gen-abcde")
	Type().Strategy.Canonicalize(n)
	if n.Labels[LabelMetadataName] != "gen-abcde" {
		t.Errorf("labels = %v", n.Labels)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		obj  *corev1.Namespace
		want []string
	}{
		{name: "standard and qualified finalizers", obj: ns("ns1", "kubernetes", "orphan", "foregroundDeletion", "foo.io/x")},
		{
			name: "finalizer with a space",
			obj:  ns("ns2", "bad finalizer"),
			want: []string{
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad finalizer\": ` + qualifiedMsg + `","field":"spec.finalizers"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad finalizer\": ` + notQualified + `","field":"spec.finalizers"}`,
			},
		},
		{
			name: "finalizer without a domain",
			obj:  ns("ns3", "foo"),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"foo\": ` + notQualified + `","field":"spec.finalizers"}`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Type().Strategy
			s.PrepareForCreate(context.Background(), tc.obj)
			coretest.ExpectCauses(t, s.Validate(context.Background(), tc.obj), tc.want...)
		})
	}
}

func TestStatusStrategy(t *testing.T) {
	now := metav1.Now()
	old := ns("ns1", "foo.io/x", "kubernetes")
	old.Status.Phase = corev1.NamespaceActive
	deleting := old.DeepCopy()
	deleting.DeletionTimestamp = &now
	tests := []struct {
		name   string
		old    *corev1.Namespace
		status corev1.NamespaceStatus
		want   []string
		phase  corev1.NamespacePhase
	}{
		{
			name: "terminating while not deleted", old: old, status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating},
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"Terminating\": may only be 'Active' if ` + "`deletionTimestamp`" + ` is empty","field":"status.Phase"}`},
		},
		{name: "empty phase is Active", old: old, status: corev1.NamespaceStatus{}, phase: corev1.NamespaceActive},
		{name: "conditions", old: old, status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive, Conditions: []corev1.NamespaceCondition{{Type: "NamespaceDeletionDiscoveryFailure", Status: "False"}}}, phase: corev1.NamespaceActive},
		{name: "terminating while deleted", old: deleting, status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}, phase: corev1.NamespaceTerminating},
		{
			name: "active while deleted", old: deleting, status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"Active\": may only be 'Terminating' if ` + "`deletionTimestamp`" + ` is not empty","field":"status.Phase"}`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj := ns("ns1") // a new spec, ignored
			obj.DeletionTimestamp = tc.old.DeletionTimestamp
			obj.Status = tc.status
			s := StatusStrategy()
			s.PrepareForUpdate(context.Background(), obj, tc.old)
			coretest.ExpectCauses(t, s.ValidateUpdate(context.Background(), obj, tc.old), tc.want...)
			if !reflect.DeepEqual(obj.Spec, tc.old.Spec) {
				t.Errorf("spec = %v, want the old one", obj.Spec)
			}
			if tc.want == nil && obj.Status.Phase != tc.phase {
				t.Errorf("phase = %q, want %q", obj.Status.Phase, tc.phase)
			}
		})
	}
}

func TestFinalizeStrategy(t *testing.T) {
	old := ns("ns1", "foo.io/x", "kubernetes")
	old.Status.Phase = corev1.NamespaceTerminating
	tests := []struct {
		name       string
		finalizers []corev1.FinalizerName
		want       []string
	}{
		{name: "remove kubernetes", finalizers: []corev1.FinalizerName{"foo.io/x"}},
		{name: "remove all"},
		{
			// kube's answer to finalizers ["bad one", "foo", "kubernetes"].
			name:       "bad finalizers",
			finalizers: []corev1.FinalizerName{"bad one", "foo", "kubernetes"},
			want: []string{
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad one\": ` + qualifiedMsg + `","field":"spec.finalizers[0]"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad one\": ` + notQualified + `","field":"spec.finalizers[0]"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"foo\": ` + notQualified + `","field":"spec.finalizers[1]"}`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj := ns("ns1", tc.finalizers...)
			obj.Status.Phase = corev1.NamespaceActive // ignored
			s := FinalizeStrategy()
			s.PrepareForUpdate(context.Background(), obj, old)
			coretest.ExpectCauses(t, s.ValidateUpdate(context.Background(), obj, old), tc.want...)
			if obj.Status.Phase != corev1.NamespaceTerminating {
				t.Errorf("status changed through /finalize: %v", obj.Status)
			}
			if !reflect.DeepEqual(obj.Spec.Finalizers, tc.finalizers) {
				t.Errorf("finalizers = %v, want %v", obj.Spec.Finalizers, tc.finalizers)
			}
		})
	}
}

func TestAttrs(t *testing.T) {
	n := ns("ns1")
	Type().Strategy.PrepareForCreate(context.Background(), n)
	l, f, err := Type().Attrs(n)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l, labels.Set{LabelMetadataName: "ns1"}) || !reflect.DeepEqual(f, fields.Set{"metadata.name": "ns1", "status.phase": "Active"}) {
		t.Errorf("Attrs = %v, %v", l, f)
	}
	if _, _, err := Attrs(&corev1.Secret{}); err == nil {
		t.Error("Attrs of a Secret: no error")
	}
}

func TestGenerationNeverBumped(t *testing.T) {
	if Type().Strategy.(rest.GenerationPolicy).SpecChanged(ns("a", "x.io/y"), ns("a")) {
		t.Error("a namespace's generation does not move in kube-apiserver")
	}
}

func TestTable(t *testing.T) {
	tablestest.ExpectColumns(t, Table().Columns, "testdata/kube-1.31-columns.json")
	created := metav1.NewTime(time.Now().Add(-20 * time.Minute))
	// kube-apiserver: ["default", "Active", "5m55s"] and ["ns1", "Terminating", "3m37s"].
	active, terminating := ns("default"), ns("ns1")
	active.Status.Phase, terminating.Status.Phase = corev1.NamespaceActive, corev1.NamespaceTerminating
	list := &corev1.NamespaceList{ListMeta: metav1.ListMeta{ResourceVersion: "197"}, Items: []corev1.Namespace{*active, *terminating, *ns("new")}}
	for i := range list.Items {
		list.Items[i].CreationTimestamp = created
	}
	table, err := Type().Table.ConvertToTable(context.Background(), list, &metav1.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range table.Rows {
		got = append(got, tablestest.CellsJSON(t, r.Cells))
	}
	want := []string{`["default","Active","20m"]`, `["ns1","Terminating","20m"]`, `["new","","20m"]`}
	if !reflect.DeepEqual(got, want) || table.ResourceVersion != "197" {
		t.Errorf("rows = %v (rv %q), want %v", got, table.ResourceVersion, want)
	}
}
