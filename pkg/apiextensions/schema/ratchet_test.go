package schema

import (
	"testing"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/causes"
)

// TestValidateUpdateRatchets: errors on values an update leaves unchanged
// are not reported (kube-apiserver 1.31's CRDValidationRatcheting, beta and
// on by default); changed values are validated.
func TestValidateUpdateRatchets(t *testing.T) {
	s, _ := widgets(t)
	old := decode(t, widget(`{"size":"TOOLONGANDUPPER","color":"pink"}`))
	cases := []struct {
		name string
		spec string
		want []string
	}{
		{"unchanged invalid values", `{"size":"TOOLONGANDUPPER","color":"pink","replicas":1}`, nil},
		{"changed value validated", `{"size":"TOOLONGANDUPPER","color":"green"}`, []string{
			`{"reason":"FieldValueNotSupported","message":"Unsupported value: \"green\": supported values: \"red\", \"blue\"","field":"spec.color"}`,
		}},
		{"required on a changed object", `{"color":"pink"}`, []string{
			`{"reason":"FieldValueRequired","message":"Required value","field":"spec.size"}`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			causes.Expect(t, s.ValidateUpdate(decode(t, widget(tc.spec)), old), tc.want...)
		})
	}
}

func TestParsePath(t *testing.T) {
	got := parsePath("spec.ports[1].labels[a.b].x")
	want := []pathElem{{key: "spec"}, {key: "ports"}, {index: 1, isIdx: true}, {key: "labels"}, {key: "a.b"}, {key: "x"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("elem %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}
