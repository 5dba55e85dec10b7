// Package coretest compares validation errors with the causes of the
// Status kube-apiserver answers.
package coretest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Cause is one cause of a 422 Invalid Status, as kube-apiserver writes it:
// reason (FieldValueInvalid...), message and field.
type Cause struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

func (c Cause) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// Causes turns errs into the causes kube-apiserver would answer.
func Causes(errs field.ErrorList) []Cause {
	out := make([]Cause, 0, len(errs))
	for _, e := range errs {
		out = append(out, Cause{Reason: string(e.Type), Message: e.ErrorBody(), Field: e.Field})
	}
	return out
}

// ParseCauses reads causes written as kube-apiserver's JSON, one per
// string, so expectations can be pasted from a real answer.
func ParseCauses(t *testing.T, lines ...string) []Cause {
	t.Helper()
	out := make([]Cause, 0, len(lines))
	for _, l := range lines {
		var c Cause
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatalf("cause %s: %v", l, err)
		}
		out = append(out, c)
	}
	return out
}

// ExpectCauses fails t unless errs are exactly want, in order.
func ExpectCauses(t *testing.T, errs field.ErrorList, want ...string) {
	t.Helper()
	got := Causes(errs)
	w := ParseCauses(t, want...)
	if !reflect.DeepEqual(got, w) {
		t.Errorf("causes:\n%s\nwant:\n%s", list(got), list(w))
	}
}

func list(cs []Cause) string {
	s := ""
	for _, c := range cs {
		s += fmt.Sprintf("  %s\n", c)
	}
	if s == "" {
		return "  (none)\n"
	}
	return s
}
