package resourcequota

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func decode(t *testing.T, manifest string) *corev1.ResourceQuota {
	t.Helper()
	var q corev1.ResourceQuota
	if err := json.Unmarshal([]byte(manifest), &q); err != nil {
		t.Fatal(err)
	}
	return &q
}

// TestValidate: kube-apiserver 1.31's causes for the same manifests,
// recorded with the reference script.
func TestValidate(t *testing.T) {
	for _, tc := range []struct{ name, spec, want string }{
		{"kubectl create quota", `{"hard":{"cpu":"1","memory":"1G","pods":"2","services":"3","count/deployments.apps":"4","requests.nvidia.com/gpu":"1"}}`, ""},
		{"bad", `{"hard":{"cpu":"-1","foo":"1","requests.nvidia.com/gpu":"1"},"scopes":["Bogus"]}`,
			`spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0|` +
				`spec.hard[foo]: Invalid value: foo: must be a standard resource type or fully qualified|` +
				`spec.hard[foo]: Invalid value: foo: must be a standard resource for quota|` +
				`spec.scopes: Invalid value: []core.ResourceQuotaScope{"Bogus"}: unsupported scope`},
		{"fractional pods", `{"hard":{"pods":"1500m"}}`, `spec.hard[pods]: Invalid value: "1500m": must be an integer`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range Validate(decode(t, `{"spec":`+tc.spec+`}`)) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), tc.want)
			}
		})
	}
}

// TestTable: kube's REQUEST and LIMIT cells, from the status.
func TestTable(t *testing.T) {
	q := decode(t, `{"metadata":{"name":"q1"},"status":{"hard":{"cpu":"1","pods":"2","limits.memory":"2Gi"},"used":{"cpu":"500m","limits.memory":"1Gi"}}}`)
	cells, err := Table().Cells(q)
	if err != nil || cells[2] != "cpu: 500m/1, pods: 0/2" || cells[3] != "limits.memory: 1Gi/2Gi" {
		t.Errorf("cells %q %v", cells, err)
	}
	if cells, _ := Table().Cells(decode(t, `{"metadata":{"name":"q"}}`)); cells[2] != "" || cells[3] != "" {
		t.Errorf("cells of a quota without status %q", cells)
	}
}
