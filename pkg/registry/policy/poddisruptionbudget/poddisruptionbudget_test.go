package poddisruptionbudget

import (
	"encoding/json"
	"strings"
	"testing"

	policyv1 "k8s.io/api/policy/v1"
)

// TestBudget: kube-apiserver 1.31's causes, status and cells for the same
// manifests, recorded with the reference script (kube prints the whole
// spec, pointers as addresses, when both bounds are set; that value is
// not reproduced).
func TestBudget(t *testing.T) {
	decode := func(manifest string) *policyv1.PodDisruptionBudget {
		var p policyv1.PodDisruptionBudget
		if err := json.Unmarshal([]byte(manifest), &p); err != nil {
			t.Fatal(err)
		}
		return &p
	}
	for _, tc := range []struct{ spec, want string }{
		{`{"minAvailable":1,"selector":{"matchLabels":{"app":"a"}}}`, ""},
		{`{"minAvailable":"150%","maxUnavailable":1,"unhealthyPodEvictionPolicy":"X"}`,
			`spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: minAvailable and maxUnavailable cannot be both set|` +
				`spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%|` +
				`spec.unhealthyPodEvictionPolicy: Unsupported value: "X": supported values: "AlwaysAllow", "IfHealthyBudget"`},
		{`{"minAvailable":-1}`, "spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"},
	} {
		var got []string
		for _, e := range Validate(decode(`{"spec":` + tc.spec + `}`)) {
			got = append(got, e.Error())
		}
		if strings.Join(got, "|") != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.spec, strings.Join(got, "|"), tc.want)
		}
	}
	p := decode(`{"metadata":{"name":"p1"},"spec":{"minAvailable":1}}`)
	(Strategy{}).PrepareForCreate(nil, p)
	status, _ := json.Marshal(p.Status)
	if string(status) != `{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}` || p.Generation != 1 {
		t.Errorf("status %s generation %d", status, p.Generation)
	}
	if cells, _ := Table().Cells(p); cells[1] != "1" || cells[2] != "N/A" || cells[3] != int64(0) {
		t.Errorf("cells %v", cells)
	}
}
