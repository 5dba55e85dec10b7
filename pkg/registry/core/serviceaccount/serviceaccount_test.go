package serviceaccount

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestTable: NAME, SECRETS and AGE, as kubectl get serviceaccounts prints
// them from kube-apiserver.
func TestTable(t *testing.T) {
	tc := Table()
	if got := len(tc.Columns); got != 3 || tc.Columns[0].Name != "Name" || tc.Columns[1].Name != "Secrets" || tc.Columns[2].Name != "Age" {
		t.Fatalf("columns = %+v", tc.Columns)
	}
	sa := &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "bot", CreationTimestamp: metav1.NewTime(time.Now().Add(-90 * time.Second))},
		Secrets:    []corev1.ObjectReference{{Name: "a"}, {Name: "b"}},
	}
	cells, err := tc.Cells(sa)
	if err != nil {
		t.Fatal(err)
	}
	if cells[0] != "bot" || cells[1] != int64(2) || cells[2] != "90s" {
		t.Errorf("cells = %v", cells)
	}
	if _, err := tc.Cells(&corev1.ConfigMap{}); err == nil {
		t.Error("a ConfigMap printed as a ServiceAccount")
	}
	if Type().Info.ShortNames[0] != "sa" || !Type().Info.Namespaced {
		t.Errorf("info = %+v", Type().Info)
	}
}
