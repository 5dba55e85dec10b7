package limitrange

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestLimitRange: kube-apiserver 1.31's defaults and causes for the same
// manifests, recorded with the reference script (quantities printed as
// kube prints its internal values).
func TestLimitRange(t *testing.T) {
	decode := func(manifest string) *corev1.LimitRange {
		var lr corev1.LimitRange
		if err := json.Unmarshal([]byte(manifest), &lr); err != nil {
			t.Fatal(err)
		}
		Default(&lr)
		return &lr
	}
	ok := decode(`{"spec":{"limits":[{"type":"Container","max":{"cpu":"1"}}]}}`)
	spec, _ := json.Marshal(ok.Spec)
	if string(spec) != `{"limits":[{"type":"Container","max":{"cpu":"1"},"default":{"cpu":"1"},"defaultRequest":{"cpu":"1"}}]}` {
		t.Errorf("defaults %s", spec)
	}
	if errs := Validate(ok); len(errs) != 0 {
		t.Errorf("errors of a valid range %v", errs)
	}
	var got []string
	for _, e := range Validate(decode(`{"spec":{"limits":[{"type":"Container","max":{"cpu":"1"},"min":{"cpu":"2"}},{"type":"Foo"}]}}`)) {
		got = append(got, e.Error())
	}
	q := func(v string) string {
		return `resource.Quantity{i:resource.int64Amount{value:` + v + `, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"` + v + `", Format:"DecimalSI"}`
	}
	want := "spec.limits[0].min[cpu]: Invalid value: " + q("2") + ": min value 2 is greater than max value 1|" +
		"spec.limits[0].defaultRequest[cpu]: Invalid value: " + q("1") + ": min value 2 is greater than default request value 1|" +
		"spec.limits[0].default[cpu]: Invalid value: " + q("2") + ": min value 2 is greater than default value 1|" +
		`spec.limits[1].type: Invalid value: "Foo": must be a standard limit type or fully qualified`
	if strings.Join(got, "|") != want {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}
