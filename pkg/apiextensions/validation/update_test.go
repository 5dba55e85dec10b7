package validation

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/causes"
	"github.com/apiserver/apiserver/pkg/apiextensions/status"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

// TestValidateCustomResourceDefinitionUpdate replays
// testdata/kube-1.31-update.json: updates of the established
// gadgets.example.com sent to kube-apiserver 1.31.4 (PUT ?dryRun=All),
// prepared as its strategy does, with the causes it answered.
func TestValidateCustomResourceDefinitionUpdate(t *testing.T) {
	b, err := os.ReadFile("testdata/kube-1.31-update.json")
	if err != nil {
		t.Fatal(err)
	}
	var recorded struct {
		Old   apiextensionsv1.CustomResourceDefinition `json:"old"`
		Cases []recordedCase                           `json:"cases"`
	}
	if err := json.Unmarshal(b, &recorded); err != nil {
		t.Fatal(err)
	}
	for _, tc := range recorded.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := json.Unmarshal(tc.Body, &crd); err != nil {
				t.Fatal(err)
			}
			apiextensionsv1.SetDefaults(&crd)
			status.PrepareForUpdate(&crd, &recorded.Old)
			want := make([]string, len(tc.Causes))
			for i, c := range tc.Causes {
				j, _ := json.Marshal(c)
				want[i] = string(j)
			}
			causes.Expect(t, ValidateCustomResourceDefinitionUpdate(&crd, &recorded.Old), want...)
		})
	}
}
