package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestCELAnswersAsKube replays testdata/kube-1.31-cel.json, recorded
// from kube-apiserver 1.31: a CRD's validation rules (their static cost
// estimates among them: CRDs refused as over budget), a
// ValidatingAdmissionPolicy refusing objects and policies refused for
// expressions that do not type-check must give the same status,
// message and causes, byte for byte once decoded.
func TestCELAnswersAsKube(t *testing.T) {
	data, err := os.ReadFile("testdata/kube-1.31-cel.json")
	if err != nil {
		t.Fatal(err)
	}
	var recorded struct {
		Setup string
		Cases []struct {
			Name, Method, Path string
			Body               json.RawMessage
			Code               int
			Response           map[string]any
		}
	}
	if err := json.Unmarshal(data, &recorded); err != nil {
		t.Fatal(err)
	}
	p := startBinary(t, "", nil)
	k := kubectl{t: t, bin: requireTool(t, "kubectl", "kubectl"), kubeconfig: filepath.Join(p.DataDir, "admin.kubeconfig"), home: t.TempDir()}
	k.stdin(recorded.Setup, "apply", "-f", "-")
	c := adminHTTP(t, p)
	// Each case's refusal is in force once a dry run of it is refused.
	for _, tc := range recorded.Cases {
		waitUntil(t, 20*time.Second, tc.Name+" in force", func() bool {
			resp, _ := do(t, c, tc.Method, p.URL+tc.Path+"?dryRun=All", "application/json", tc.Body)
			return resp.StatusCode == tc.Code
		})
	}
	for _, tc := range recorded.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			resp, body := do(t, c, tc.Method, p.URL+tc.Path, "application/json", tc.Body)
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if resp.StatusCode != tc.Code || !reflect.DeepEqual(got, tc.Response) {
				want, _ := json.Marshal(tc.Response)
				t.Errorf("got %d %s\nkube %d %s", resp.StatusCode, bytes.TrimSpace(body), tc.Code, want)
			}
		})
	}
}
