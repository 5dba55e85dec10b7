package controllerrevision

import (
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestControllerRevision: kube-apiserver 1.31's causes and columns for the
// same manifests, recorded with the reference script.
func TestControllerRevision(t *testing.T) {
	decode := func(manifest string) *appsv1.ControllerRevision {
		var r appsv1.ControllerRevision
		if err := json.Unmarshal([]byte(manifest), &r); err != nil {
			t.Fatal(err)
		}
		return &r
	}
	var got []string
	for _, e := range Validate(decode(`{"metadata":{"name":"c1"},"revision":-1}`)) {
		got = append(got, e.Error())
	}
	if strings.Join(got, "|") != "revision: Invalid value: -1: must be greater than or equal to 0|data: Required value: data is mandatory" {
		t.Errorf("errors %q", got)
	}
	old := decode(`{"metadata":{"name":"c2"},"revision":3,"data":{"a":1}}`)
	changed := decode(`{"metadata":{"name":"c2"},"revision":3,"data":{"a":2}}`)
	if errs := (Strategy{}).ValidateUpdate(nil, changed, old); len(errs) != 1 || errs[0].Error() !=
		`data: Invalid value: runtime.RawExtension{Raw:[]uint8{0x7b, 0x22, 0x61, 0x22, 0x3a, 0x32, 0x7d}, Object:runtime.Object(nil)}: field is immutable` {
		t.Errorf("changing data: %v", errs)
	}
	if cells, _ := Table().Cells(old); cells[1] != "<none>" || cells[2] != int64(3) {
		t.Errorf("cells %v", cells)
	}
	old.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "web", Controller: ptr.To(true)}}
	if cells, _ := Table().Cells(old); cells[1] != "statefulset.apps/web" {
		t.Errorf("controller cell %v", cells[1])
	}
}
