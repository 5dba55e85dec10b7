package statefulset

import (
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

func decode(t *testing.T, manifest string) *appsv1.StatefulSet {
	t.Helper()
	var s appsv1.StatefulSet
	if err := json.Unmarshal([]byte(manifest), &s); err != nil {
		t.Fatal(err)
	}
	Default(&s)
	return &s
}

const valid = `{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`

// TestStatefulSet: kube-apiserver 1.31's defaults, causes and columns for
// the same manifests, recorded with the reference script.
func TestStatefulSet(t *testing.T) {
	for _, tc := range []struct{ name, spec, want string }{
		{"valid", valid, ""},
		{"bad", `{"replicas":-1,"podManagementPolicy":"X","updateStrategy":{"type":"Y"},"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`,
			`spec.podManagementPolicy: Invalid value: "X": must be 'OrderedReady' or 'Parallel'|` +
				`spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:"Y", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'|` +
				`spec.replicas: Invalid value: -1: must be greater than or equal to 0`},
		{"empty", `{}`, "spec.selector: Required value|spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range Validate(decode(t, `{"metadata":{"name":"s"},"spec":`+tc.spec+`}`)) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), tc.want)
			}
		})
	}
	s := decode(t, `{"metadata":{"name":"ss1"},"spec":`+valid+`}`)
	(Strategy{}).PrepareForCreate(nil, s)
	spec := s.Spec.DeepCopy()
	spec.Template = s.Spec.Template
	spec.Template.Spec.Containers = nil
	got, _ := json.Marshal(struct {
		Policy   any `json:"persistentVolumeClaimRetentionPolicy"`
		PMP      any `json:"podManagementPolicy"`
		Replicas any `json:"replicas"`
		History  any `json:"revisionHistoryLimit"`
		Strategy any `json:"updateStrategy"`
	}{spec.PersistentVolumeClaimRetentionPolicy, spec.PodManagementPolicy, spec.Replicas, spec.RevisionHistoryLimit, spec.UpdateStrategy})
	if string(got) != `{"persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Retain","whenScaled":"Retain"},"podManagementPolicy":"OrderedReady","replicas":1,"revisionHistoryLimit":10,"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":0}}}` {
		t.Errorf("defaults %s", got)
	}
	status, _ := json.Marshal(s.Status)
	if string(status) != `{"replicas":0,"availableReplicas":0}` || s.Generation != 1 {
		t.Errorf("status %s generation %d", status, s.Generation)
	}
	moved := s.DeepCopy()
	moved.Spec.ServiceName = "x"
	if errs := (Strategy{}).ValidateUpdate(nil, moved, s); len(errs) != 1 || errs[0].Error() !=
		"spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden" {
		t.Errorf("changing serviceName: %v", errs)
	}
	scaled := s.DeepCopy()
	if err := Replicas.Set(scaled, 4); err != nil || len((Strategy{}).ValidateUpdate(nil, scaled, s)) != 0 {
		t.Errorf("scaling: %v", err)
	}
	if cells, _ := Table().Cells(scaled); cells[1] != "0/4" || cells[3] != "x" {
		t.Errorf("cells %v", cells)
	}
}
