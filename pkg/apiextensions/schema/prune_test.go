package schema

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/causes"
)

// TestPruneAndDefault decodes request bodies as kube-apiserver does
// (prune, then default) and expects the unknown fields it reported and the
// objects it stored, recorded from kube-apiserver 1.31.4 with
// fieldValidation=Strict (400 message) and Warn (Warning headers, then
// GET).
func TestPruneAndDefault(t *testing.T) {
	cases := []struct {
		name     string
		crd      string
		body     string
		unknown  []string
		strict   string
		wantSpec string
	}{
		{
			name: "unknown fields everywhere",
			crd:  "testdata/widgets.crd.json",
			body: `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"s1","foo":"x"},"spec":{"size":"ab","foo":1,"nested":{"zzz":1},"ports":[{"name":"a","extra":true}],"raw":{"any":{"deep":1}},"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","bar":1}}},"status":{"bogus":1},"extra":"top"}`,
			unknown: []string{"metadata.foo", "extra", "spec.foo", "spec.nested.zzz", "spec.ports[0].extra",
				"status.bogus", "spec.template.metadata.bar"},
			strict:   `strict decoding error: unknown field "metadata.foo", unknown field "extra", unknown field "spec.foo", unknown field "spec.nested.zzz", unknown field "spec.ports[0].extra", unknown field "status.bogus", unknown field "spec.template.metadata.bar"`,
			wantSpec: `{"color":"red","nested":{"a":"x"},"ports":[{"name":"a"}],"raw":{"any":{"deep":1}},"size":"ab","template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}}`,
		},
		{
			name:     "embedded resource kept with its unknown spec",
			crd:      "testdata/widgets.crd.json",
			body:     widget(`{"size":"ab","template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","foo":"bar"},"spec":{"any":1}}}`),
			unknown:  []string{"spec.template.metadata.foo"},
			wantSpec: `{"color":"red","nested":{"a":"x"},"size":"ab","template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"any":1}}}`,
		},
		{
			name:     "defaults of absent parents are not applied",
			crd:      "testdata/gadgets.crd.json",
			body:     `{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g1"},"spec":{}}`,
			wantSpec: `{"nulld":"D","nullnd":"E"}`,
		},
		{
			name:     "defaults of present parents, items, map values and nulls",
			crd:      "testdata/gadgets.crd.json",
			body:     `{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g2"},"spec":{"opt":{},"items":[{},{"k":"z","v":"v"}],"mapd":{"m1":{},"m2":null},"nulld":null,"nullnd":null,"free":{"anything":{"deep":[1,{"x":1}]},"typed":{"t":"s","u":"pruned"}}}}`,
			unknown:  []string{"spec.free.typed.u"},
			wantSpec: `{"free":{"anything":{"deep":[1,{"x":1}]},"typed":{"t":"s"}},"items":[{"k":"K"},{"k":"z","v":"v"}],"mapd":{"m1":{"x":1}},"nulld":"D","nullnd":null,"opt":{"a":"A","false":3}}`, // kubectl read the YAML key n as false
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			crd := loadCRD(t, tc.crd)
			s, err := New(crd.Spec.Versions[0].Schema.OpenAPIV3Schema)
			if err != nil {
				t.Fatal(err)
			}
			obj := decode(t, tc.body)
			unknown, err := s.PruneRequest(obj)
			if err != nil {
				t.Fatal(err)
			}
			if len(unknown) != 0 || len(tc.unknown) != 0 {
				if !reflect.DeepEqual(unknown, tc.unknown) {
					t.Errorf("unknown fields %q, want %q", unknown, tc.unknown)
				}
			}
			if tc.strict != "" {
				if got := StrictDecodingMessage(unknown); got != tc.strict {
					t.Errorf("strict message\n got %s\nwant %s", got, tc.strict)
				}
			}
			s.Default(obj)
			got, _ := json.Marshal(obj["spec"])
			if string(got) != tc.wantSpec {
				t.Errorf("spec\n got %s\nwant %s", got, tc.wantSpec)
			}
		})
	}
}

// TestPruneRequestInvalidEmbedded: kube-apiserver 1.31.4 answers 400
// `Widget in version "v1" cannot be handled as a Widget:
// spec.template.apiVersion: Invalid value: 1: must be a string`; on a read
// from storage the fields are dropped instead.
func TestPruneRequestInvalidEmbedded(t *testing.T) {
	s, _ := widgets(t)
	body := widget(`{"size":"ab","template":{"apiVersion":1,"kind":"Pod"}}`)
	_, err := s.PruneRequest(decode(t, body))
	if err == nil || err.Error() != "spec.template.apiVersion: Invalid value: 1: must be a string" {
		t.Errorf("PruneRequest error %v", err)
	}
	obj := decode(t, body)
	s.Prune(obj)
	if got, _ := json.Marshal(obj["spec"]); string(got) != `{"size":"ab","template":{"kind":"Pod"}}` {
		t.Errorf("Prune left %s", got)
	}
}

// TestValidateCombinators: allOf, anyOf, oneOf and not, as kube-apiserver
// 1.31.4 answered for Gadgets (testdata/gadgets.crd.json).
func TestValidateCombinators(t *testing.T) {
	crd := loadCRD(t, "testdata/gadgets.crd.json")
	s, err := New(crd.Spec.Versions[0].Schema.OpenAPIV3Schema)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		spec string
		want []string
	}{
		{"all fail", `{"anyOfed":{},"oneOfed":"abz","notted":"forbidden","allOfed":7}`, []string{
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": \"spec.oneOfed\" must validate one and only one schema (oneOf). Found 2 valid alternatives","field":"<nil>"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": \"spec.anyOfed\" must validate at least one schema (anyOf)","field":"<nil>"}`,
			`{"reason":"FieldValueRequired","message":"Required value","field":"spec.anyOfed.a"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: 7: spec.allOfed in body should be less than or equal to 5","field":"spec.allOfed"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": \"spec.allOfed\" must validate all the schemas (allOf)","field":"<nil>"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": \"spec.notted\" must not validate the schema (not)","field":"<nil>"}`,
		}},
		{"none valid", `{"oneOfed":"q","allOfed":0}`, []string{
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": \"spec.oneOfed\" must validate one and only one schema (oneOf). Found none valid","field":"<nil>"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"q\": spec.oneOfed in body should match '^a'","field":"spec.oneOfed"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: 0: spec.allOfed in body should be greater than or equal to 1","field":"spec.allOfed"}`,
			`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": \"spec.allOfed\" must validate all the schemas (allOf)","field":"<nil>"}`,
		}},
		{"valid", `{"anyOfed":{"b":"x"},"oneOfed":"ab","notted":"fine","allOfed":3}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := decode(t, `{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"},"spec":`+tc.spec+`}`)
			causes.ExpectUnordered(t, s.Validate(obj), tc.want...)
		})
	}
}
