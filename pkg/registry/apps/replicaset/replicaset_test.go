package replicaset

import (
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

func decode(t *testing.T, manifest string) *appsv1.ReplicaSet {
	t.Helper()
	var rs appsv1.ReplicaSet
	if err := json.Unmarshal([]byte(manifest), &rs); err != nil {
		t.Fatal(err)
	}
	Default(&rs)
	return &rs
}

// TestValidate: kube-apiserver 1.31's causes for the same manifests,
// recorded with the reference script.
func TestValidate(t *testing.T) {
	for _, tc := range []struct{ name, manifest, want string }{
		{"valid", `{"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}}`, ""},
		{"empty", `{"spec":{}}`, "spec.selector: Required value|spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`|spec.template.spec.containers: Required value"},
		{"negative", `{"spec":{"replicas":-1,"minReadySeconds":-1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}}`,
			"spec.replicas: Invalid value: -1: must be greater than or equal to 0|spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0"},
		{"empty selector", `{"spec":{"selector":{},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}}`,
			"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range Validate(decode(t, tc.manifest)) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), tc.want)
			}
		})
	}
	rs := decode(t, `{"spec":{"selector":{"matchLabels":{"a":"b"}}},"status":{"replicas":-1}}`)
	var got []string
	for _, e := range (statusStrategy{}).ValidateUpdate(nil, rs, rs) {
		got = append(got, e.Error())
	}
	if len(got) < 2 || got[0] != "status.replicas: Invalid value: -1: must be greater than or equal to 0" ||
		got[1] != "status.fullyLabeledReplicas: Invalid value: 0: cannot be greater than status.replicas" {
		t.Errorf("status errors %q", got)
	}
}

// TestDefaultsAndTable: one replica by default, status {replicas: 0} on
// create, as kube; kube's cells.
func TestDefaultsAndTable(t *testing.T) {
	rs := decode(t, `{"metadata":{"name":"rs1"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}}`)
	(Strategy{}).PrepareForCreate(nil, rs)
	status, _ := json.Marshal(rs.Status)
	if *rs.Spec.Replicas != 1 || rs.Generation != 1 || string(status) != `{"replicas":0}` {
		t.Errorf("replicas %d generation %d status %s", *rs.Spec.Replicas, rs.Generation, status)
	}
	cells, err := Table().Cells(rs)
	if err != nil || cells[1] != int64(1) || cells[2] != int64(0) || cells[3] != int64(0) || cells[7] != "a=b" {
		t.Errorf("cells %v %v", cells, err)
	}
	if spec, _, sel := Replicas.Get(rs); spec != 1 || sel != "a=b" {
		t.Errorf("scale %d %q", spec, sel)
	}
}
