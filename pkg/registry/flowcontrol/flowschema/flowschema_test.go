package flowschema

import (
	"encoding/json"
	"testing"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
)

// TestValidate: kube-apiserver 1.31's messages for the same specs,
// recorded with the reference script, in its order.
func TestValidate(t *testing.T) {
	tests := []struct {
		spec string
		want []string
	}{
		{`{"priorityLevelConfiguration":{"name":""},"matchingPrecedence":20000,"distinguisherMethod":{"type":"X"},"rules":[{"subjects":[{"kind":"User"},{"kind":"Nobody"},{"kind":"ServiceAccount","serviceAccount":{"name":"a"}}],"resourceRules":[{"verbs":[],"apiGroups":[],"resources":[]}],"nonResourceRules":[{"verbs":[],"nonResourceURLs":[]}]},{"subjects":[]}]}`, []string{
			"spec.matchingPrecedence: Invalid value: 20000: must not be greater than 10000",
			"spec.distinguisherMethod.type: Unsupported value: flowcontrol.FlowDistinguisherMethod{Type:\"X\"}: supported values: \"ByNamespace\", \"ByUser\"",
			"spec.priorityLevelConfiguration.name: Required value: must reference a priority level",
			"spec.rules[0].subjects[0].user: Required value: user is required when subject kind is 'User'",
			"spec.rules[0].subjects[1].kind: Unsupported value: \"Nobody\": supported values: \"Group\", \"ServiceAccount\", \"User\"",
			"spec.rules[0].subjects[2].serviceAccount.namespace: Required value: must specify namespace for service account",
			"spec.rules[0].resourceRules[0].verbs: Required value: verbs must contain at least one value",
			"spec.rules[0].resourceRules[0].apiGroups: Required value: resource rules must supply at least one api group",
			"spec.rules[0].resourceRules[0].resources: Required value: resource rules must supply at least one resource",
			"spec.rules[0].resourceRules[0].namespaces: Required value: resource rules that are not cluster scoped must supply at least one namespace",
			"spec.rules[0].nonResourceRules[0].verbs: Required value: verbs must contain at least one value",
			"spec.rules[0].nonResourceRules[0].nonResourceURLs: Required value: nonResourceURLs must contain at least one value",
			"spec.rules[1].subjects: Required value: subjects must contain at least one value",
			"spec.rules[1]: Required value: at least one of resourceRules and nonResourceRules has to be non-empty",
		}},
		{`{"priorityLevelConfiguration":{"name":"x"},"matchingPrecedence":-1}`, []string{"spec.matchingPrecedence: Invalid value: -1: must be a positive value"}},
		{`{"priorityLevelConfiguration":{"name":"x"},"rules":[{"subjects":[{"kind":"User","user":{}},{"kind":"Group","group":{}},{"kind":"ServiceAccount","serviceAccount":{"namespace":"a"}},{"kind":"Group"},{"kind":"ServiceAccount"}],"resourceRules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]}]}`, []string{
			"spec.rules[0].subjects[0].user.name: Required value",
			"spec.rules[0].subjects[1].group.name: Required value",
			"spec.rules[0].subjects[2].serviceAccount.name: Required value",
			"spec.rules[0].subjects[3].group: Required value: group is required when subject kind is 'Group'",
			"spec.rules[0].subjects[4].serviceAccount: Required value: serviceAccount is required when subject kind is 'ServiceAccount'",
			"spec.rules[0].resourceRules[0].namespaces: Required value: resource rules that are not cluster scoped must supply at least one namespace",
		}},
	}
	for _, tt := range tests {
		var fs flowcontrolv1.FlowSchema
		if err := json.Unmarshal([]byte(tt.spec), &fs.Spec); err != nil {
			t.Fatal(err)
		}
		Default(&fs)
		errs := Validate(&fs.Spec)
		if len(errs) != len(tt.want) {
			t.Errorf("%s: %d errors %v, want %d", tt.spec, len(errs), errs, len(tt.want))
			continue
		}
		for i, e := range errs {
			if e.Error() != tt.want[i] {
				t.Errorf("error %d:\n got %s\nwant %s", i, e.Error(), tt.want[i])
			}
		}
	}
}
