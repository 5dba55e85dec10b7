package deployment

import (
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func decode(t *testing.T, manifest string) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	if err := json.Unmarshal([]byte(manifest), &d); err != nil {
		t.Fatal(err)
	}
	Default(&d)
	return &d
}

const valid = `{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`

// TestValidate: kube-apiserver 1.31's causes for the same manifests,
// recorded with the reference script.
func TestValidate(t *testing.T) {
	label := `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
	for _, tc := range []struct{ name, spec, want string }{
		{"valid", valid, ""},
		{"empty", `{}`, "spec.selector: Required value|spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`|spec.template.spec.containers: Required value"},
		{"mismatch", `{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"c"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`,
			"spec.template.metadata.labels: Invalid value: map[string]string{\"a\":\"c\"}: `selector` does not match template `labels`"},
		{"no containers", `{"replicas":-1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[]}}}`,
			"spec.replicas: Invalid value: -1: must be greater than or equal to 0|spec.template.spec.containers: Required value"},
		{"bad containers", `{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"restartPolicy":"Never","containers":[{"name":"X_Y"},{"name":"X_Y","image":"i","ports":[{"containerPort":0}],"env":[{"name":""}]}]}}}`,
			`spec.template.spec.containers[0].name: Invalid value: "X_Y": ` + label + `|spec.template.spec.containers[0].image: Required value|` +
				`spec.template.spec.containers[1].name: Invalid value: "X_Y": ` + label + `|spec.template.spec.containers[1].ports[0].containerPort: Required value|` +
				`spec.template.spec.containers[1].env[0].name: Required value|spec.template.spec.containers[1].name: Duplicate value: "X_Y"|` +
				`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`},
		{"strategy", `{"strategy":{"type":"Foo"},"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`,
			`spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"Foo", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"`},
		{"no surge, none unavailable", `{"strategy":{"rollingUpdate":{"maxSurge":0,"maxUnavailable":0}},"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`,
			`spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when ` + "`maxSurge`" + ` is 0`},
		{"recreate with rolling", `{"strategy":{"type":"Recreate","rollingUpdate":{"maxSurge":1}},"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`,
			"spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"},
		{"deadline", `{"progressDeadlineSeconds":5,"minReadySeconds":10,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`,
			"spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds"},
		{"empty selector", `{"selector":{},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}`,
			"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range Validate(decode(t, `{"metadata":{"name":"d"},"spec":`+tc.spec+`}`)) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), tc.want)
			}
		})
	}
	old := decode(t, `{"spec":`+valid+`}`)
	moved := decode(t, `{"spec":{"selector":{"matchLabels":{"a":"c"}},"template":{"metadata":{"labels":{"a":"c"}},"spec":{"containers":[{"name":"x","image":"i"}]}}}}`)
	if errs := (Strategy{}).ValidateUpdate(nil, moved, old); len(errs) != 1 || errs[0].Error() !=
		`spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"c"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable` {
		t.Errorf("a new selector: %v", errs)
	}
}

// TestDefaults: the spec kube-apiserver 1.31 stores for kubectl create
// deployment web --image=nginx --replicas=2 --port=80, but for the
// template's "creationTimestamp": null, which the k8s.io/api of 1.34 no
// longer writes (kube-apiserver 1.34 does not either).
func TestDefaults(t *testing.T) {
	d := decode(t, `{"metadata":{"name":"web","labels":{"app":"web"}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":80}],"resources":{}}]}},"strategy":{}}}`)
	(Strategy{}).PrepareForCreate(nil, d)
	got, err := json.Marshal(d.Spec)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(got, &m)
	got, _ = json.Marshal(m) // sorted keys
	want := `{"progressDeadlineSeconds":600,"replicas":2,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"web"}},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx","imagePullPolicy":"Always","name":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}}}`
	if string(got) != want {
		t.Errorf("spec\n%s\nwant\n%s", got, want)
	}
	if d.Generation != 1 {
		t.Errorf("generation %d", d.Generation)
	}
	for image, want := range map[string]string{"nginx": "Always", "nginx:latest": "Always", "i:1.0": "IfNotPresent", "reg:5000/i": "Always", "reg:5000/i:2": "IfNotPresent", "i@sha256:abc": "IfNotPresent"} {
		d := decode(t, `{"spec":{"template":{"spec":{"containers":[{"name":"x","image":"`+image+`"}]}}}}`)
		if got := string(d.Spec.Template.Spec.Containers[0].ImagePullPolicy); got != want {
			t.Errorf("pull policy of %s = %s, want %s", image, got, want)
		}
	}
}

// TestScaleAndTable: the Scale's fields and kube's cells.
func TestScaleAndTable(t *testing.T) {
	d := decode(t, `{"metadata":{"name":"web"},"spec":`+valid+`,"status":{"replicas":2,"readyReplicas":1,"updatedReplicas":2,"availableReplicas":1}}`)
	spec, status, selector := Replicas.Get(d)
	if spec != 1 || status != 2 || selector != "a=b" {
		t.Errorf("scale = %d %d %q", spec, status, selector)
	}
	var obj runtime.Object = d
	if err := Replicas.Set(obj, 5); err != nil || *d.Spec.Replicas != 5 {
		t.Errorf("set replicas: %v", err)
	}
	cells, err := Table().Cells(d)
	if err != nil || cells[1] != "1/5" || cells[2] != int64(2) || cells[3] != int64(1) || cells[5] != "x" || cells[6] != "i" || cells[7] != "a=b" {
		t.Errorf("cells = %v, %v", cells, err)
	}
	changed := d.DeepCopy()
	changed.Labels = map[string]string{"x": "y"}
	if (Strategy{}).SpecChanged(changed, d) {
		t.Error("a label bumps the generation")
	}
	changed.Spec.Paused = true
	if !(Strategy{}).SpecChanged(changed, d) {
		t.Error("a spec change does not bump the generation")
	}
}
