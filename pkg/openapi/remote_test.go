package openapi

import (
	"net/http"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A backend's documents are merged: its v3 document of the group version
// served as it is and listed in the index; its v2 paths of that group
// version and the definitions this server lacks added to /openapi/v2,
// its other paths and its copies of shared definitions left out.
func TestRemoteGroupVersion(t *testing.T) {
	svc := newTestService(t, false)
	wardle := schema.GroupVersion{Group: "wardle.example.com", Version: "v1alpha1"}
	v2 := []byte(`{"swagger":"2.0","info":{"title":"wardle","version":"v0"},"paths":{
		"/apis/wardle.example.com/v1alpha1/flunders":{"get":{"operationId":"listFlunders","responses":{"200":{"description":"OK"}}}},
		"/apis/other.example.com/v1/things":{"get":{"operationId":"listThings","responses":{"200":{"description":"OK"}}}}},
		"definitions":{"io.k8s.sample-apiserver.pkg.apis.wardle.v1alpha1.Flunder":{"type":"object","description":"a flunder"},
		"io.k8s.apimachinery.pkg.apis.meta.v1.Status":{"type":"object","description":"the backend's copy"}}}`)
	v3 := []byte(`{"openapi":"3.0.0","info":{"title":"wardle","version":"v0"},"paths":{"/apis/wardle.example.com/v1alpha1/flunders":{}}}`)
	if err := svc.SetRemoteGroupVersion(wardle, v2, v3); err != nil {
		t.Fatal(err)
	}
	doc := v2Doc(t, svc)
	paths := doc["paths"].(map[string]any)
	defs := doc["definitions"].(map[string]any)
	if paths["/apis/wardle.example.com/v1alpha1/flunders"] == nil || paths["/apis/other.example.com/v1/things"] != nil {
		t.Errorf("v2 paths: the backend's own group version only, got wardle %v other %v",
			paths["/apis/wardle.example.com/v1alpha1/flunders"] != nil, paths["/apis/other.example.com/v1/things"] != nil)
	}
	if defs["io.k8s.sample-apiserver.pkg.apis.wardle.v1alpha1.Flunder"] == nil {
		t.Error("v2 lacks the backend's definition")
	}
	if d, _ := defs["io.k8s.apimachinery.pkg.apis.meta.v1.Status"].(map[string]any); d == nil || d["description"] == "the backend's copy" {
		t.Error("the backend's copy of a shared definition replaced this server's")
	}
	if got := v3Doc(t, svc, "apis/wardle.example.com/v1alpha1"); got["info"].(map[string]any)["title"] != "wardle" {
		t.Errorf("v3 document: %v", got)
	}
	index := decode(t, get(t, handlerOf(svc), "/openapi/v3", "Accept", "application/json"))
	if index["paths"].(map[string]any)["apis/wardle.example.com/v1alpha1"] == nil {
		t.Errorf("v3 index lacks the backend's group version: %v", index)
	}

	// A group version this server serves is not taken over.
	if err := svc.AddGroupVersion(stableV1, []Resource{cronTabResource(t)}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetRemoteGroupVersion(stableV1, nil, v3); err == nil {
		t.Error("a backend took over a group version this server serves")
	}
	svc.RemoveRemoteGroupVersion(wardle)
	if rec := get(t, handlerOf(svc), "/openapi/v3/apis/wardle.example.com/v1alpha1", "Accept", "application/json"); rec.Code != http.StatusNotFound {
		t.Errorf("after removal: %d", rec.Code)
	}
	if paths := v2Doc(t, svc)["paths"].(map[string]any); paths["/apis/wardle.example.com/v1alpha1/flunders"] != nil {
		t.Error("after removal, v2 still has the backend's paths")
	}
	if err := svc.SetRemoteGroupVersion(wardle, []byte("not json"), nil); err == nil {
		t.Error("a v2 document that is not JSON was taken")
	}
}
