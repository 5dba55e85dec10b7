package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/user"
)

func writePolicy(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const policyYAML = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  users: ["system:kube-proxy"]
- level: None
  nonResourceURLs: ["/healthz*", "/version"]
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets", "configmaps/*"]
- level: RequestResponse
  verbs: ["create"]
  namespaces: ["prod"]
  omitManagedFields: true
- level: Request
  userGroups: ["devs"]
  resources:
  - group: "rbac.authorization.k8s.io"
  - group: "coordination.k8s.io"
    resources: ["leases"]
    resourceNames: ["leader"]
- level: Metadata
  omitStages: [ResponseStarted]
`

func TestEvaluate(t *testing.T) {
	p, err := LoadPolicy(writePolicy(t, policyYAML))
	if err != nil {
		t.Fatal(err)
	}
	alice := &user.Info{Name: "alice", Groups: []string{"devs"}}
	res := func(verb, group, resource, sub, ns, name string) authz.Attributes {
		return authz.Attributes{User: alice, Verb: verb, IsResourceRequest: true, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	for _, tc := range []struct {
		name  string
		attrs authz.Attributes
		level Level
		omit  []Stage
	}{
		{"user of the first rule", authz.Attributes{User: &user.Info{Name: "system:kube-proxy"}, Verb: "get", Path: "/api"}, LevelNone, []Stage{StageRequestReceived}},
		{"a URL by prefix", authz.Attributes{User: alice, Verb: "get", Path: "/healthz/etcd"}, LevelNone, []Stage{StageRequestReceived}},
		{"a URL exactly", authz.Attributes{User: alice, Verb: "get", Path: "/version"}, LevelNone, []Stage{StageRequestReceived}},
		{"secrets, whatever the verb", res("create", "", "secrets", "", "prod", "s"), LevelMetadata, []Stage{StageRequestReceived}},
		{"configmaps' subresources, not configmaps", res("create", "", "configmaps", "", "prod", ""), LevelRequestResponse, []Stage{StageRequestReceived}},
		{"a subresource by resource/*", res("get", "", "configmaps", "status", "dev", "c"), LevelMetadata, []Stage{StageRequestReceived}},
		{"a whole group", res("delete", "rbac.authorization.k8s.io", "roles", "", "dev", "r"), LevelRequest, []Stage{StageRequestReceived}},
		{"a resource name", res("update", "coordination.k8s.io", "leases", "", "dev", "leader"), LevelRequest, []Stage{StageRequestReceived}},
		{"another resource name", res("update", "coordination.k8s.io", "leases", "", "dev", "other"), LevelMetadata, []Stage{StageRequestReceived, StageResponseStarted}},
		{"the catch-all", authz.Attributes{User: &user.Info{Name: "bob"}, Verb: "get", Path: "/api"}, LevelMetadata, []Stage{StageRequestReceived, StageResponseStarted}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := p.Evaluate(tc.attrs)
			if d.Level != tc.level || strings.Join(stageNames(d.OmitStages), ",") != strings.Join(stageNames(tc.omit), ",") {
				t.Errorf("= %+v, want %s omitting %v", d, tc.level, tc.omit)
			}
		})
	}
	if d := p.Evaluate(res("create", "", "configmaps", "", "prod", "")); !d.OmitManagedFields {
		t.Error("omitManagedFields of the rule was not applied")
	}
}

func stageNames(ss []Stage) []string {
	var out []string
	for _, s := range ss {
		out = append(out, string(s))
	}
	return out
}

func TestLoadPolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"not a policy", "apiVersion: v1\nkind: ConfigMap\n", []string{"want apiVersion audit.k8s.io/v1 and kind Policy"}},
		{"unknown field", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  verb: [get]\n", []string{`unknown field "verb"`}},
		{"every rule error at once", `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [Later]
rules:
- users: [a]
- level: Everything
- level: Metadata
  namespaces: [a]
  nonResourceURLs: ["healthz", "/a*b"]
- level: Metadata
  resources: [{resources: ["*"], resourceNames: [x]}]
`, []string{
			`omitStages[0]: Unsupported value: "Later"`,
			"rules[0].level: Required value",
			`rules[1].level: Unsupported value: "Everything": supported values: "None", "Metadata", "Request", "RequestResponse"`,
			"rules[2].nonResourceURLs: Invalid value",
			"rules cannot apply to both regular resources and non-resource URLs",
			"non-resource URL rules must begin with a '/' character",
			"non-resource URL wildcards '*' must be the final character of the rule",
			"rules[3].resources[0].resourceNames: Invalid value",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadPolicy(writePolicy(t, tc.text))
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := LoadPolicy(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing file loaded")
	}
}
