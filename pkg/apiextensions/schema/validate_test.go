package schema

import (
	"testing"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/causes"
)

// TestValidate creates Widgets (testdata/widgets.crd.json) and expects the
// causes kube-apiserver 1.31.4 answered for the same bodies, recorded with
// curl POST /apis/example.com/v1/namespaces/default/widgets.
func TestValidate(t *testing.T) {
	s, scale := widgets(t)
	cases := []struct {
		name      string
		spec      string
		unordered bool
		want      []string
	}{
		{name: "valid", spec: `{"size":"ab"}`},
		{name: "type integer", spec: `{"size":"ab","replicas":"string"}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"","field":"spec.replicas"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: 0: .spec.replicas accessor error: string is of the type string, expected int64","field":".spec.replicas"}`,
		}},
		{name: "required", spec: `{}`, want: []string{
			`{"reason":"FieldValueRequired","message":"Required value","field":"spec.size"}`,
		}},
		{name: "enum", spec: `{"size":"ab","color":"pink"}`, want: []string{
			`{"reason":"FieldValueNotSupported","message":"Unsupported value: \"pink\": supported values: \"red\", \"blue\"","field":"spec.color"}`,
		}},
		{name: "maxLength", spec: `{"size":"abcdefgh"}`, want: []string{
			`{"reason":"FieldValueTooLong","message":"Too long: may not be longer than 5","field":"spec.size"}`,
		}},
		{name: "minLength", spec: `{"size":"a"}`, want: []string{
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"a\": spec.size in body should be at least 2 chars long","field":"spec.size"}`,
		}},
		{name: "pattern", spec: `{"size":"AB"}`, want: []string{
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"AB\": spec.size in body should match '^[a-z]+$'","field":"spec.size"}`,
		}},
		{name: "maximum", spec: `{"size":"ab","replicas":11}`, want: []string{
			`{"reason":"FieldValueInvalid","message":"Invalid value: 11: spec.replicas in body should be less than or equal to 10","field":"spec.replicas"}`,
		}},
		{name: "minimum", spec: `{"size":"ab","replicas":-1}`, want: []string{
			`{"reason":"FieldValueInvalid","message":"Invalid value: -1: spec.replicas in body should be greater than or equal to 0","field":"spec.replicas"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: -1: should be a non-negative integer","field":".spec.replicas"}`,
		}},
		{name: "exclusiveMinimum", spec: `{"size":"ab","ratio":0}`, want: []string{
			`{"reason":"FieldValueInvalid","message":"Invalid value: 0: factor MultipleOf declared for spec.ratio must be positive: 0","field":"spec.ratio"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: 0: spec.ratio in body should be greater than 0","field":"spec.ratio"}`,
		}},
		{name: "multipleOf", spec: `{"size":"ab","ratio":0.7}`, want: []string{
			`{"reason":"FieldValueInvalid","message":"Invalid value: 0.7: spec.ratio in body should be a multiple of 0.5","field":"spec.ratio"}`,
		}},
		{name: "minItems", spec: `{"size":"ab","tags":[]}`, want: []string{
			`{"reason":"FieldValueInvalid","message":"Invalid value: 0: spec.tags in body should have at least 1 items","field":"spec.tags"}`,
		}},
		{name: "maxItems", spec: `{"size":"ab","tags":["a","b","c"]}`, want: []string{
			`{"reason":"FieldValueTooMany","message":"Too many: 3: must have at most 2 items","field":"spec.tags"}`,
		}},
		{name: "maxProperties", spec: `{"size":"ab","labels":{"a":"1","b":"2","c":"3"}}`, want: []string{
			`{"reason":"FieldValueTooMany","message":"Too many: 3: must have at most 2 items","field":"spec.labels"}`,
		}},
		{name: "additionalProperties type", spec: `{"size":"ab","labels":{"a":1}}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"integer\": spec.labels.a in body must be of type string: \"integer\"","field":"spec.labels.a"}`,
		}},
		{name: "int-or-string number", spec: `{"size":"ab","port":1.5}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"number\": spec.port in body must be of type integer,string: \"number\"","field":"spec.port"}`,
		}},
		{name: "int-or-string string", spec: `{"size":"ab","port":"http"}`},
		{name: "int-or-string integer", spec: `{"size":"ab","port":80}`},
		{name: "nullable null", spec: `{"size":"ab","nullableStr":null}`},
		{name: "non-nullable null is pruned", spec: `{"size":"ab","flag":null}`},
		{name: "format ipv4", spec: `{"size":"ab","ip":"1.2.3"}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"1.2.3\": spec.ip in body must be of type ipv4: \"1.2.3\"","field":"spec.ip"}`,
		}},
		{name: "format date-time", spec: `{"size":"ab","when":"yesterday"}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\"","field":"spec.when"}`,
		}},
		{name: "format uuid", spec: `{"size":"ab","id":"nope"}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"nope\": spec.id in body must be of type uuid: \"nope\"","field":"spec.id"}`,
		}},
		{name: "enum integer", spec: `{"size":"ab","num":3}`, want: []string{
			`{"reason":"FieldValueNotSupported","message":"Unsupported value: 3: supported values: \"1\", \"2\"","field":"spec.num"}`,
		}},
		{name: "type boolean", spec: `{"size":"ab","flag":"yes"}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": spec.flag in body must be of type boolean: \"string\"","field":"spec.flag"}`,
		}},
		{name: "type number", spec: `{"size":"ab","ratio":"x"}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": spec.ratio in body must be of type number: \"string\"","field":"spec.ratio"}`,
		}},
		{name: "type array", spec: `{"size":"ab","tags":"x"}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": spec.tags in body must be of type array: \"string\"","field":"spec.tags"}`,
		}},
		{name: "type object", spec: `{"size":"ab","labels":"x"}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": spec.labels in body must be of type object: \"string\"","field":"spec.labels"}`,
		}},
		{name: "items type", spec: `{"size":"ab","tags":[1]}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"integer\": spec.tags[0] in body must be of type string: \"integer\"","field":"spec.tags[0]"}`,
		}},
		{name: "list-type set", spec: `{"size":"ab","set":["x","y","x","x"]}`, want: []string{
			`{"reason":"FieldValueDuplicate","message":"Duplicate value: \"x\"","field":"spec.set[2]"}`,
		}},
		{name: "list-type map", spec: `{"size":"ab","ports":[{"name":"a"},{"name":"a","port":1}]}`, want: []string{
			`{"reason":"FieldValueDuplicate","message":"Duplicate value: map[string]interface {}{\"name\":\"a\"}","field":"spec.ports[1]"}`,
		}},
		{name: "list-type map item required", spec: `{"size":"ab","ports":[{"port":1}]}`, want: []string{
			`{"reason":"FieldValueRequired","message":"Required value","field":"spec.ports[0].name"}`,
		}},
		{name: "list-type map item not an object", spec: `{"size":"ab","ports":["a"]}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": spec.ports[0] in body must be of type object: \"string\"","field":"spec.ports[0]"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"a\": must be an object for an array of list-type map","field":"spec.ports[0]"}`,
		}},
		{name: "embedded resource without apiVersion and kind", spec: `{"size":"ab","template":{}}`, want: []string{
			`{"reason":"FieldValueRequired","message":"Required value: must not be empty","field":"spec.template.apiVersion"}`,
			`{"reason":"FieldValueRequired","message":"Required value: must not be empty","field":"spec.template.kind"}`,
		}},
		{name: "embedded resource invalid", spec: `{"size":"ab","template":{"apiVersion":"a/b/c","kind":"not_valid","metadata":{"name":"Bad Name","labels":{"a b":"c"}}}}`, want: []string{
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"a/b/c\": unexpected GroupVersion string: a/b/c","field":"spec.template.apiVersion"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"not_valid\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')","field":"spec.template.kind"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')","field":"spec.template.metadata.labels"}`,
		}},
		{name: "embedded resource valid", spec: `{"size":"ab","template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","foo":"bar"},"spec":{"any":1}}}`},
		{name: "spec not an object", spec: `"x"`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": spec in body must be of type object: \"string\"","field":"spec"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: 0: .spec.replicas accessor error: x is of the type string, expected map[string]interface{}","field":".spec.replicas"}`,
		}},
		{name: "several fields", unordered: true, spec: `{"replicas":"string","size":"abcdefgh","color":"pink","ratio":0,"tags":[],"ports":[{"name":"a"},{"name":"a"}],"set":["x","x"],"labels":{"a":"1","b":"2","c":"3"},"port":1.5,"nullableStr":null,"ip":"1.2.3","when":"yesterday","id":"nope","num":3,"flag":"yes","template":{"metadata":{"name":"Bad_Name"}}}`, want: []string{
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"1.2.3\": spec.ip in body must be of type ipv4: \"1.2.3\"","field":"spec.ip"}`,
			`{"reason":"FieldValueTooLong","message":"Too long: may not be longer than 5","field":"spec.size"}`,
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"","field":"spec.replicas"}`,
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"number\": spec.port in body must be of type integer,string: \"number\"","field":"spec.port"}`,
			`{"reason":"FieldValueNotSupported","message":"Unsupported value: \"pink\": supported values: \"red\", \"blue\"","field":"spec.color"}`,
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": spec.flag in body must be of type boolean: \"string\"","field":"spec.flag"}`,
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\"","field":"spec.when"}`,
			`{"reason":"FieldValueTooMany","message":"Too many: 3: must have at most 2 items","field":"spec.labels"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: 0: spec.tags in body should have at least 1 items","field":"spec.tags"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: 0: factor MultipleOf declared for spec.ratio must be positive: 0","field":"spec.ratio"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: 0: spec.ratio in body should be greater than 0","field":"spec.ratio"}`,
			`{"reason":"FieldValueNotSupported","message":"Unsupported value: 3: supported values: \"1\", \"2\"","field":"spec.num"}`,
			`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"nope\": spec.id in body must be of type uuid: \"nope\"","field":"spec.id"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: 0: .spec.replicas accessor error: string is of the type string, expected int64","field":".spec.replicas"}`,
			`{"reason":"FieldValueRequired","message":"Required value: must not be empty","field":"spec.template.apiVersion"}`,
			`{"reason":"FieldValueRequired","message":"Required value: must not be empty","field":"spec.template.kind"}`,
			`{"reason":"FieldValueDuplicate","message":"Duplicate value: \"x\"","field":"spec.set[1]"}`,
			`{"reason":"FieldValueDuplicate","message":"Duplicate value: map[string]interface {}{\"name\":\"a\"}","field":"spec.ports[1]"}`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := createWidget(t, s, scale, decode(t, widget(tc.spec)))
			if tc.unordered {
				causes.ExpectUnordered(t, errs, tc.want...)
				return
			}
			causes.Expect(t, errs, tc.want...)
		})
	}
}
