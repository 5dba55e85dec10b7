package openapi

import (
	"encoding/json"
	"testing"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/util/proto"
)

// TestStrategicMergePatchMetadata computes kubectl apply's three-way
// strategic merge patch with patch metadata read, as kubectl reads it, from
// the served v2 document (kube-openapi's proto models) and v3 document, and
// checks both against the metadata of the Go type. Overwrite is on, as in
// kubectl apply.
func TestStrategicMergePatchMetadata(t *testing.T) {
	svc := newTestService(t, false)
	h := handlerOf(svc)

	v2, err := openapiv2.ParseDocument(get(t, h, "/openapi/v2", "Accept", "application/json").Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	models, err := proto.NewOpenAPIData(v2)
	if err != nil {
		t.Fatalf("kubectl's model of the v2 document: %v", err)
	}
	var v3 spec3.OpenAPI
	if err := json.Unmarshal(get(t, h, "/openapi/v3/api/v1", "Accept", "application/json").Body.Bytes(), &v3); err != nil {
		t.Fatal(err)
	}
	const def = "io.k8s.api.core.v1.ConfigMap"
	fromStruct, err := strategicpatch.NewPatchMetaFromStruct(&corev1.ConfigMap{})
	if err != nil {
		t.Fatal(err)
	}
	metas := map[string]strategicpatch.LookupPatchMeta{
		"v2": strategicpatch.NewPatchMetaFromOpenAPI(models.LookupModel(def)),
		"v3": strategicpatch.PatchMetaFromOpenAPIV3{Schema: v3.Components.Schemas[def], SchemaList: v3.Components.Schemas},
	}
	const (
		original = `{"metadata":{"name":"a","finalizers":["x"],"ownerReferences":[{"uid":"1","name":"one","kind":"K","apiVersion":"v1"}]},"data":{"k":"1"}}`
		current  = `{"metadata":{"name":"a","finalizers":["x","server"],"ownerReferences":[{"uid":"1","name":"one","kind":"K","apiVersion":"v1"},{"uid":"9","name":"nine","kind":"K","apiVersion":"v1"}]},"data":{"k":"1"}}`
	)
	cases := []struct{ name, modified string }{
		{"add an owner reference", `{"metadata":{"name":"a","finalizers":["x"],"ownerReferences":[{"uid":"1","name":"one","kind":"K","apiVersion":"v1"},{"uid":"2","name":"two","kind":"K","apiVersion":"v1"}]},"data":{"k":"1"}}`},
		{"drop a finalizer", `{"metadata":{"name":"a","ownerReferences":[{"uid":"1","name":"one","kind":"K","apiVersion":"v1"}]},"data":{"k":"1"}}`},
		{"change data", `{"metadata":{"name":"a","finalizers":["x"],"ownerReferences":[{"uid":"1","name":"one","kind":"K","apiVersion":"v1"}]},"data":{"k":"2","l":"3"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := strategicpatch.CreateThreeWayMergePatch([]byte(original), []byte(tc.modified), []byte(current), fromStruct, true)
			if err != nil {
				t.Fatal(err)
			}
			for format, meta := range metas {
				got, err := strategicpatch.CreateThreeWayMergePatch([]byte(original), []byte(tc.modified), []byte(current), meta, true)
				if err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				if !jsonEqual(t, got, want) {
					t.Errorf("%s: patch %s, the Go type's %s", format, got, want)
				}
			}
		})
	}
}
