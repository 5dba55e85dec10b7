package configmap

import (
	"context"
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

// Causes below are kube-apiserver 1.31's answers to the same objects,
// pasted from its 422 Status. Where several keys are wrong kube reports
// them in map order, which varies; ours are sorted.
const (
	badKeyMsg = `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`
	immutable = `{"reason":"FieldValueForbidden","message":"Forbidden: field is immutable when ` + "`immutable`" + ` is set","field":"%s"}`
)

func forbidden(path string) string { return strings.Replace(immutable, "%s", path, 1) }

func TestTypeInfo(t *testing.T) {
	// kube-apiserver 1.31 discovery: {"name":"configmaps","singularName":"configmap","namespaced":true,
	// "kind":"ConfigMap","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["cm"]}
	want := rest.ResourceInfo{
		GroupVersionResource: corev1.SchemeGroupVersion.WithResource("configmaps"),
		Kind:                 "ConfigMap", ListKind: "ConfigMapList", Singular: "configmap",
		ShortNames: []string{"cm"}, Namespaced: true,
		Verbs: []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"},
	}
	typ := Type()
	if !reflect.DeepEqual(typ.Info, want) {
		t.Errorf("Info = %+v, want %+v", typ.Info, want)
	}
	if _, ok := typ.New().(*corev1.ConfigMap); !ok {
		t.Errorf("New() = %T", typ.New())
	}
	if _, ok := typ.NewList().(*corev1.ConfigMapList); !ok {
		t.Errorf("NewList() = %T", typ.NewList())
	}
	s := typ.Strategy
	if s.AllowCreateOnUpdate() || !s.AllowUnconditionalUpdate() {
		t.Error("configmaps: PUT may not create, may skip resourceVersion")
	}
	if typ.SelectableFields != nil {
		t.Errorf("SelectableFields = %v, want none beyond metadata", typ.SelectableFields)
	}
}

func cm(data map[string]string, binary map[string][]byte) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c1", Namespace: "default"}, Data: data, BinaryData: binary}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		obj  *corev1.ConfigMap
		want []string
	}{
		{name: "empty", obj: cm(nil, nil)},
		{name: "valid keys", obj: cm(map[string]string{"a": "1", "key.name": "", "KEY_NAME": "", "key-name": "", ".dot": ""}, map[string][]byte{"b": {1}})},
		{
			name: "bad keys",
			obj:  cm(map[string]string{"bad key": "1", "..": "x", "a/b": "y"}, nil),
			want: []string{
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"..\": must not be '..'","field":"data[..]"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"a/b\": ` + badKeyMsg + `","field":"data[a/b]"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad key\": ` + badKeyMsg + `","field":"data[bad key]"}`,
			},
		},
		{
			name: "empty key",
			obj:  cm(map[string]string{"": "1"}, nil),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": ` + badKeyMsg + `","field":"data[]"}`},
		},
		{
			name: "long key",
			obj:  cm(map[string]string{strings.Repeat("k", 254): "1"}, nil),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"` + strings.Repeat("k", 254) + `\": must be no more than 253 characters","field":"data[` + strings.Repeat("k", 254) + `]"}`},
		},
		{
			name: "bad binary key",
			obj:  cm(nil, map[string][]byte{"bad key": {1}}),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad key\": ` + badKeyMsg + `","field":"binaryData[bad key]"}`},
		},
		{
			name: "key in data and binaryData",
			obj:  cm(map[string]string{"a": "1"}, map[string][]byte{"a": {1}}),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"a\": duplicate of key present in binaryData","field":"data[a]"}`},
		},
		{
			// kube counts values only: a 1 MiB value under a key is accepted.
			name: "exactly 1 MiB of values",
			obj:  cm(map[string]string{"a": strings.Repeat("x", 1<<20)}, nil),
		},
		{
			name: "over 1 MiB across data and binaryData",
			obj:  cm(map[string]string{"a": strings.Repeat("x", 600<<10)}, map[string][]byte{"b": make([]byte, 600<<10)}),
			want: []string{`{"reason":"FieldValueTooLong","message":"Too long: must have at most 1048576 bytes","field":"[]"}`},
		},
		{
			// kube answered these in the order bad key, duplicate, size.
			name: "every rule",
			obj:  cm(map[string]string{"bad key": strings.Repeat("x", 1<<20+1), "a": "1"}, map[string][]byte{"a": {1}}),
			want: []string{
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"a\": duplicate of key present in binaryData","field":"data[a]"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad key\": ` + badKeyMsg + `","field":"data[bad key]"}`,
				`{"reason":"FieldValueTooLong","message":"Too long: must have at most 1048576 bytes","field":"[]"}`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			coretest.ExpectCauses(t, Type().Strategy.Validate(context.Background(), tc.obj), tc.want...)
		})
	}
}

func immutableCM(data map[string]string, binary map[string][]byte, immutable *bool) *corev1.ConfigMap {
	c := cm(data, binary)
	c.Immutable = immutable
	return c
}

func TestValidateUpdate(t *testing.T) {
	yes, no := true, false
	old := immutableCM(map[string]string{"a": "1"}, nil, &yes)
	tests := []struct {
		name     string
		old, obj *corev1.ConfigMap
		want     []string
	}{
		{name: "mutable: anything goes", old: cm(map[string]string{"a": "1"}, nil), obj: cm(map[string]string{"a": "2"}, nil)},
		{name: "mutable may become immutable", old: cm(map[string]string{"a": "1"}, nil), obj: immutableCM(map[string]string{"a": "2"}, nil, &yes)},
		{name: "immutable: unchanged", old: old, obj: immutableCM(map[string]string{"a": "1"}, nil, &yes)},
		{name: "immutable: labels may change", old: old, obj: func() *corev1.ConfigMap {
			c := immutableCM(map[string]string{"a": "1"}, nil, &yes)
			c.Labels = map[string]string{"x": "y"}
			return c
		}()},
		{name: "immutable: data", old: old, obj: immutableCM(map[string]string{"a": "2"}, nil, &yes), want: []string{forbidden("data")}},
		{name: "immutable: binaryData", old: old, obj: immutableCM(map[string]string{"a": "1"}, map[string][]byte{"b": {1}}, &yes), want: []string{forbidden("binaryData")}},
		{name: "immutable: unset", old: old, obj: immutableCM(map[string]string{"a": "1"}, nil, nil), want: []string{forbidden("immutable")}},
		{name: "immutable: false", old: old, obj: immutableCM(map[string]string{"a": "1"}, nil, &no), want: []string{forbidden("immutable")}},
		{name: "immutable: false and data", old: old, obj: immutableCM(map[string]string{"a": "3"}, nil, &no), want: []string{forbidden("immutable"), forbidden("data")}},
		{
			name: "new object is validated",
			old:  cm(map[string]string{"a": "1"}, nil),
			obj:  cm(map[string]string{"bad key": "1"}, nil),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad key\": ` + badKeyMsg + `","field":"data[bad key]"}`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			coretest.ExpectCauses(t, Type().Strategy.ValidateUpdate(context.Background(), tc.obj, tc.old), tc.want...)
		})
	}
}

func TestAttrs(t *testing.T) {
	c := cm(nil, nil)
	c.Labels = map[string]string{"app": "x"}
	l, f, err := Type().Attrs(c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l, labels.Set{"app": "x"}) || !reflect.DeepEqual(f, fields.Set{"metadata.name": "c1", "metadata.namespace": "default"}) {
		t.Errorf("Attrs = %v, %v", l, f)
	}
	if _, _, err := Attrs(&corev1.Secret{}); err == nil {
		t.Error("Attrs of a Secret: no error")
	}
}

func TestGenerationNeverBumped(t *testing.T) {
	if Type().Strategy.(rest.GenerationPolicy).SpecChanged(cm(map[string]string{"a": "2"}, nil), cm(nil, nil)) {
		t.Error("a ConfigMap's generation does not move in kube-apiserver")
	}
}

func TestTable(t *testing.T) {
	tablestest.ExpectColumns(t, Table().Columns, "testdata/kube-1.31-columns.json")
	created := metav1.NewTime(time.Now().Add(-20 * time.Minute))
	tests := []struct {
		name string
		obj  *corev1.ConfigMap
		want string
	}{
		// kube-apiserver: ["cm1", 2, "63s"] for data a and b.
		{name: "data", obj: cm(map[string]string{"a": "1", "b": "2"}, nil), want: `["c1",2,"20m"]`},
		{name: "data and binaryData", obj: cm(map[string]string{"a": "1"}, map[string][]byte{"b": {1}}), want: `["c1",2,"20m"]`},
		{name: "empty", obj: cm(nil, nil), want: `["c1",0,"20m"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.obj.CreationTimestamp = created
			table, err := Type().Table.ConvertToTable(context.Background(), tc.obj, &metav1.TableOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := tablestest.CellsJSON(t, table.Rows[0].Cells); got != tc.want {
				t.Errorf("cells = %s, want %s", got, tc.want)
			}
		})
	}
}
