package csidriver

import (
	"encoding/json"
	"strings"
	"testing"

	storagev1 "k8s.io/api/storage/v1"
)

// TestCSIDriver: kube-apiserver 1.31's defaults, causes and cells for the
// same manifests, recorded with the reference script.
func TestCSIDriver(t *testing.T) {
	decode := func(manifest string) *storagev1.CSIDriver {
		var d storagev1.CSIDriver
		if err := json.Unmarshal([]byte(manifest), &d); err != nil {
			t.Fatal(err)
		}
		Default(&d)
		return &d
	}
	d := decode(`{"metadata":{"name":"csi.example.com"},"spec":{}}`)
	spec, _ := json.Marshal(d.Spec)
	if string(spec) != `{"attachRequired":true,"podInfoOnMount":false,"volumeLifecycleModes":["Persistent"],"storageCapacity":false,"fsGroupPolicy":"ReadWriteOnceWithFSType","requiresRepublish":false,"seLinuxMount":false}` {
		t.Errorf("defaults %s", spec)
	}
	if errs := Validate(d); len(errs) != 0 {
		t.Errorf("errors of a valid driver %v", errs)
	}
	var got []string
	for _, e := range Validate(decode(`{"spec":{"fsGroupPolicy":"X","volumeLifecycleModes":["Y"]}}`)) {
		got = append(got, e.Error())
	}
	if strings.Join(got, "|") != `spec.fsGroupPolicy: Unsupported value: "X": supported values: "File", "None", "ReadWriteOnceWithFSType"|spec.volumeLifecycleModes: Unsupported value: "Y": supported values: "Persistent", "Ephemeral"` {
		t.Errorf("errors %q", got)
	}
	cells, _ := Table().Cells(d)
	if cells[1] != true || cells[2] != "false" || cells[4] != "<unset>" || cells[6] != "Persistent" {
		t.Errorf("cells %v", cells)
	}
}
