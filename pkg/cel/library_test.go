package cel

import (
	"context"
	"strings"
	"testing"
)

// kube's documented examples of its lists and regex libraries.
func TestLibraries(t *testing.T) {
	env, err := NewEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ expr, err string }{
		{`[1, 2, 3].isSorted()`, ""},
		{`['a', 'b', 'b', 'c'].isSorted()`, ""},
		{`![2.0, 1.0].isSorted()`, ""},
		{`[1, 2, 3].sum() == 6`, ""},
		{`[1.5, 2.5].sum() == 4.0`, ""},
		{`[duration('1s'), duration('2s')].sum() == duration('3s')`, ""},
		{`[1, 2, 3].min() == 1 && [1, 2, 3].max() == 3`, ""},
		{`['b', 'a'].min() == 'a'`, ""},
		{`[1, 2, 2, 3].indexOf(2) == 1 && [1, 2, 2, 3].lastIndexOf(2) == 2 && [1].indexOf(5) == -1`, ""},
		{`"abc 123".find('[0-9]+') == '123' && "abc".find('[0-9]+') == ''`, ""},
		{`"123 abc 456".findAll('[0-9]+') == ['123', '456']`, ""},
		{`"123 abc 456".findAll('[0-9]+', 1) == ['123']`, ""},
		{`[0][1:].min() == 0`, "compilation failed"},
		{`"a".find('[') == ''`, "invalid regex"},
		{`dyn([]).min() == 1`, "min called on empty list"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			p, err := env.Compile(tc.expr, BoolType)
			if err != nil {
				if tc.err == "" || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("compile: %v", err)
				}
				return
			}
			ok, err := p.EvalBool(context.Background(), nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !ok {
				t.Errorf("= %v, %v", ok, err)
			}
		})
	}
}
