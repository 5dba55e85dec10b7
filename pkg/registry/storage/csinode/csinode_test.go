package csinode

import (
	"encoding/json"
	"strings"
	"testing"

	storagev1 "k8s.io/api/storage/v1"
)

// TestCSINode: kube-apiserver 1.31's causes and cells for the same
// manifests, recorded with the reference script.
func TestCSINode(t *testing.T) {
	decode := func(manifest string) *storagev1.CSINode {
		var n storagev1.CSINode
		if err := json.Unmarshal([]byte(manifest), &n); err != nil {
			t.Fatal(err)
		}
		return &n
	}
	ok := decode(`{"metadata":{"name":"n1"},"spec":{"drivers":[{"name":"csi.example.com","nodeID":"n1","topologyKeys":["zone"]}]}}`)
	if errs := Validate(ok); len(errs) != 0 {
		t.Errorf("errors of a valid CSINode %v", errs)
	}
	if cells, _ := Table().Cells(ok); cells[1] != int64(1) {
		t.Errorf("cells %v", cells)
	}
	subdomain := `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
	var got []string
	for _, e := range Validate(decode(`{"spec":{"drivers":[{"name":"Bad_Driver","nodeID":""},{"name":"Bad_Driver","nodeID":"x","allocatable":{"count":-1}}]}}`)) {
		got = append(got, e.Error())
	}
	want := `spec.drivers[0].name: Invalid value: "Bad_Driver": ` + subdomain + `|spec.drivers[0].nodeID: Required value|` +
		`spec.drivers[1].name: Invalid value: "Bad_Driver": ` + subdomain + `|spec.drivers[1].allocatable.count: Invalid value: -1: must be greater than or equal to 0|` +
		`spec.drivers[1].name: Duplicate value: "Bad_Driver"`
	if strings.Join(got, "|") != want {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}
