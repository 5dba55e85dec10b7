package horizontalpodautoscaler

import (
	"encoding/json"
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// TestAutoscaler: kube-apiserver 1.31's defaults, status, causes and
// cells for the same manifests, recorded with the reference script.
func TestAutoscaler(t *testing.T) {
	decode := func(manifest string) *autoscalingv2.HorizontalPodAutoscaler {
		var h autoscalingv2.HorizontalPodAutoscaler
		if err := json.Unmarshal([]byte(manifest), &h); err != nil {
			t.Fatal(err)
		}
		Default(&h)
		return &h
	}
	h := decode(`{"metadata":{"name":"h3"},"spec":{"maxReplicas":3,"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}}}`)
	(Strategy{}).PrepareForCreate(nil, h)
	spec, _ := json.Marshal(h.Spec)
	status, _ := json.Marshal(h.Status)
	if string(spec) != `{"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"minReplicas":1,"maxReplicas":3,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}}]}` ||
		string(status) != `{"desiredReplicas":0,"currentMetrics":null}` || h.Generation != 0 {
		t.Errorf("spec %s status %s generation %d", spec, status, h.Generation)
	}
	if errs := Validate(h); len(errs) != 0 {
		t.Errorf("errors of a valid autoscaler %v", errs)
	}
	if cells, _ := Table().Cells(h); cells[1] != "Deployment/web" || cells[2] != "cpu: <unknown>/80%" || cells[3] != "1" || cells[4] != int64(3) {
		t.Errorf("cells %v", cells)
	}
	var got []string
	for _, e := range Validate(decode(`{"spec":{"minReplicas":0,"maxReplicas":0,"scaleTargetRef":{"kind":"","name":""},"metrics":[{"type":"Foo"}]}}`)) {
		got = append(got, e.Error())
	}
	want := `spec.minReplicas: Invalid value: 0: must be greater than or equal to 1|spec.maxReplicas: Invalid value: 0: must be greater than 0|` +
		`spec.scaleTargetRef.kind: Required value|spec.scaleTargetRef.name: Required value|` +
		`spec.metrics[0].type: Unsupported value: "Foo": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"|` +
		`spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas`
	if strings.Join(got, "|") != want {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}
