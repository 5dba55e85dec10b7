package storageclass

import (
	"encoding/json"
	"strings"
	"testing"

	storagev1 "k8s.io/api/storage/v1"
)

// TestStorageClass: kube-apiserver 1.31's defaults, causes and cells for
// the same manifests, recorded with the reference script.
func TestStorageClass(t *testing.T) {
	decode := func(manifest string) *storagev1.StorageClass {
		var sc storagev1.StorageClass
		if err := json.Unmarshal([]byte(manifest), &sc); err != nil {
			t.Fatal(err)
		}
		Default(&sc)
		return &sc
	}
	for _, tc := range []struct{ manifest, want string }{
		{`{"provisioner":"example.com/x"}`, ""},
		{`{"provisioner":"Bad Prov","reclaimPolicy":"X","volumeBindingMode":"Y","parameters":{"":"a"}}`,
			`provisioner: Invalid value: "bad prov": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')|` +
				`parameters: Invalid value: "": field can not be empty.|reclaimPolicy: Unsupported value: "X": supported values: "Delete", "Retain"|` +
				`volumeBindingMode: Unsupported value: "Y": supported values: "Immediate", "WaitForFirstConsumer"`},
		{`{}`, "provisioner: Required value"},
	} {
		var got []string
		for _, e := range Validate(decode(tc.manifest)) {
			got = append(got, e.Error())
		}
		if strings.Join(got, "|") != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.manifest, strings.Join(got, "|"), tc.want)
		}
	}
	sc := decode(`{"metadata":{"name":"sc1","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},"provisioner":"example.com/x"}`)
	if *sc.ReclaimPolicy != "Delete" || *sc.VolumeBindingMode != "Immediate" {
		t.Errorf("defaults %v %v", *sc.ReclaimPolicy, *sc.VolumeBindingMode)
	}
	moved := decode(`{"metadata":{"name":"sc1"},"provisioner":"example.com/y","parameters":{"a":"b"}}`)
	var got []string
	for _, e := range (Strategy{}).ValidateUpdate(nil, moved, sc) {
		got = append(got, e.Error())
	}
	if strings.Join(got, "|") != "parameters: Forbidden: updates to parameters are forbidden.|provisioner: Forbidden: updates to provisioner are forbidden." {
		t.Errorf("update errors %q", got)
	}
	if cells, _ := Table().Cells(sc); cells[0] != "sc1 (default)" || cells[4] != "false" {
		t.Errorf("cells %v", cells)
	}
}
