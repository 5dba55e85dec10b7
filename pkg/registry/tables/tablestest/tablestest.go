// Package tablestest compares printed tables with answers recorded from
// kube-apiserver.
package tablestest

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ExpectColumns fails t unless got equals the column definitions in the
// JSON file at path, as kube-apiserver answered them in a Table.
func ExpectColumns(t *testing.T, got []metav1.TableColumnDefinition, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []metav1.TableColumnDefinition
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d columns, kube-apiserver has %d:\ngot  %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("column %d:\ngot  %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// CellsJSON is the JSON of a row's cells, the form kubectl reads: integers
// stay integers, times are the strings printed.
func CellsJSON(t *testing.T, cells []interface{}) string {
	t.Helper()
	b, err := json.Marshal(cells)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
