// Package causes compares field errors with the causes of the 422 Status
// kube-apiserver answers, for tests.
package causes

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Cause is one cause of a 422 Invalid Status as kube-apiserver writes it.
type Cause struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

// Of turns errs into the causes kube-apiserver would answer.
func Of(errs field.ErrorList) []Cause {
	out := make([]Cause, 0, len(errs))
	for _, e := range errs {
		out = append(out, Cause{Reason: string(e.Type), Message: e.ErrorBody(), Field: e.Field})
	}
	return out
}

// Parse reads causes written as kube-apiserver's JSON, one per string, so
// expectations can be pasted from a real answer.
func Parse(t testing.TB, lines ...string) []Cause {
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

// Expect fails t unless errs are exactly want, in order.
func Expect(t testing.TB, errs field.ErrorList, want ...string) {
	t.Helper()
	compare(t, Of(errs), Parse(t, want...))
}

// ExpectUnordered fails t unless errs are want in any order: for errors
// on several properties, which kube-apiserver reports in map order.
func ExpectUnordered(t testing.TB, errs field.ErrorList, want ...string) {
	t.Helper()
	got, w := Of(errs), Parse(t, want...)
	sortCauses(got)
	sortCauses(w)
	compare(t, got, w)
}

func sortCauses(cs []Cause) {
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].Field != cs[j].Field {
			return cs[i].Field < cs[j].Field
		}
		return cs[i].Message < cs[j].Message
	})
}

func compare(t testing.TB, got, want []Cause) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("causes:\n%s\nwant:\n%s", list(got), list(want))
	}
}

func list(cs []Cause) string {
	if len(cs) == 0 {
		return "  (none)\n"
	}
	var b strings.Builder
	for _, c := range cs {
		j, _ := json.Marshal(c)
		b.WriteString("  " + string(j) + "\n")
	}
	return b.String()
}
