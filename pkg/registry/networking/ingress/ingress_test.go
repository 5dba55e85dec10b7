package ingress

import (
	"encoding/json"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func decode(t *testing.T, manifest string) *networkingv1.Ingress {
	t.Helper()
	var ing networkingv1.Ingress
	if err := json.Unmarshal([]byte(manifest), &ing); err != nil {
		t.Fatal(err)
	}
	return &ing
}

// TestValidate: kube-apiserver 1.31's causes for the same manifests,
// recorded with the reference script.
func TestValidate(t *testing.T) {
	subdomain := `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
	for _, tc := range []struct{ name, spec, want string }{
		{"kubectl create ingress", `{"ingressClassName":"nginx","rules":[{"host":"foo.com","http":{"paths":[{"backend":{"service":{"name":"svc1","port":{"number":8080}}},"path":"/bar","pathType":"Prefix"}]}}],"tls":[{"hosts":["foo.com"],"secretName":"my-cert"}]}`, ""},
		{"wildcard", `{"rules":[{"host":"*.example.com","http":{"paths":[{"path":"/","pathType":"Exact","backend":{"service":{"name":"s","port":{"name":"http"}}}}]}}]}`, ""},
		{"empty", `{}`, "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"},
		{"bad", `{"ingressClassName":"Bad_Class","rules":[{"host":"*.a.b.c","http":{"paths":[{"path":"nope","pathType":"Prefix","backend":{"service":{"name":"s","port":{"number":0}}}},{"path":"/x","backend":{"service":{"name":"s","port":{"name":"p","number":80}}}},{"path":"/y","pathType":"Weird","backend":{}}]}},{"host":"1.2.3.4"}],"tls":[{"hosts":["A_B"]}]}`,
			`spec.rules[0].http.paths[0].path: Invalid value: "nope": must be an absolute path|` +
				`spec.rules[0].http.paths[0].backend: Required value: port name or number is required|` +
				`spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified|` +
				`spec.rules[0].http.paths[2].pathType: Unsupported value: "Weird": supported values: "Exact", "ImplementationSpecific", "Prefix"|` +
				`spec.rules[0].http.paths[2].backend: Invalid value: "": resource or service backend is required|` +
				`spec.rules[1].host: Invalid value: "1.2.3.4": must be a DNS name, not an IP address|` +
				`spec.tls[0].hosts[0]: Invalid value: "A_B": ` + subdomain + `|` +
				`spec.ingressClassName: Invalid value: "Bad_Class": ` + subdomain},
		{"two backends", `{"defaultBackend":{"service":{"name":"s","port":{"number":80}},"resource":{"kind":"K","name":"n"}}}`,
			`spec.defaultBackend: Invalid value: "": cannot set both resource and service backends`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range ValidateSpec(&decode(t, `{"spec":`+tc.spec+`}`).Spec, field.NewPath("spec")) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), tc.want)
			}
		})
	}
}

// TestTable: kube's cells.
func TestTable(t *testing.T) {
	ing := decode(t, `{"metadata":{"name":"ing1"},"spec":{"ingressClassName":"nginx","rules":[{"host":"foo.com"}],"tls":[{"hosts":["foo.com"]}]},"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"}]}}}`)
	cells, err := Table().Cells(ing)
	if err != nil || cells[1] != "nginx" || cells[2] != "foo.com" || cells[3] != "192.0.2.1" || cells[4] != "80, 443" {
		t.Errorf("cells %v %v", cells, err)
	}
	if cells, _ := Table().Cells(decode(t, `{"spec":{"defaultBackend":{}}}`)); cells[1] != "<none>" || cells[2] != "*" || cells[4] != "80" {
		t.Errorf("cells %v", cells)
	}
}
