package handlers

import (
	"errors"
	"strings"
	"testing"
)

// aliasBomb is a YAML document of n levels, each a list of ten aliases of
// the level below: a few hundred bytes that expand to 10^n leaves.
func aliasBomb(n int) string {
	var b strings.Builder
	b.WriteString("a0: &a0 [\"lol\"]\n")
	for i := 1; i <= n; i++ {
		prev := "*a" + string(rune('0'+i-1))
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.TrimSuffix(strings.Repeat(prev+",", 10), ",") + "]\n")
	}
	return b.String()
}

func TestYAMLToJSON(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
		wantErr  error
	}{
		{name: "plain", in: "a: 1\nb: [x, w]\n", want: `{"a":1,"b":["x","w"]}`},
		{name: "a few aliases", in: "base: &b {k: v}\nx: *b\nz: *b\n", want: `{"base":{"k":"v"},"x":{"k":"v"},"z":{"k":"v"}}`},
		{name: "aliases that stay small", in: aliasBomb(3)},
		{name: "billion laughs", in: aliasBomb(9), wantErr: errAliasBomb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := yamlToJSON([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.want != "" && string(got) != tt.want {
				t.Errorf("JSON = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheckDepth(t *testing.T) {
	nested := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"flat", `{"a":[1,2,{"b":"c"}]}`, true},
		{"at the limit", nested(MaxNestingDepth), true},
		{"beyond", nested(MaxNestingDepth + 1), false},
		{"arrays count too", strings.Repeat("[", MaxNestingDepth+1) + strings.Repeat("]", MaxNestingDepth+1), false},
		{"brackets in strings do not", `{"a":"` + strings.Repeat("{[", 2000) + `"}`, true},
		{"escaped quotes keep the string open", `{"a":"\"` + strings.Repeat("{", 2000) + `"}`, true},
	}
	for _, tt := range tests {
		if err := checkDepth([]byte(tt.in)); (err == nil) != tt.ok {
			t.Errorf("%s: checkDepth = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}
