package kubefield

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestMessages(t *testing.T) {
	p := field.NewPath("spec", "x")
	s := "atomic"
	cases := []struct {
		name string
		err  *field.Error
		want string
	}{
		{"too long", TooLong(p, "abcdefgh", 5), "Too long: may not be longer than 5"},
		{"too many", TooMany(p, 3, 2), "Too many: 3: must have at most 2 items"},
		{"too many one", TooMany(p, 3, 1), "Too many: 3: must have at most 1 items"},
		{"duplicate map", Duplicate(p, map[string]any{"name": "a"}), `Duplicate value: map[string]interface {}{"name":"a"}`},
		{"duplicate string", Duplicate(p, "x"), `Duplicate value: "x"`},
		{"invalid pointer", Invalid(p, &s, "d"), `Invalid value: "atomic": d`},
		{"invalid int", Invalid(p, int64(3), "d"), `Invalid value: 3: d`},
		{"invalid nil", Invalid(p, nil, "d"), `Invalid value: "null": d`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.ErrorBody(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
