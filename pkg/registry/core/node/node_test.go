package node

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestNode: kube-apiserver 1.31's defaults, causes and cells for the same
// manifests, recorded with the reference script.
func TestNode(t *testing.T) {
	decode := func(manifest string) *corev1.Node {
		var n corev1.Node
		if err := json.Unmarshal([]byte(manifest), &n); err != nil {
			t.Fatal(err)
		}
		Default(&n)
		return &n
	}
	n := decode(`{"metadata":{"name":"n1","labels":{"node-role.kubernetes.io/control-plane":""}},"spec":{"podCIDR":"10.244.0.0/24","taints":[{"key":"a","effect":"NoSchedule"}]},"status":{"capacity":{"cpu":"2"},"conditions":[{"type":"Ready","status":"True"}],"nodeInfo":{"kubeletVersion":"v1.31.0"}}}`)
	(Strategy{}).PrepareForCreate(nil, n)
	spec, _ := json.Marshal(n.Spec)
	if string(spec) != `{"podCIDR":"10.244.0.0/24","podCIDRs":["10.244.0.0/24"],"taints":[{"key":"a","effect":"NoSchedule"},{"key":"node.kubernetes.io/not-ready","effect":"NoSchedule"}]}` {
		t.Errorf("spec %s", spec)
	}
	if n.Status.Allocatable.Cpu().String() != "2" {
		t.Errorf("allocatable %v", n.Status.Allocatable)
	}
	if errs := Validate(n); len(errs) != 0 {
		t.Errorf("errors of a valid node: %v", errs)
	}
	cells, _ := Table().Cells(n)
	if cells[1] != "Ready" || cells[2] != "control-plane" || cells[4] != "v1.31.0" || cells[5] != "<none>" || cells[7] != "<unknown>" {
		t.Errorf("cells %v", cells)
	}
	var got []string
	for _, e := range Validate(decode(`{"spec":{"podCIDR":"bad","podCIDRs":["bad"],"taints":[{"key":"a b","effect":"X"},{"key":"a","effect":"NoSchedule"},{"key":"a","effect":"NoSchedule"}]}}`)) {
		got = append(got, e.Error())
	}
	want := `metadata.taints[0].key: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')|` +
		`metadata.taints[0].effect: Unsupported value: "X": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"|` +
		`metadata.taints[2]: Duplicate value: core.Taint{Key:"a", Value:"", Effect:"NoSchedule", TimeAdded:<nil>}: taints must be unique by key and effect pair|` +
		`spec.podCIDRs[0]: Invalid value: "bad": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`
	if strings.Join(got, "|") != want {
		t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	moved := n.DeepCopy()
	moved.Spec.PodCIDRs = []string{"10.244.1.0/24"}
	if errs := (Strategy{}).ValidateUpdate(nil, moved, n); len(errs) != 1 || errs[0].Error() != `spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid` {
		t.Errorf("changing podCIDRs: %v", errs)
	}
	moved = n.DeepCopy()
	moved.Spec.Unschedulable = true
	if cells, _ := Table().Cells(moved); cells[1] != "Ready,SchedulingDisabled" {
		t.Errorf("cordoned %v", cells[1])
	}
}
