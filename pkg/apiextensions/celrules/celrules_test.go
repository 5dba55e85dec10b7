package celrules

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

func mustSchema(t *testing.T, js string) *apiextensionsv1.JSONSchemaProps {
	t.Helper()
	var s apiextensionsv1.JSONSchemaProps
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func obj(t *testing.T, js string) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(js))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return fixNumbers(m).(map[string]any)
}

// fixNumbers makes JSON numbers int64 or float64, as the server decodes.
func fixNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = fixNumbers(val)
		}
	case []any:
		for i, val := range x {
			x[i] = fixNumbers(val)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

const widgetSchema = `{
  "type": "object",
  "x-kubernetes-validations": [{"rule": "self.metadata.name.startsWith('w')", "message": "name must start with w"}],
  "properties": {
    "spec": {
      "type": "object",
      "x-kubernetes-validations": [
        {"rule": "self.minReplicas <= self.maxReplicas", "messageExpression": "'minReplicas ' + string(self.minReplicas) + ' is above maxReplicas'"},
        {"rule": "self.ratio < 1.5"},
        {"rule": "!has(self.mode) || self.mode == oldSelf.mode", "message": "mode is immutable", "reason": "FieldValueForbidden", "fieldPath": ".mode"}
      ],
      "properties": {
        "minReplicas": {"type": "integer"},
        "maxReplicas": {"type": "integer"},
        "ratio": {"type": "number"},
        "mode": {"type": "string"},
        "ports": {
          "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
          "items": {"type": "object", "required": ["name"],
            "properties": {"name": {"type": "string"}, "port": {"type": "integer",
              "x-kubernetes-validations": [{"rule": "self >= oldSelf", "message": "ports only go up"}]}}}
        },
        "tags": {"type": "object", "additionalProperties": {"type": "string", "x-kubernetes-validations": [{"rule": "self.size() <= 5"}]}}
      }
    }
  }
}`

func TestValidate(t *testing.T) {
	v, errs := Compile(field.NewPath("openAPIV3Schema"), mustSchema(t, widgetSchema))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ctx := context.Background()
	good := `{"metadata": {"name": "w1"}, "spec": {"minReplicas": 1, "maxReplicas": 3, "ratio": 1, "mode": "a",
		"ports": [{"name": "http", "port": 80}], "tags": {"a": "short"}}}`
	if errs := v.Validate(ctx, obj(t, good), nil); len(errs) > 0 {
		t.Fatalf("a valid object: %v", errs)
	}
	tests := []struct {
		name     string
		obj, old string
		want     []string
	}{
		{"create", `{"metadata": {"name": "x"}, "spec": {"minReplicas": 4, "maxReplicas": 3, "ratio": 2.5, "tags": {"a": "too long"}}}`, "", []string{
			`<nil>: Invalid value: "object": name must start with w`,
			`spec: Invalid value: "object": minReplicas 4 is above maxReplicas`,
			`spec: Invalid value: "object": failed rule: self.ratio < 1.5`,
			`spec.tags[a]: Invalid value: "string": failed rule: self.size() <= 5`,
		}},
		{"transition rules on update", `{"metadata": {"name": "w1"}, "spec": {"minReplicas": 1, "maxReplicas": 3, "ratio": 1, "mode": "b",
			"ports": [{"name": "http", "port": 79}], "tags": {"a": "short"}}}`, good, []string{
			`spec.mode: Forbidden: mode is immutable`,
			`spec.ports[0].port: Invalid value: "integer": ports only go up`,
		}},
		{"ratcheting: an unchanged invalid value passes", `{"metadata": {"name": "x"}, "spec": {"minReplicas": 4, "maxReplicas": 3, "ratio": 1}, "status": {}}`,
			`{"metadata": {"name": "x"}, "spec": {"minReplicas": 4, "maxReplicas": 3, "ratio": 1}}`, []string{
				`<nil>: Invalid value: "object": name must start with w`,
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var old map[string]any
			if tc.old != "" {
				old = obj(t, tc.old)
			}
			errs := v.Validate(ctx, obj(t, tc.obj), old)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, schema string
		want         string
	}{
		{"syntax", `{"type": "object", "x-kubernetes-validations": [{"rule": "self.a =="}], "properties": {"a": {"type": "string"}}}`,
			`openAPIV3Schema.x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.a ==", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:10: Syntax error`},
		{"unknown field", `{"type": "object", "x-kubernetes-validations": [{"rule": "self.b == 'x'"}], "properties": {"a": {"type": "string"}}}`,
			`compilation failed: ERROR: <input>:1:5: undefined field 'b'`},
		{"type", `{"type": "object", "x-kubernetes-validations": [{"rule": "self.a == 1"}], "properties": {"a": {"type": "string"}}}`,
			`found no matching overload for '_==_' applied to '(string, int)'`},
		{"not a bool", `{"type": "object", "x-kubernetes-validations": [{"rule": "self.a"}], "properties": {"a": {"type": "string"}}}`,
			`cel expression must evaluate to a bool`},
		{"messageExpression", `{"type": "object", "x-kubernetes-validations": [{"rule": "true", "messageExpression": "1"}]}`,
			`openAPIV3Schema.x-kubernetes-validations[0].messageExpression: Invalid value: apiextensions.ValidationRule{Rule:"true", Message:"", MessageExpression:"1", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: messageExpression must evaluate to a string`},
		{"oldSelf in an atomic list", `{"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf"}]}}}}`,
			`openAPIV3Schema.properties[l].items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema`},
		{"root metadata", `{"type": "object", "x-kubernetes-validations": [{"rule": "self.metadata.labels.size() > 0"}], "properties": {"metadata": {"type": "object"}}}`,
			`undefined field 'labels'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := Compile(field.NewPath("openAPIV3Schema"), mustSchema(t, tc.schema))
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Errorf("errors %v, want %q", errs, tc.want)
			}
		})
	}
}

// A rule that runs over the per-call limit stops validation.
func TestCostLimit(t *testing.T) {
	v, errs := Compile(nil, mustSchema(t, `{"type": "object", "properties": {"l": {"type": "array", "items": {"type": "integer"},
		"x-kubernetes-validations": [{"rule": "self.all(x, self.all(y, self.all(z, x + y + z >= 0)))"}]}}}`))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	list := make([]any, 200)
	for i := range list {
		list[i] = int64(i)
	}
	got := v.Validate(context.Background(), map[string]any{"l": list}, nil)
	if len(got) != 1 || !strings.Contains(got[0].Error(), "no further validation rules will be run due to call cost exceeds limit for rule") {
		t.Errorf("errors %v", got)
	}
}
