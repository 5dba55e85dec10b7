package cronjob

import (
	"encoding/json"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
)

func decode(t *testing.T, manifest string) *batchv1.CronJob {
	t.Helper()
	var c batchv1.CronJob
	if err := json.Unmarshal([]byte(manifest), &c); err != nil {
		t.Fatal(err)
	}
	Default(&c)
	return &c
}

// TestValidate: kube-apiserver 1.31's causes for the same manifests,
// recorded with the reference script.
func TestValidate(t *testing.T) {
	for _, tc := range []struct{ name, spec, want string }{
		{"valid", `{"schedule":"*/5 * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"x","image":"i"}]}}}}}`, ""},
		{"macro", `{"schedule":"@hourly","timeZone":"Europe/Paris","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"x","image":"i"}]}}}}}`, ""},
		{"bad", `{"schedule":"bad","concurrencyPolicy":"X","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Always","containers":[{"name":"x","image":"i"}]}}}}}`,
			`spec.schedule: Invalid value: "bad": expected exactly 5 fields, found 1: [bad]|spec.concurrencyPolicy: Unsupported value: "X": supported values: "Allow", "Forbid", "Replace"|` +
				`spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`},
		{"empty", `{}`, `spec.schedule: Required value|spec.jobTemplate.spec.template.spec.containers: Required value|spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`},
		{"time zones", `{"schedule":"TZ=UTC * * * * *","timeZone":"Mars/Base","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"x","image":"i"}]}}}}}`,
			`spec.schedule: Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead|spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range Validate(decode(t, `{"metadata":{"name":"c"},"spec":`+tc.spec+`}`)) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), tc.want)
			}
		})
	}
}

// TestDefaultsAndTable: kube's defaults (the Job template's own are not
// set) and cells.
func TestDefaultsAndTable(t *testing.T) {
	c := decode(t, `{"metadata":{"name":"c1"},"spec":{"schedule":"*/5 * * * *","jobTemplate":{"metadata":{"name":"c1"},"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c1","image":"busybox"}]}}}}}}`)
	spec, _ := json.Marshal(c.Spec)
	var m map[string]any
	_ = json.Unmarshal(spec, &m)
	spec, _ = json.Marshal(m)
	want := `{"concurrencyPolicy":"Allow","failedJobsHistoryLimit":1,"jobTemplate":{"metadata":{"name":"c1"},"spec":{"template":{"metadata":{},"spec":{"containers":[{"image":"busybox","imagePullPolicy":"Always","name":"c1","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"OnFailure","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}},"schedule":"*/5 * * * *","successfulJobsHistoryLimit":3,"suspend":false}`
	if string(spec) != want {
		t.Errorf("spec\n%s\nwant\n%s", spec, want)
	}
	cells, err := Table().Cells(c)
	if err != nil || cells[1] != "*/5 * * * *" || cells[2] != "<none>" || cells[3] != "False" || cells[4] != int64(0) || cells[5] != "<none>" || cells[9] != "<none>" {
		t.Errorf("cells %v %v", cells, err)
	}
}
