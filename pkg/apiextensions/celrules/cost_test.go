package celrules

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"spec", "spec", true},
		{"namespace", "__namespace__", true},
		{"x-y", "x__dash__y", true},
		{"a.b/c", "a__dot__b__slash__c", true},
		{"a__b", "a__underscores__b", true},
		{"a___b", "a__underscores___b", true},
		{"_x", "_x", true},
		{"9lives", "", false},
		{"", "", false},
		{"a b", "", false},
		{"ünicode", "", false},
	} {
		got, ok := escape(tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("escape(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBounds(t *testing.T) {
	unbounded := int64(maxRequestBytes - 2)
	for _, tc := range []struct {
		name, schema     string
		maxElems, minLen int64
	}{
		{"string", `{"type": "string"}`, unbounded, 2},
		{"maxLength counts 4 bytes a character", `{"type": "string", "maxLength": 10}`, 40, 2},
		{"enum", `{"type": "string", "enum": ["a", "abc"]}`, 3, 2},
		{"bytes", `{"type": "string", "format": "byte", "maxLength": 10}`, 10, 2},
		{"duration", `{"type": "string", "format": "duration", "maxLength": 1000}`, 32, 3},
		{"date-time", `{"type": "string", "format": "date-time"}`, 32, 21},
		{"int-or-string", `{"x-kubernetes-int-or-string": true}`, unbounded, 1},
		{"list of ints", `{"type": "array", "items": {"type": "integer"}}`, unbounded / 2, 2},
		{"list with maxItems", `{"type": "array", "maxItems": 7, "items": {"type": "integer"}}`, 7, 2},
		{"map", `{"type": "object", "additionalProperties": {"type": "boolean"}}`, unbounded / 10, 2},
		{"required fields", `{"type": "object", "required": ["ab", "c"], "properties": {"ab": {"type": "integer"}, "c": {"type": "string", "default": "x"}}}`, 0, 2 + 2 + 1 + 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := boundsOf(mustSchema(t, tc.schema), false)
			if b.maxElements != tc.maxElems || b.minSize != tc.minLen {
				t.Errorf("bounds %d, %d; want %d, %d", b.maxElements, b.minSize, tc.maxElems, tc.minLen)
			}
		})
	}
}

// Figures recorded from kube-apiserver 1.31 (test/e2e replays its
// answers); the unit tests pin the arithmetic behind them.
func TestCheckCosts(t *testing.T) {
	items := func(maxItems, maxLength, rules string) string {
		return `{"type": "object", "properties": {"list": {"type": "array", "maxItems": ` + maxItems + `, "items": {"type": "object",
			"properties": {"s": {"type": "string", "maxLength": ` + maxLength + `}}, "x-kubernetes-validations": [` + rules + `]}}}}`
	}
	p := field.NewPath("schema")
	for _, tc := range []struct {
		name, schema string
		want         []string
	}{
		{"bounded nested loops pass", `{"type": "object", "properties": {"l": {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 10}}},
			"x-kubernetes-validations": [{"rule": "self.l.all(x, self.l.all(y, x == y))"}]}`, nil},
		{"unbounded nested loops", `{"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string"}}},
			"x-kubernetes-validations": [{"rule": "self.l.all(x, self.l.all(y, x == y))"}]}`, []string{
			"schema.x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x",
			"schema.x-kubernetes-validations[0].rule: Forbidden: contributed to estimated rule cost total",
			"schema: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x",
		}},
		{"a rule counts once per item", items("500", "30000", `{"rule": "self.s.lowerAscii().contains('x') && self.s.upperAscii().startsWith('Y')"}`), []string{
			"schema.properties[list].items.x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of 1.8x",
		}},
		{"under the limit by a factor below 1.5", items("300", "30000", `{"rule": "self.s.lowerAscii().contains('x') && self.s.upperAscii().startsWith('Y')"}`), []string{
			"estimated rule cost exceeds budget by factor of 1.080150x",
		}},
		{"the schema's total", items("1200", "20000", strings.Repeat(`{"rule": "self.s.lowerAscii() == 'x'"},`, 12)+`{"rule": "self.s.lowerAscii() == 'x'"}`), []string{
			"schema.properties[list].items.x-kubernetes-validations[0].rule: Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema",
			"x-kubernetes-validations[1].rule: Forbidden: contributed", "x-kubernetes-validations[2].rule: Forbidden: contributed", "x-kubernetes-validations[3].rule: Forbidden: contributed",
			"schema: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of 1.248468x",
		}},
		{"messageExpression is not multiplied", items("1000", "10", `{"rule": "self.s == 'a'", "messageExpression": "self.s"}`), nil},
		{"an unbounded messageExpression", `{"type": "object", "properties": {"a": {"type": "string"}, "l": {"type": "array", "items": {"type": "string"}}},
			"x-kubernetes-validations": [{"rule": "self.a == 'x'", "messageExpression": "self.l.map(x, x + self.a).join(',')"}]}`, []string{
			"schema.x-kubernetes-validations[0].messageExpression: Forbidden: estimated messageExpression cost exceeds budget by factor of more than 100x",
			"messageExpression: Forbidden: contributed", "schema: Forbidden: x-kubernetes-validations estimated rule cost total",
		}},
		{"kube's library prices", `{"type": "object", "properties": {"l": {"type": "array", "items": {"type": "string"}}},
			"x-kubernetes-validations": [{"rule": "self.l.isSorted()"}]}`, []string{
			"x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x",
			"contributed", "schema: Forbidden",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := Check(p, mustSchema(t, tc.schema), true)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %d", errs, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d: %v, want %q", i, errs[i], w)
				}
			}
		})
	}
}

// An update that keeps a schema does not hold its rules to the
// per-expression limit again; the schema's total still applies.
func TestCheckWithoutPerExpressionLimit(t *testing.T) {
	s := mustSchema(t, `{"type": "object", "properties": {"list": {"type": "array", "maxItems": 1000, "items": {"type": "object",
		"properties": {"s": {"type": "string", "maxLength": 30000}}, "x-kubernetes-validations": [{"rule": "self.s.lowerAscii() == 'x'"}]}}}}`)
	if errs := Check(nil, s, true); len(errs) != 1 {
		t.Fatalf("with the limit: %v", errs)
	}
	if errs := Check(nil, s, false); len(errs) != 0 {
		t.Errorf("without the limit: %v", errs)
	}
}

// Rules see escaped property names and read the real keys.
func TestEscapedProperties(t *testing.T) {
	v, errs := Compile(nil, mustSchema(t, `{"type": "object", "properties": {"x-y": {"type": "string"}, "namespace": {"type": "string"}},
		"x-kubernetes-validations": [{"rule": "self.x__dash__y == self.__namespace__ && has(self.x__dash__y)"}]}`))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := v.Validate(t.Context(), obj(t, `{"x-y": "a", "namespace": "a"}`), nil); len(got) != 0 {
		t.Errorf("equal: %v", got)
	}
	if got := v.Validate(t.Context(), obj(t, `{"x-y": "a", "namespace": "b"}`), nil); len(got) != 1 {
		t.Errorf("different: %v", got)
	}
}

// Strings of format byte, duration, date and date-time are bytes,
// durations and timestamps to a rule, in lists too.
func TestFormats(t *testing.T) {
	v, errs := Compile(nil, mustSchema(t, `{"type": "object", "properties": {
		"d": {"type": "string", "format": "duration"}, "t": {"type": "string", "format": "date-time"},
		"day": {"type": "string", "format": "date"}, "b": {"type": "string", "format": "byte"},
		"l": {"type": "array", "items": {"type": "string", "format": "duration"}}},
		"x-kubernetes-validations": [
			{"rule": "self.d >= duration('1h')"}, {"rule": "self.t.getFullYear() == 2030"}, {"rule": "self.day.getMonth() == 0"},
			{"rule": "string(self.b) == 'hi'"}, {"rule": "self.l.all(x, x < duration('24h'))"}]}`))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ok := obj(t, `{"d": "90m", "t": "2030-06-01T00:00:00Z", "day": "2024-01-15", "b": "aGk=", "l": ["1h", "2h"]}`)
	if got := v.Validate(t.Context(), ok, nil); len(got) != 0 {
		t.Errorf("valid: %v", got)
	}
	bad := obj(t, `{"d": "5m", "t": "2031-06-01T00:00:00Z", "day": "2024-02-15", "b": "aG8=", "l": ["3d"]}`)
	if got := v.Validate(t.Context(), bad, nil); len(got) != 5 {
		t.Errorf("invalid: %v", got)
	}
	if _, errs := Compile(nil, mustSchema(t, `{"type": "object", "properties": {"d": {"type": "string", "format": "duration"}},
		"x-kubernetes-validations": [{"rule": "self.d == 'x'"}]}`)); len(errs) != 1 || !strings.Contains(errs[0].Error(), "'(duration, string)'") {
		t.Errorf("a duration compared with a string: %v", errs)
	}
}

// Ratcheting as kube: on an unchanged value a rule without oldSelf only
// warns of its failure, and a transition rule still runs (kube's
// CRDValidationRatcheting e2e test of optionalOldSelf).
func TestRatchetingRunsTransitionRules(t *testing.T) {
	v, errs := Compile(nil, mustSchema(t, `{"type": "object", "properties": {
		"field": {"type": "string", "x-kubernetes-validations": [{"rule": "!oldSelf.hasValue() || self != oldSelf.value()", "optionalOldSelf": true}]},
		"short": {"type": "string", "x-kubernetes-validations": [{"rule": "self.size() < 3"}]},
		"list": {"type": "array", "items": {"type": "string", "x-kubernetes-validations": [{"rule": "self != 'bad'"}]}}}}`))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	w := &request.Warnings{}
	ctx := request.WithWarnings(t.Context(), w)
	old := obj(t, `{"field": "foo", "short": "long", "list": ["bad"]}`)
	got := v.Validate(ctx, obj(t, `{"field": "foo", "short": "long", "list": ["bad"]}`), old)
	if len(got) != 1 || !strings.Contains(got[0].Error(), "field: Invalid value") {
		t.Errorf("errors %v, want the transition rule's", got)
	}
	if warnings := w.Take(); len(warnings) != 2 || !strings.Contains(warnings[0], "failed rule: self != 'bad'") || !strings.Contains(warnings[1], "short: Invalid value: \"string\": failed rule: self.size() < 3") {
		t.Errorf("warnings %q", warnings)
	}
	if got := v.Validate(ctx, obj(t, `{"field": "bar", "short": "longer", "list": ["bad", "ok"]}`), old); len(got) != 2 {
		t.Errorf("changed values: %v", got)
	}
}
