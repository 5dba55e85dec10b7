package endpointslice

import (
	"encoding/json"
	"strings"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
)

func decode(t *testing.T, manifest string) *discoveryv1.EndpointSlice {
	t.Helper()
	var es discoveryv1.EndpointSlice
	if err := json.Unmarshal([]byte(manifest), &es); err != nil {
		t.Fatal(err)
	}
	Default(&es)
	return &es
}

// TestValidate: kube-apiserver 1.31's causes for the same objects,
// recorded with the reference script.
func TestValidate(t *testing.T) {
	for _, tc := range []struct{ name, manifest, want string }{
		{"valid", `{"addressType":"IPv4","endpoints":[{"addresses":["10.1.1.1"]},{"addresses":["10.1.1.2"],"conditions":{"ready":false}}],"ports":[{"port":80},{"name":"x"}]}`, ""},
		{"empty", `{"addressType":"IPv4","endpoints":[]}`, ""},
		{"bad addresses and ports", `{"addressType":"IPv4","endpoints":[{"addresses":["x","127.0.0.1","fd00::1"]},{"addresses":[]}],"ports":[{"port":0,"name":"A_B","protocol":"X"},{"name":"A_B"}]}`,
			`endpoints[0].addresses[0]: Invalid value: "x": must be a valid IPv4 address|` +
				`endpoints[0].addresses[0]: Invalid value: "x": must be a valid IP address|` +
				`endpoints[0].addresses[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)|` +
				`endpoints[0].addresses[2]: Invalid value: "fd00::1": must be a valid IPv4 address|` +
				`endpoints[1].addresses: Required value: must contain at least 1 address|` +
				`ports[0].name: Invalid value: "A_B": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')|` +
				`ports[0].protocol: Unsupported value: "X": supported values: "SCTP", "TCP", "UDP"|` +
				`ports[1].name: Invalid value: "A_B": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')|` +
				`ports[1].name: Duplicate value: "A_B"`},
		{"bad type", `{"addressType":"Foo","endpoints":[]}`, `addressType: Unsupported value: "Foo": supported values: "FQDN", "IPv4", "IPv6"`},
		{"no type", `{"endpoints":[{"addresses":["a.b"],"hostname":"A_B","nodeName":"x y"}]}`,
			`addressType: Required value|` +
				`endpoints[0].nodeName: Invalid value: "x y": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')|` +
				`endpoints[0].hostname: Invalid value: "A_B": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range Validate(decode(t, tc.manifest)) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), tc.want)
			}
		})
	}
	old := decode(t, `{"addressType":"IPv4","endpoints":[]}`)
	if errs := (Strategy{}).ValidateUpdate(nil, decode(t, `{"addressType":"IPv6","endpoints":[]}`), old); len(errs) != 1 ||
		errs[0].Error() != `addressType: Invalid value: "IPv6": field is immutable` {
		t.Errorf("changing the address type: %v", errs)
	}
}

// TestGenerationAndTable: kube's defaults, generation and cells.
func TestGenerationAndTable(t *testing.T) {
	es := decode(t, `{"metadata":{"name":"s4"},"addressType":"IPv4","endpoints":[{"addresses":["10.1.1.1"]},{"addresses":["10.1.1.2"]},{"addresses":["10.1.1.3"]},{"addresses":["10.1.1.4"]}],"ports":[{"port":80},{"name":"x"}]}`)
	(Strategy{}).PrepareForCreate(nil, es)
	if es.Generation != 1 || *es.Ports[0].Name != "" || *es.Ports[1].Protocol != "TCP" {
		t.Errorf("defaults: generation %d, ports %+v", es.Generation, es.Ports)
	}
	cells, err := Table().Cells(es)
	if err != nil || cells[1] != "IPv4" || cells[2] != "80,x" || cells[3] != "10.1.1.1,10.1.1.2,10.1.1.3 + 1 more..." {
		t.Errorf("cells = %v, %v", cells, err)
	}
	empty := decode(t, `{"addressType":"IPv4","endpoints":[]}`)
	if cells, _ := Table().Cells(empty); cells[2] != "<unset>" || cells[3] != "<unset>" {
		t.Errorf("empty cells = %v", cells)
	}
	changed := es.DeepCopy()
	changed.Labels = map[string]string{"a": "b"}
	if (Strategy{}).SpecChanged(changed, es) {
		t.Error("a label change bumps the generation")
	}
	changed.Endpoints = changed.Endpoints[:1]
	if !(Strategy{}).SpecChanged(changed, es) {
		t.Error("an endpoint change does not bump the generation")
	}
}
