package printers

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

// table is the part of a Table that kube-apiserver's answer is compared on.
type table struct {
	ColumnDefinitions []metav1.TableColumnDefinition `json:"columnDefinitions"`
	Rows              []struct {
		Cells []any `json:"cells"`
	} `json:"rows"`
}

func readTable(t *testing.T, name string) table {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var tb table
	if err := json.Unmarshal(b, &tb); err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestConvertToTable prints the objects kube-apiserver 1.31.4 printed
// (GET as=Table, includeObject=None) and expects the same columns and
// cells; the clock is set to the age kube-apiserver printed.
func TestConvertToTable(t *testing.T) {
	created := time.Date(2026, 11, 25, 15, 40, 0, 0, time.UTC)
	cases := []struct {
		name    string
		columns []apiextensionsv1.CustomResourceColumnDefinition
		obj     string
		age     time.Duration
		golden  string
	}{
		{
			name: "additionalPrinterColumns",
			columns: []apiextensionsv1.CustomResourceColumnDefinition{
				{Name: "Replicas", Type: "integer", JSONPath: ".spec.replicas"},
				{Name: "Color", Type: "string", JSONPath: ".spec.color", Priority: 1},
				{Name: "Created", Type: "date", JSONPath: ".metadata.creationTimestamp"},
			},
			obj:    `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"t1","namespace":"default","creationTimestamp":"2026-11-25T15:40:00Z"},"spec":{"size":"ab","replicas":3,"color":"blue"}}`,
			age:    4 * time.Second,
			golden: "testdata/kube-1.31-widgets-table.json",
		},
		{
			name:   "default Name and Age",
			obj:    `{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g1","creationTimestamp":"2026-11-25T15:40:00Z"},"spec":{}}`,
			age:    6*time.Minute + 59*time.Second,
			golden: "testdata/kube-1.31-gadgets-table.json",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now = func() time.Time { return created.Add(tc.age) }
			t.Cleanup(func() { now = time.Now })
			conv, err := New(tc.columns)
			if err != nil {
				t.Fatal(err)
			}
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON([]byte(tc.obj)); err != nil {
				t.Fatal(err)
			}
			got, err := conv.ConvertToTable(context.Background(), u, &metav1.TableOptions{IncludeObject: metav1.IncludeNone})
			if err != nil {
				t.Fatal(err)
			}
			want := readTable(t, tc.golden)
			var gotT table
			b, _ := json.Marshal(got)
			_ = json.Unmarshal(b, &gotT)
			if !reflect.DeepEqual(gotT, want) {
				t.Errorf("table\n got %s\nwant %+v", b, want)
			}
		})
	}
}

func TestCellTypes(t *testing.T) {
	conv, err := New([]apiextensionsv1.CustomResourceColumnDefinition{
		{Name: "I", Type: "integer", JSONPath: ".spec.f"},
		{Name: "N", Type: "number", JSONPath: ".spec.i"},
		{Name: "B", Type: "boolean", JSONPath: ".spec.s"},
		{Name: "S", Type: "string", JSONPath: ".spec.o"},
		{Name: "D", Type: "date", JSONPath: ".spec.s"},
		{Name: "M", Type: "string", JSONPath: ".spec.missing"},
		{Name: "L", Type: "string", JSONPath: ".spec.l[1]"},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "x"},
		"spec":     map[string]any{"f": 2.7, "i": int64(3), "s": "yes", "o": map[string]any{"a": int64(1)}, "l": []any{"a", "b"}},
	}}
	cells, err := conv.cells(u)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"x", int64(2), float64(3), nil, `{"a":1}`, "<invalid>", nil, "b"}
	if !reflect.DeepEqual(cells, want) {
		t.Errorf("cells %#v, want %#v", cells, want)
	}
	if _, err := New([]apiextensionsv1.CustomResourceColumnDefinition{{Name: "x", Type: "string", JSONPath: ".spec[["}}); err == nil {
		t.Error("bad JSONPath accepted")
	}
}
