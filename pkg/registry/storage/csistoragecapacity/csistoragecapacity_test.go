package csistoragecapacity

import (
	"encoding/json"
	"strings"
	"testing"

	storagev1 "k8s.io/api/storage/v1"
)

// TestCSIStorageCapacity: kube-apiserver 1.31's causes for the same
// manifests, recorded with the reference script.
func TestCSIStorageCapacity(t *testing.T) {
	decode := func(manifest string) *storagev1.CSIStorageCapacity {
		var c storagev1.CSIStorageCapacity
		if err := json.Unmarshal([]byte(manifest), &c); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	if errs := Validate(decode(`{"storageClassName":"sc1","capacity":"10Gi","nodeTopology":{"matchLabels":{"zone":"a"}}}`)); len(errs) != 0 {
		t.Errorf("errors of a valid capacity %v", errs)
	}
	var got []string
	for _, e := range Validate(decode(`{"storageClassName":"Bad_SC","capacity":"-1"}`)) {
		got = append(got, e.Error())
	}
	want := `storageClassName: Invalid value: "Bad_SC": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')|` +
		`capacity: Invalid value: "-1": must be greater than or equal to 0`
	if strings.Join(got, "|") != want {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}
