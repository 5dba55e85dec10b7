package podtemplate

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestPodTemplate: kube-apiserver 1.31's defaults, causes and cells for
// the same manifests, recorded with the reference script.
func TestPodTemplate(t *testing.T) {
	decode := func(manifest string) *corev1.PodTemplate {
		var pt corev1.PodTemplate
		if err := json.Unmarshal([]byte(manifest), &pt); err != nil {
			t.Fatal(err)
		}
		Type().Defaults(&pt)
		return &pt
	}
	pt := decode(`{"metadata":{"name":"pt1"},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`)
	(Strategy{}).PrepareForCreate(nil, pt)
	got, _ := json.Marshal(pt.Template.Spec)
	if string(got) != `{"containers":[{"name":"x","image":"i","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}` || pt.Generation != 1 {
		t.Errorf("defaults %s, generation %d", got, pt.Generation)
	}
	if errs := (Strategy{}).Validate(nil, pt); len(errs) != 0 {
		t.Errorf("errors of a valid template: %v", errs)
	}
	bad := decode(`{"metadata":{"name":"pt2"},"template":{"spec":{"restartPolicy":"Sometimes","containers":[]}}}`)
	var msgs []string
	for _, e := range (Strategy{}).Validate(nil, bad) {
		msgs = append(msgs, e.Error())
	}
	if strings.Join(msgs, "|") != `template.spec.containers: Required value|template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"` {
		t.Errorf("errors %q", msgs)
	}
	cells, err := Table().Cells(pt)
	if err != nil || cells[1] != "x" || cells[2] != "i" || cells[3] != "a=b" {
		t.Errorf("cells %v %v", cells, err)
	}
}
