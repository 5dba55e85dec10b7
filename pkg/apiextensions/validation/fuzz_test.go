package validation

import (
	"encoding/json"
	"os"
	"testing"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

// FuzzValidateCustomResourceDefinition validates arbitrary CRDs, seeded
// with the recorded cases: no input may panic.
func FuzzValidateCustomResourceDefinition(f *testing.F) {
	b, err := os.ReadFile("testdata/kube-1.31-create.json")
	if err != nil {
		f.Fatal(err)
	}
	var cases []recordedCase
	if err := json.Unmarshal(b, &cases); err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		f.Add(string(c.Body))
	}
	f.Fuzz(func(t *testing.T, body string) {
		var crd apiextensionsv1.CustomResourceDefinition
		if json.Unmarshal([]byte(body), &crd) != nil {
			return
		}
		apiextensionsv1.SetDefaults(&crd)
		_ = ValidateCustomResourceDefinition(&crd)
		old := crd.DeepCopy()
		_ = ValidateCustomResourceDefinitionUpdate(&crd, old)
		_ = ValidateCustomResourceDefinitionStatusUpdate(&crd, old)
	})
}
