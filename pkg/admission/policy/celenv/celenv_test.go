package celenv

import (
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

func TestEnv(t *testing.T) {
	object := &apiextensionsv1.JSONSchemaProps{Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
		"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"replicas": {Type: "integer"}}},
	}}
	for _, tc := range []struct {
		name      string
		types     Types
		variables []admissionregistrationv1.Variable
		expr      string
		want      string // a substring of the error; "" compiles
		wantType  *cel.Type
	}{
		{name: "request is kube's AdmissionRequest", expr: "request.userInfo.groups.exists(g, g == 'x') && request.operation == 'CREATE'", wantType: cel.BoolType},
		{name: "request has no uid", expr: "request.uid == ''", want: "undefined field 'uid'"},
		{name: "namespaceObject is typed", expr: "namespaceObject.nosuch == 1", want: "undefined field 'nosuch'"},
		{name: "namespace labels", expr: "namespaceObject.metadata.labels['team']", wantType: cel.StringType},
		{name: "object is dynamic without a schema", expr: "object.anything.at.all", wantType: cel.DynType},
		{name: "object typed by its schema", types: Types{Object: object}, expr: "object.spec.replicas", wantType: cel.IntType},
		{name: "no params without a paramKind", expr: "params.x", want: "undeclared reference to 'params'"},
		{name: "params with a paramKind", types: Types{HasParams: true}, expr: "params.x", wantType: cel.DynType},
		{name: "a variable has its expression's type",
			variables: []admissionregistrationv1.Variable{{Name: "ok", Expression: "request.dryRun"}, {Name: "notOk", Expression: "!variables.ok"}},
			expr:      "variables.notOk", wantType: cel.BoolType},
		{name: "a variable sees only those before it",
			variables: []admissionregistrationv1.Variable{{Name: "a", Expression: "variables.b"}, {Name: "b", Expression: "1"}},
			expr:      "variables.a", wantType: cel.DynType},
		{name: "an undeclared variable", expr: "variables.nosuch", want: "undefined field 'nosuch'"},
		{name: "authorizer", expr: "authorizer.group('apps').resource('deployments').check('get').allowed()", wantType: cel.BoolType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := New(tc.types)
			if err != nil {
				t.Fatal(err)
			}
			errs := env.DeclareAll(tc.variables)
			if tc.name == "a variable sees only those before it" && (errs[0] == nil || !strings.Contains(errs[0].Error(), "undefined field 'b'")) {
				t.Errorf("variable errors %v", errs)
			}
			got, err := env.Check(tc.expr)
			switch {
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want %q", err, tc.want)
			case tc.want == "" && err != nil:
				t.Errorf("err = %v", err)
			case tc.want == "" && !got.IsExactType(tc.wantType):
				t.Errorf("type %v, want %v", got, tc.wantType)
			}
		})
	}
}
