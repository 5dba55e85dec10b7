package validation

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/causes"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

// recordedCase is one CRD create sent to kube-apiserver 1.31.4 (POST
// ?dryRun=All) with the code and the causes of its answer.
type recordedCase struct {
	Name   string          `json:"name"`
	Code   int             `json:"code"`
	Body   json.RawMessage `json:"body"`
	Causes []causes.Cause  `json:"causes"`
}

// deliberate lists where this server answers otherwise, and why.
var deliberate = map[string][]string{}

// goSyntaxValue lists the cases whose message prints kube-apiserver's
// internal JSONSchemaProps in Go syntax: only the text after the value is
// compared.
var goSyntaxValue = map[string]bool{"status root restrictions": true}

// TestValidateCustomResourceDefinition replays testdata/kube-1.31-create.json:
// every case must give exactly the causes kube-apiserver gave, in order.
func TestValidateCustomResourceDefinition(t *testing.T) {
	b, err := os.ReadFile("testdata/kube-1.31-create.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []recordedCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := json.Unmarshal(tc.Body, &crd); err != nil {
				t.Fatal(err)
			}
			apiextensionsv1.SetDefaults(&crd)
			errs := ValidateCustomResourceDefinition(&crd)
			want := make([]string, len(tc.Causes))
			for i, c := range tc.Causes {
				j, _ := json.Marshal(c)
				want[i] = string(j)
			}
			if d, ok := deliberate[tc.Name]; ok {
				want = d
			}
			if goSyntaxValue[tc.Name] {
				got := causes.Of(errs)
				if len(got) != 1 || got[0].Field != tc.Causes[0].Field || got[0].Reason != tc.Causes[0].Reason ||
					!strings.HasSuffix(tc.Causes[0].Message, got[0].Message[strings.LastIndex(got[0].Message, "}: ")+1:]) {
					t.Errorf("got %+v, want %+v", got, tc.Causes)
				}
				return
			}
			causes.Expect(t, errs, want...)
		})
	}
}
