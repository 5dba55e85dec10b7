package schema

import (
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// FuzzSchema runs every entry point on arbitrary JSON objects: none may
// panic, whatever the body.
func FuzzSchema(f *testing.F) {
	for _, seed := range []string{
		widget(`{"size":"ab"}`),
		widget(`{"replicas":"x","ports":[{"name":"a"},{"name":"a"},null,1],"set":[1,1,{},{}],"template":{"apiVersion":1,"metadata":"x"}}`),
		widget(`"x"`),
		`{"metadata":{"name":1,"labels":[]},"spec":{"labels":{"a":null}},"status":null}`,
		`{"metadata":null}`,
		`{}`,
	} {
		f.Add(seed)
	}
	s, scale := widgets(f)
	g, err := New(loadCRD(f, "testdata/gadgets.crd.json").Spec.Versions[0].Schema.OpenAPIV3Schema)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, sc := range []*Schema{s, g} {
			var obj, old map[string]any
			if utiljson.Unmarshal([]byte(body), &obj) != nil || obj == nil {
				return
			}
			_ = utiljson.Unmarshal([]byte(body), &old)
			_, _ = sc.PruneRequest(obj)
			sc.Prune(old)
			sc.Default(obj)
			_ = sc.Validate(obj)
			_ = sc.ValidateUpdate(obj, old)
			_ = sc.ValidateStatusUpdate(obj, old)
			_ = ValidateScaleSpec(obj, scale)
			_ = ValidateScaleStatus(obj, scale)
		}
	})
}
