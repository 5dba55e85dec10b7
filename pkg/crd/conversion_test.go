package crd

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	crdschema "github.com/apiserver/apiserver/pkg/apiextensions/schema"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

// conversionServer answers reviews with answer, which edits the response.
func conversionServer(t *testing.T, answer func(resp map[string]any, objects []any)) *webhookConverter {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var review map[string]any
		json.NewDecoder(r.Body).Decode(&review) //nolint:errcheck // the test sees a failure
		req := review["request"].(map[string]any)
		objects := req["objects"].([]any)
		for _, o := range objects {
			obj := o.(map[string]any)
			obj["apiVersion"] = req["desiredAPIVersion"]
			obj["metadata"].(map[string]any)["labels"] = map[string]any{"converted": "yes"}
			obj["metadata"].(map[string]any)["resourceVersion"] = "999"
		}
		resp := map[string]any{"uid": req["uid"], "convertedObjects": objects, "result": map[string]any{"status": "Success"}}
		answer(resp, objects)
		json.NewEncoder(w).Encode(map[string]any{"apiVersion": review["apiVersion"], "kind": "ConversionReview", "response": resp}) //nolint:errcheck // idem
	}))
	t.Cleanup(srv.Close)
	url := srv.URL
	crd := &apiextensionsv1.CustomResourceDefinition{}
	crd.Name = "things.example.com"
	crd.Spec.Group, crd.Spec.Names.Kind = "example.com", "Thing"
	crd.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter, Webhook: &apiextensionsv1.WebhookConversion{
		ConversionReviewVersions: []string{"v2", "v1"},
		ClientConfig: &apiextensionsv1.WebhookClientConfig{URL: &url,
			CABundle: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})},
	}}
	w, err := newWebhookConverter(crd, nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func thing(version string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/" + version, "kind": "Thing",
		"metadata": map[string]any{"name": "t", "resourceVersion": "5"}}}
}

func TestWebhookConverter(t *testing.T) {
	ctx := context.Background()
	w := conversionServer(t, func(map[string]any, []any) {})
	if w.reviewVersion != "v1" {
		t.Errorf("review version %s", w.reviewVersion)
	}
	a, b := thing("v1"), thing("v2")
	if err := w.convert(ctx, []*unstructured.Unstructured{a, b}, "example.com/v2"); err != nil {
		t.Fatal(err)
	}
	if a.GetAPIVersion() != "example.com/v2" || a.GetLabels()["converted"] != "yes" || a.GetResourceVersion() != "5" {
		t.Errorf("converted %v: labels taken, other metadata kept", a.Object)
	}
	if b.GetLabels() != nil {
		t.Error("an object already in the version was sent")
	}
	for name, tc := range map[string]struct {
		answer func(resp map[string]any, objects []any)
		want   string
	}{
		"failure": {func(resp map[string]any, _ []any) {
			resp["result"] = map[string]any{"status": "Failure", "message": "cannot"}
		}, "conversion webhook for example.com/v1, Kind=Thing failed: cannot"},
		"uid":   {func(resp map[string]any, _ []any) { resp["uid"] = "other" }, `expected response.uid=`},
		"count": {func(resp map[string]any, _ []any) { resp["convertedObjects"] = []any{} }, "returned 0 objects, expected 1"},
		"version": {func(_ map[string]any, objects []any) { objects[0].(map[string]any)["apiVersion"] = "example.com/v3" },
			`invalid apiVersion "example.com/v3", expected "example.com/v2"`},
		"name": {func(_ map[string]any, objects []any) {
			objects[0].(map[string]any)["metadata"].(map[string]any)["name"] = "u"
		},
			"must not change metadata.name"},
	} {
		t.Run(name, func(t *testing.T) {
			err := conversionServer(t, tc.answer).convert(ctx, []*unstructured.Unstructured{thing("v1")}, "example.com/v2")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// A field a mutating webhook adds that the schema does not know is pruned
// before the object is stored, as kube prunes the webhook's answer.
func TestPrepareForCreatePrunes(t *testing.T) {
	s, err := crdschema.New(&apiextensionsv1.JSONSchemaProps{Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
		"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"known": {Type: "string"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	st := customStrategy{version{crd: &apiextensionsv1.CustomResourceDefinition{}, version: &apiextensionsv1.CustomResourceDefinitionVersion{Name: "v1"}, schema: s}}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w"}, "spec": map[string]any{"known": "k", "addedByWebhook": "x"}}}
	st.PrepareForCreate(t.Context(), u)
	if _, found, _ := unstructured.NestedString(u.Object, "spec", "addedByWebhook"); found {
		t.Errorf("unknown field kept: %v", u.Object)
	}
	if got, _, _ := unstructured.NestedString(u.Object, "spec", "known"); got != "k" {
		t.Errorf("known field lost: %v", u.Object)
	}
}
