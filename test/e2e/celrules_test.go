package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ruledCRD has validation rules of each kind: a rule with a message, a
// messageExpression, a transition rule with a reason and fieldPath, a
// rule on map-list items and one on the status, each within kube's
// static cost limits (string concatenation of an int, or an unbounded
// list, would be refused).
const ruledCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: rulers.rules.example.com
spec:
  group: rules.example.com
  names: {kind: Ruler, plural: rulers, singular: ruler}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: self.minReplicas <= self.maxReplicas
              messageExpression: "'minReplicas (%d) must not exceed maxReplicas'.format([self.minReplicas])"
            - rule: self.mode == oldSelf.mode
              message: mode is immutable
              reason: FieldValueForbidden
              fieldPath: .mode
            properties:
              minReplicas: {type: integer}
              maxReplicas: {type: integer}
              mode: {type: string}
              name: {type: string, x-kubernetes-validations: [{rule: "self.matches('^[a-z]+$')", message: lowercase letters only}]}
              ports:
                type: array
                maxItems: 64
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    port: {type: integer, x-kubernetes-validations: [{rule: "self >= 1024 || self == 80"}]}
          status:
            type: object
            properties:
              ready: {type: integer, x-kubernetes-validations: [{rule: "self >= 0", message: ready is never negative}]}
`

func TestCRDValidationRules(t *testing.T) {
	p := startBinary(t, "", nil)
	k := kubectl{t: t, bin: requireTool(t, "kubectl", "kubectl"), kubeconfig: filepath.Join(p.DataDir, "admin.kubeconfig"), home: t.TempDir()}
	k.stdin(ruledCRD, "apply", "-f", "-")
	waitUntil(t, 20*time.Second, "the rulers resource", func() bool {
		_, err := k.try("get", "rulers")
		return err == nil
	})
	ruler := func(name, body string) string {
		return "apiVersion: rules.example.com/v1\nkind: Ruler\nmetadata: {name: " + name + ", namespace: default}\nspec: " + body + "\n"
	}
	expectRefusal := func(input string, want ...string) {
		t.Helper()
		out, err := k.stdinTry(input, "apply", "--server-side", "-f", "-")
		if err == nil {
			t.Fatalf("accepted: %s", out)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("refusal %q does not say %q", out, w)
			}
		}
	}
	expectRefusal(ruler("g1", "{minReplicas: 3, maxReplicas: 2, mode: a, name: Bad1, ports: [{name: web, port: 81}]}"),
		`The Ruler "g1" is invalid:`,
		`spec: Invalid value: "object": minReplicas (3) must not exceed maxReplicas`,
		`spec.name: Invalid value: "string": lowercase letters only`,
		`spec.ports[0].port: Invalid value: "integer": failed rule: self >= 1024 || self == 80`)
	k.stdin(ruler("g1", "{minReplicas: 1, maxReplicas: 2, mode: a, name: good, ports: [{name: web, port: 80}]}"), "apply", "--server-side", "-f", "-")
	// A transition rule: mode never changes once set.
	expectRefusal(ruler("g1", "{minReplicas: 1, maxReplicas: 2, mode: b, name: good, ports: [{name: web, port: 80}]}"),
		`spec.mode: Forbidden: mode is immutable`)
	k.stdin(ruler("g1", "{minReplicas: 2, maxReplicas: 2, mode: a, name: good, ports: [{name: web, port: 80}]}"), "apply", "--server-side", "-f", "-")
	// The status subresource is validated by its rules.
	out, err := k.try("patch", "ruler", "g1", "--subresource=status", "--type=merge", "-p", `{"status":{"ready":-1}}`)
	if err == nil || !strings.Contains(out, `status.ready: Invalid value: "integer": ready is never negative`) {
		t.Errorf("status rule: %v %s", err, out)
	}
	k.run("patch", "ruler", "g1", "--subresource=status", "--type=merge", "-p", `{"status":{"ready":1}}`)
	// A definition whose rule does not compile is refused with the reason
	// (at spec.validation: as kube, a schema every version shares is
	// reported there; the value is kube's internal rule in Go syntax).
	bad := strings.Replace(strings.Replace(ruledCRD, "rulers.rules", "broken.rules", 1), "plural: rulers", "plural: broken", 1)
	bad = strings.Replace(bad, "kind: Ruler, ", "kind: Broken, ", 1)
	bad = strings.Replace(bad, "self.minReplicas <= self.maxReplicas", "self.minReplicas <= self.replicas", 1)
	out, err = k.stdinTry(bad, "apply", "-f", "-")
	if err == nil || !strings.Contains(out, `spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.minReplicas <= self.replicas", Message:"", MessageExpression:"'minReplicas (%d) must not exceed maxReplicas'.format([self.minReplicas])", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:25: undefined field 'replicas'`) {
		t.Errorf("a rule that does not compile: %v %s", err, out)
	}
}
