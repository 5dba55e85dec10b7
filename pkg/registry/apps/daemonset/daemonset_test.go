package daemonset

import (
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

func decode(t *testing.T, manifest string) *appsv1.DaemonSet {
	t.Helper()
	var d appsv1.DaemonSet
	if err := json.Unmarshal([]byte(manifest), &d); err != nil {
		t.Fatal(err)
	}
	Default(&d)
	return &d
}

// TestDaemonSet: kube-apiserver 1.31's defaults, causes and columns for
// the same manifests, recorded with the reference script.
func TestDaemonSet(t *testing.T) {
	bad := decode(t, `{"metadata":{"name":"d2"},"spec":{"updateStrategy":{"type":"Y"},"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"c"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}}`)
	var got []string
	for _, e := range Validate(bad) {
		got = append(got, e.Error())
	}
	if strings.Join(got, "|") != "spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"c\"}: `selector` does not match template `labels`|"+
		`spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Y", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"` {
		t.Errorf("errors %q", got)
	}
	d := decode(t, `{"metadata":{"name":"ds1"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}}`)
	(Strategy{}).PrepareForCreate(nil, d)
	if errs := Validate(d); len(errs) != 0 {
		t.Errorf("errors of a valid DaemonSet: %v", errs)
	}
	strategy, _ := json.Marshal(d.Spec.UpdateStrategy)
	status, _ := json.Marshal(d.Status)
	if string(strategy) != `{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":0}}` || *d.Spec.RevisionHistoryLimit != 10 ||
		string(status) != `{"currentNumberScheduled":0,"numberMisscheduled":0,"desiredNumberScheduled":0,"numberReady":0}` || d.Generation != 1 {
		t.Errorf("defaults: strategy %s status %s generation %d", strategy, status, d.Generation)
	}
	cells, err := Table().Cells(d)
	if err != nil || cells[6] != "<none>" || cells[8] != "x" || cells[10] != "a=b" {
		t.Errorf("cells %v %v", cells, err)
	}
}
