package networkpolicy

import (
	"encoding/json"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func decode(t *testing.T, manifest string) *networkingv1.NetworkPolicy {
	t.Helper()
	var np networkingv1.NetworkPolicy
	if err := json.Unmarshal([]byte(manifest), &np); err != nil {
		t.Fatal(err)
	}
	Default(&np)
	return &np
}

// TestValidate: kube-apiserver 1.31's causes and defaults for the same
// manifests, recorded with the reference script.
func TestValidate(t *testing.T) {
	for _, tc := range []struct{ name, spec, want string }{
		{"valid", `{"podSelector":{},"ingress":[{"ports":[{"port":80}],"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}]}`, ""},
		{"bad", `{"podSelector":{},"policyTypes":["Foo"],"ingress":[{"ports":[{"port":0,"protocol":"X"}],"from":[{"ipBlock":{"cidr":"bad"}}]}]}`,
			`spec.ingress[0].ports[0].protocol: Unsupported value: "X": supported values: "TCP", "UDP", "SCTP"|` +
				`spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive|` +
				`spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "bad": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)|` +
				`spec.policyTypes[0]: Unsupported value: "Foo": supported values: "Ingress", "Egress"`},
		{"no peer", `{"podSelector":{},"egress":[{"to":[{}]}]}`, "spec.egress[0].to[0]: Required value: must specify a peer"},
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
	np := decode(t, `{"metadata":{"name":"n2"},"spec":{"podSelector":{},"ingress":[{"ports":[{"port":80}]}]}}`)
	spec, _ := json.Marshal(np.Spec)
	if string(spec) != `{"podSelector":{},"ingress":[{"ports":[{"protocol":"TCP","port":80}]}],"policyTypes":["Ingress"]}` {
		t.Errorf("defaults %s", spec)
	}
	if cells, _ := Table().Cells(np); cells[1] != "<none>" {
		t.Errorf("cells %v", cells)
	}
	if got := decode(t, `{"spec":{"podSelector":{},"egress":[{}]}}`).Spec.PolicyTypes; len(got) != 2 {
		t.Errorf("policy types with egress rules %v", got)
	}
}
