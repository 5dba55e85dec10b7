package v1

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// TestRoundTrip decodes a CRD as kube-apiserver 1.31 answered it (curl
// GET) and encodes it again: the bytes must be identical.
func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"testdata/widgets.crd.json"} {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			// kube-apiserver indents for curl; the order of fields is what counts.
			var compact bytes.Buffer
			if err := json.Compact(&compact, want); err != nil {
				t.Fatal(err)
			}
			want = compact.Bytes()
			var crd CustomResourceDefinition
			if err := json.Unmarshal(want, &crd); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(&crd)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("round trip differs:\n got %s\nwant %s", got, want)
			}
			cp := crd.DeepCopyObject().(*CustomResourceDefinition)
			got2, _ := json.Marshal(cp)
			if !bytes.Equal(got2, want) {
				t.Errorf("deep copy differs:\n got %s\nwant %s", got2, want)
			}
		})
	}
}
