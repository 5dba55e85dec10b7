package job

import (
	"encoding/json"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func decode(t *testing.T, manifest string) *batchv1.Job {
	t.Helper()
	var j batchv1.Job
	if err := json.Unmarshal([]byte(manifest), &j); err != nil {
		t.Fatal(err)
	}
	Default(&j)
	j.UID = types.UID("uid-1")
	(Strategy{}).PrepareForCreate(nil, &j)
	return &j
}

// TestValidate: kube-apiserver 1.31's causes for the same manifests,
// recorded with the reference script.
func TestValidate(t *testing.T) {
	for _, tc := range []struct{ name, manifest, want string }{
		{"valid", `{"metadata":{"name":"j"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"x","image":"i"}]}}}}`, ""},
		{"indexed", `{"metadata":{"name":"j"},"spec":{"completionMode":"Indexed","template":{"spec":{"restartPolicy":"Never","containers":[{"name":"x","image":"i"}]}}}}`, ""},
		{"empty", `{"metadata":{"name":"j"},"spec":{"template":{"spec":{"containers":[]}}}}`,
			`spec.template.spec.containers: Required value|spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`},
		{"negative", `{"metadata":{"name":"j"},"spec":{"parallelism":-1,"completions":-1,"backoffLimit":-1,"activeDeadlineSeconds":0,"template":{"spec":{"restartPolicy":"Always","containers":[{"name":"x","image":"i"}]}}}}`,
			`spec.parallelism: Invalid value: -1: must be greater than or equal to 0|spec.completions: Invalid value: -1: must be greater than or equal to 0|` +
				`spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0|spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`},
		{"own selector", `{"metadata":{"name":"j"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"restartPolicy":"Never","containers":[{"name":"x","image":"i"}]}}}}`,
			"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"a\":\"b\", \"batch.kubernetes.io/controller-uid\":\"uid-1\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated"},
		{"manual selector", `{"metadata":{"name":"j"},"spec":{"manualSelector":true,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"restartPolicy":"Never","containers":[{"name":"x","image":"i"}]}}}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range (Strategy{}).Validate(nil, decode(t, tc.manifest)) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), tc.want)
			}
		})
	}
}

// TestDefaults: what kube-apiserver 1.31 stores for kubectl create job j1
// --image=busybox -- echo hi (the template's "creationTimestamp": null
// aside, which the k8s.io/api of 1.34 no longer writes).
func TestDefaults(t *testing.T) {
	j := decode(t, `{"metadata":{"name":"j1"},"spec":{"template":{"metadata":{},"spec":{"containers":[{"name":"j1","image":"busybox","command":["echo","hi"],"resources":{}}],"restartPolicy":"Never"}}}}`)
	labels, _ := json.Marshal(j.Labels)
	if string(labels) != `{"batch.kubernetes.io/controller-uid":"uid-1","batch.kubernetes.io/job-name":"j1","controller-uid":"uid-1","job-name":"j1"}` {
		t.Errorf("labels %s", labels)
	}
	spec, _ := json.Marshal(j.Spec)
	var m map[string]any
	_ = json.Unmarshal(spec, &m)
	spec, _ = json.Marshal(m)
	want := `{"backoffLimit":6,"completionMode":"NonIndexed","completions":1,"manualSelector":false,"parallelism":1,"podReplacementPolicy":"TerminatingOrFailed","selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"uid-1"}},"suspend":false,"template":{"metadata":{"labels":{"batch.kubernetes.io/controller-uid":"uid-1","batch.kubernetes.io/job-name":"j1","controller-uid":"uid-1","job-name":"j1"}},"spec":{"containers":[{"command":["echo","hi"],"image":"busybox","imagePullPolicy":"Always","name":"j1","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Never","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}`
	if string(spec) != want {
		t.Errorf("spec\n%s\nwant\n%s", spec, want)
	}
	changed := j.DeepCopy()
	five := int32(5)
	changed.Spec.Completions = &five
	if errs := (Strategy{}).ValidateUpdate(nil, changed, j); len(errs) != 1 || errs[0].Error() != "spec.completions: Invalid value: 5: field is immutable" {
		t.Errorf("changing completions: %v", errs)
	}
	changed = j.DeepCopy()
	changed.Spec.Parallelism = &five
	if errs := (Strategy{}).ValidateUpdate(nil, changed, j); len(errs) != 0 || !(Strategy{}).SpecChanged(changed, j) {
		t.Errorf("changing parallelism: %v", errs)
	}
}

// TestTable: kube's STATUS and COMPLETIONS cells.
func TestTable(t *testing.T) {
	j := decode(t, `{"metadata":{"name":"j"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"x","image":"i"}]}}}}`)
	cells, _ := Table().Cells(j)
	if cells[1] != "Running" || cells[2] != "0/1" || cells[3] != "" || cells[7] != "batch.kubernetes.io/controller-uid=uid-1" {
		t.Errorf("cells %v", cells)
	}
	j.Spec.Completions = nil
	three := int32(3)
	j.Spec.Parallelism = &three
	j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: "True"}}
	start := metav1.Now()
	j.Status.StartTime, j.Status.CompletionTime = &start, &start
	cells, _ = Table().Cells(j)
	if cells[1] != "Complete" || cells[2] != "0/1 of 3" || cells[3] != "0s" {
		t.Errorf("cells %v", cells)
	}
}
