package volumeattachment

import (
	"encoding/json"
	"strings"
	"testing"

	storagev1 "k8s.io/api/storage/v1"
)

// TestVolumeAttachment: kube-apiserver 1.31's causes, status and cells
// for the same manifests, recorded with the reference script.
func TestVolumeAttachment(t *testing.T) {
	decode := func(manifest string) *storagev1.VolumeAttachment {
		var va storagev1.VolumeAttachment
		if err := json.Unmarshal([]byte(manifest), &va); err != nil {
			t.Fatal(err)
		}
		return &va
	}
	va := decode(`{"metadata":{"name":"va1"},"spec":{"attacher":"csi.example.com","nodeName":"n1","source":{"persistentVolumeName":"pv1"}}}`)
	(Strategy{}).PrepareForCreate(nil, va)
	status, _ := json.Marshal(va.Status)
	if errs := Validate(va); len(errs) != 0 || string(status) != `{"attached":false}` {
		t.Errorf("errors %v, status %s", errs, status)
	}
	if cells, _ := Table().Cells(va); cells[2] != "pv1" || cells[3] != "n1" || cells[4] != false {
		t.Errorf("cells %v", cells)
	}
	subdomain := `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
	var got []string
	for _, e := range Validate(decode(`{"spec":{"attacher":"Bad Attacher","source":{}}}`)) {
		got = append(got, e.Error())
	}
	want := `spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName|spec.nodeName: Invalid value: "": ` + subdomain + `|spec.attacher: Invalid value: "Bad Attacher": ` + subdomain
	if strings.Join(got, "|") != want {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	moved := va.DeepCopy()
	moved.Spec.NodeName = "n2"
	if errs := (Strategy{}).ValidateUpdate(nil, moved, va); len(errs) != 1 || !strings.Contains(errs[0].Error(), "field is immutable") {
		t.Errorf("changing the spec: %v", errs)
	}
}
