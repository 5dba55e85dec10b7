package replicationcontroller

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestReplicationController: kube-apiserver 1.31's defaults, causes and
// cells for the same manifests, recorded with the reference script.
func TestReplicationController(t *testing.T) {
	decode := func(manifest string) *corev1.ReplicationController {
		var rc corev1.ReplicationController
		if err := json.Unmarshal([]byte(manifest), &rc); err != nil {
			t.Fatal(err)
		}
		Default(&rc)
		return &rc
	}
	rc := decode(`{"metadata":{"name":"rc1"},"spec":{"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}}`)
	(Strategy{}).PrepareForCreate(nil, rc)
	status, _ := json.Marshal(rc.Status)
	if rc.Spec.Selector["a"] != "b" || rc.Labels["a"] != "b" || *rc.Spec.Replicas != 1 || rc.Generation != 1 || string(status) != `{"replicas":0}` {
		t.Errorf("defaults %+v %v status %s", rc.Spec.Selector, rc.Labels, status)
	}
	if errs := Validate(rc); len(errs) != 0 {
		t.Errorf("errors of a valid controller %v", errs)
	}
	for _, tc := range []struct{ manifest, want string }{
		{`{"spec":{"replicas":-1}}`, "spec.selector: Required value|spec.replicas: Invalid value: -1: must be greater than or equal to 0|spec.template: Required value"},
		{`{"spec":{"selector":{"a":"b"},"template":{"metadata":{"labels":{"a":"c"}},"spec":{"containers":[]}}}}`,
			"spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"c\"}: `selector` does not match template `labels`|spec.template.spec.containers: Required value"},
	} {
		var got []string
		for _, e := range Validate(decode(tc.manifest)) {
			got = append(got, e.Error())
		}
		if strings.Join(got, "|") != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.manifest, strings.Join(got, "|"), tc.want)
		}
	}
	if err := Replicas.Set(rc, 3); err != nil {
		t.Fatal(err)
	}
	if spec, _, sel := Replicas.Get(rc); spec != 3 || sel != "a=b" {
		t.Errorf("scale %d %q", spec, sel)
	}
	if cells, _ := Table().Cells(rc); cells[1] != int64(3) || cells[7] != "a=b" {
		t.Errorf("cells %v", cells)
	}
}
