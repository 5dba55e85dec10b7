package endpoints

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func decode(t *testing.T, manifest string) *corev1.Endpoints {
	t.Helper()
	var ep corev1.Endpoints
	if err := json.Unmarshal([]byte(manifest), &ep); err != nil {
		t.Fatal(err)
	}
	Default(&ep)
	return &ep
}

// TestValidate: kube-apiserver 1.31's causes for the same objects,
// recorded with the reference script.
func TestValidate(t *testing.T) {
	for _, tc := range []struct{ name, manifest, want string }{
		{"valid", `{"subsets":[{"addresses":[{"ip":"10.1.1.1"}],"notReadyAddresses":[{"ip":"10.1.1.4"}],"ports":[{"port":80,"name":"y"},{"port":81,"name":"x"}]}]}`, ""},
		{"bad addresses and ports", `{"subsets":[{"addresses":[{"ip":"x"},{"ip":"127.0.0.1"},{"ip":"0.0.0.0"},{"ip":"169.254.1.1"}],"ports":[{"port":80},{"port":0,"protocol":"X"}]},{}]}`,
			`subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)|` +
				`subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address|` +
				`subsets[0].addresses[1].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)|` +
				`subsets[0].addresses[2].ip: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)|` +
				`subsets[0].addresses[3].ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)|` +
				`subsets[0].ports[0].name: Required value|subsets[0].ports[1].name: Required value|` +
				`subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive|` +
				`subsets[0].ports[1].protocol: Unsupported value: "X": supported values: "SCTP", "TCP", "UDP"|` +
				"subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`"},
		{"bad hostname and node", `{"subsets":[{"addresses":[{"ip":"10.1.1.1","hostname":"A_B","nodeName":"x y"}],"ports":[{"port":80,"name":"a"}]}]}`,
			`subsets[0].addresses[0].hostname: Invalid value: "A_B": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')|` +
				`subsets[0].addresses[0].nodeName: Invalid value: "x y": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
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
}

// TestFormat: kube's ENDPOINTS cells.
func TestFormat(t *testing.T) {
	for _, tc := range []struct{ manifest, want string }{
		{`{}`, "<none>"},
		{`{"subsets":[{"addresses":[{"ip":"10.1.1.1"},{"ip":"10.1.1.2"},{"ip":"10.1.1.3"}],"notReadyAddresses":[{"ip":"10.1.1.4"}],"ports":[{"port":80,"name":"y"},{"port":81,"name":"x"}]}]}`,
			"10.1.1.1:80,10.1.1.2:80,10.1.1.3:80 + 3 more..."},
		{`{"subsets":[{"notReadyAddresses":[{"ip":"10.1.1.4"}],"ports":[{"port":80}]}]}`, ""},
		{`{"subsets":[{"addresses":[{"ip":"fd00::1"}]}]}`, "fd00::1"},
		{`{"subsets":[{"addresses":[{"ip":"fd00::1"}],"ports":[{"port":443}]}]}`, "[fd00::1]:443"},
	} {
		if got := Format(decode(t, tc.manifest)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.manifest, got, tc.want)
		}
	}
}
