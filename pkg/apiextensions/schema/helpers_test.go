package schema

import (
	"encoding/json"
	"os"
	"testing"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// loadCRD reads a CRD as kube-apiserver 1.31 answered it.
func loadCRD(t testing.TB, name string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := json.Unmarshal(b, &crd); err != nil {
		t.Fatal(err)
	}
	return &crd
}

// widgets compiles the schema of testdata/widgets.crd.json, the CRD the
// expectations of these tests were recorded with.
func widgets(t testing.TB) (*Schema, *apiextensionsv1.CustomResourceSubresourceScale) {
	t.Helper()
	crd := loadCRD(t, "testdata/widgets.crd.json")
	v := crd.Spec.Versions[0]
	s, err := New(v.Schema.OpenAPIV3Schema)
	if err != nil {
		t.Fatal(err)
	}
	return s, v.Subresources.Scale
}

// decode reads a JSON object as kube-apiserver's unstructured decoder does
// (int64 for integers).
func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := utiljson.Unmarshal([]byte(s), &obj); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return obj
}

// createWidget runs what kube-apiserver runs on the create of a Widget
// whose status subresource is enabled: prune and default the request body,
// drop status, then validate the schema and the scale paths.
func createWidget(t testing.TB, s *Schema, scale *apiextensionsv1.CustomResourceSubresourceScale, obj map[string]any) field.ErrorList {
	t.Helper()
	if _, err := s.PruneRequest(obj); err != nil {
		t.Fatalf("prune: %v", err)
	}
	s.Default(obj)
	delete(obj, "status")
	errs := s.Validate(obj)
	errs = append(errs, ValidateScaleSpec(obj, scale)...)
	errs = append(errs, ValidateScaleStatus(obj, scale)...)
	return errs
}

func widget(spec string) string {
	return `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"default"},"spec":` + spec + `}`
}
