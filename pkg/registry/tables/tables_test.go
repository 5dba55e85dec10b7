package tables

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/registry/tables/tablestest"
)

// fixedNow stops the clock of Age for the test.
func fixedNow(t *testing.T, at time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

func TestAge(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	fixedNow(t, at)
	tests := []struct {
		name string
		ago  time.Duration
		want string
	}{
		{"seconds", 5 * time.Second, "5s"},
		{"under two minutes in seconds", 119 * time.Second, "119s"},
		{"minutes and seconds", 3*time.Minute + 10*time.Second, "3m10s"},
		{"round minutes", 4 * time.Minute, "4m"},
		{"minutes", 20 * time.Minute, "20m"},
		{"hours and minutes", 3*time.Hour + 5*time.Minute, "3h5m"},
		{"days", 50 * time.Hour, "2d2h"},
		{"years", (2*365 + 329) * 24 * time.Hour, "2y329d"},
		{"a second ahead", -time.Second, "0s"},
		{"far ahead", -time.Minute, "<invalid>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Age(metav1.NewTime(at.Add(-tc.ago))); got != tc.want {
				t.Errorf("Age = %q, want %q", got, tc.want)
			}
			if got := MicroAge(metav1.NewMicroTime(at.Add(-tc.ago))); got != tc.want {
				t.Errorf("MicroAge = %q, want %q", got, tc.want)
			}
		})
	}
	if got := Age(metav1.Time{}); got != "<unknown>" {
		t.Errorf("Age(zero) = %q, want <unknown>", got)
	}
	if got := MicroAge(metav1.MicroTime{}); got != "<unknown>" {
		t.Errorf("MicroAge(zero) = %q, want <unknown>", got)
	}
}

func TestDefaultColumnsAreKubes(t *testing.T) {
	// Recorded from kube-apiserver 1.31: GET customresourcedefinitions as Table.
	tablestest.ExpectColumns(t, DefaultColumns(), "testdata/kube-1.31-default-columns.json")
}

func TestNameAndAgeColumns(t *testing.T) {
	// The first and last columns of kube-apiserver 1.31's configmaps table.
	var cols []metav1.TableColumnDefinition
	cols = append(cols, NameColumn(), DefaultColumns()[1])
	cols[1].Name, cols[1].Type = "Age", "string"
	if AgeColumn() != cols[1] {
		t.Errorf("AgeColumn = %+v, want %+v", AgeColumn(), cols[1])
	}
	if WideColumn("X", "d").Priority != 1 || Column("X", "d").Priority != 0 {
		t.Error("WideColumn must have priority 1 and Column priority 0")
	}
}

func configMap(name, rv string, created time.Time) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "default", UID: "55072999-6ba0-4b2b-87aa-9d27154b5f1e",
			ResourceVersion: rv, CreationTimestamp: metav1.NewTime(created),
			Labels: map[string]string{"app": "x"},
		},
		Data: map[string]string{"a": "1", "b": "2"},
	}
}

func TestDefaultTableConvertor(t *testing.T) {
	created := time.Date(2026, 11, 25, 15, 14, 47, 0, time.UTC)
	c := DefaultTableConvertor(schema.GroupResource{Group: "ex.com", Resource: "foos"})
	ctx := context.Background()

	t.Run("one object", func(t *testing.T) {
		table, err := c.ConvertToTable(ctx, configMap("foos.ex.com", "206", created), &metav1.TableOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if table.ResourceVersion != "206" || len(table.Rows) != 1 || len(table.ColumnDefinitions) != 2 {
			t.Fatalf("table = %+v", table)
		}
		// As kube-apiserver printed the CRD foos.ex.com.
		if got, want := tablestest.CellsJSON(t, table.Rows[0].Cells), `["foos.ex.com","2026-11-25T15:14:47Z"]`; got != want {
			t.Errorf("cells = %s, want %s", got, want)
		}
	})
	t.Run("list", func(t *testing.T) {
		var remaining int64 = 7
		list := &corev1.ConfigMapList{
			ListMeta: metav1.ListMeta{ResourceVersion: "300", Continue: "token", RemainingItemCount: &remaining},
			Items:    []corev1.ConfigMap{*configMap("a", "1", created), *configMap("b", "2", time.Time{})},
		}
		table, err := c.ConvertToTable(ctx, list, &metav1.TableOptions{NoHeaders: true})
		if err != nil {
			t.Fatal(err)
		}
		if table.ResourceVersion != "300" || table.Continue != "token" || table.RemainingItemCount == nil || *table.RemainingItemCount != 7 {
			t.Errorf("list meta = %+v", table.ListMeta)
		}
		if table.ColumnDefinitions != nil {
			t.Errorf("NoHeaders: columns = %+v", table.ColumnDefinitions)
		}
		if got, want := tablestest.CellsJSON(t, table.Rows[1].Cells), `["b","0001-01-01T00:00:00Z"]`; got != want {
			t.Errorf("cells = %s, want %s", got, want)
		}
	})
	t.Run("empty list has no rows", func(t *testing.T) {
		table, err := c.ConvertToTable(ctx, &corev1.ConfigMapList{ListMeta: metav1.ListMeta{ResourceVersion: "260"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(table)
		var got map[string]interface{}
		_ = json.Unmarshal(b, &got)
		if rows, ok := got["rows"]; !ok || rows != nil {
			t.Errorf(`"rows" = %v, want null as kube-apiserver`, rows)
		}
	})
	t.Run("no metadata", func(t *testing.T) {
		_, err := c.ConvertToTable(ctx, &metav1.Status{}, nil)
		var status apierrors.APIStatus
		if !errors.As(err, &status) || status.Status().Code != http.StatusNotAcceptable ||
			status.Status().Message != "the resource foos.ex.com does not support being converted to a Table" {
			t.Errorf("err = %v, want 406", err)
		}
	})
}

func cmCells(obj runtime.Object) ([]interface{}, error) {
	cm := obj.(*corev1.ConfigMap)
	return []interface{}{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), Age(cm.CreationTimestamp)}, nil
}

func TestConvertor(t *testing.T) {
	at := time.Date(2026, 11, 25, 15, 15, 51, 0, time.UTC)
	fixedNow(t, at)
	created := at.Add(-63 * time.Second)
	c := Convertor{Columns: []metav1.TableColumnDefinition{NameColumn(), Column("Data", ""), AgeColumn()}, Cells: cmCells}
	ctx := context.Background()

	t.Run("one object", func(t *testing.T) {
		table, err := c.ConvertToTable(ctx, configMap("cm1", "195", created), &metav1.TableOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// kube-apiserver 1.31 answered ["cm1", 2, "63s"] and resourceVersion 195.
		if got, want := tablestest.CellsJSON(t, table.Rows[0].Cells), `["cm1",2,"63s"]`; got != want {
			t.Errorf("cells = %s, want %s", got, want)
		}
		if table.ResourceVersion != "195" || len(table.ColumnDefinitions) != 3 {
			t.Errorf("table = %+v", table)
		}
	})
	t.Run("empty list has empty rows", func(t *testing.T) {
		table, err := c.ConvertToTable(ctx, &corev1.ConfigMapList{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if table.Rows == nil || len(table.Rows) != 0 {
			t.Errorf(`rows = %#v, want [] as kube-apiserver's printers`, table.Rows)
		}
	})
	t.Run("list meta and NoHeaders", func(t *testing.T) {
		var remaining int64 = 1
		list := &corev1.ConfigMapList{
			ListMeta: metav1.ListMeta{ResourceVersion: "207", Continue: "c", RemainingItemCount: &remaining},
			Items:    []corev1.ConfigMap{*configMap("a", "1", created), *configMap("b", "2", created)},
		}
		table, err := c.ConvertToTable(ctx, list, &metav1.TableOptions{NoHeaders: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(table.Rows) != 2 || table.ColumnDefinitions != nil || table.ResourceVersion != "207" ||
			table.Continue != "c" || *table.RemainingItemCount != 1 {
			t.Errorf("table = %+v", table)
		}
	})
}

func TestIncludeObject(t *testing.T) {
	created := time.Date(2026, 11, 25, 15, 13, 48, 0, time.UTC)
	c := Convertor{Columns: []metav1.TableColumnDefinition{NameColumn()}, Cells: cmCells}
	tests := []struct {
		name   string
		opts   *metav1.TableOptions
		want   string
		errMsg string
	}{
		{
			name: "metadata by default",
			opts: nil,
			// The row object kube-apiserver 1.31 answers, less managedFields.
			want: `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"cm1","namespace":"default","uid":"55072999-6ba0-4b2b-87aa-9d27154b5f1e","resourceVersion":"195","creationTimestamp":"2026-11-25T15:13:48Z","labels":{"app":"x"}}}`,
		},
		{name: "empty is metadata", opts: &metav1.TableOptions{}, want: `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"cm1","namespace":"default","uid":"55072999-6ba0-4b2b-87aa-9d27154b5f1e","resourceVersion":"195","creationTimestamp":"2026-11-25T15:13:48Z","labels":{"app":"x"}}}`},
		{
			name: "object",
			opts: &metav1.TableOptions{IncludeObject: metav1.IncludeObject},
			want: `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm1","namespace":"default","uid":"55072999-6ba0-4b2b-87aa-9d27154b5f1e","resourceVersion":"195","creationTimestamp":"2026-11-25T15:13:48Z","labels":{"app":"x"}},"data":{"a":"1","b":"2"}}`,
		},
		{name: "none", opts: &metav1.TableOptions{IncludeObject: metav1.IncludeNone}, want: `null`},
		{name: "unknown", opts: &metav1.TableOptions{IncludeObject: "Bogus"}, errMsg: `unrecognized includeObject value: "Bogus"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, conv := range []struct {
				name string
				c    interface {
					ConvertToTable(context.Context, runtime.Object, *metav1.TableOptions) (*metav1.Table, error)
				}
			}{{"printer", c}, {"default", DefaultTableConvertor(corev1.Resource("configmaps"))}} {
				table, err := conv.c.ConvertToTable(context.Background(), configMap("cm1", "195", created), tc.opts)
				if tc.errMsg != "" {
					if !apierrors.IsBadRequest(err) || err.Error() != tc.errMsg {
						t.Errorf("%s: err = %v, want 400 %q", conv.name, err, tc.errMsg)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				b, err := json.Marshal(table.Rows[0].Object)
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != tc.want {
					t.Errorf("%s: object =\n%s\nwant\n%s", conv.name, b, tc.want)
				}
			}
		})
	}
}

func TestIncludeObjectLeavesStoredObjectAlone(t *testing.T) {
	cm := configMap("cm1", "195", time.Now())
	c := Convertor{Cells: cmCells}
	if _, err := c.ConvertToTable(context.Background(), cm, nil); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.Data["a"] != "1" {
		t.Errorf("object changed: %+v", cm)
	}
}
