package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

// convertShapes is a conversion webhook between Shape v1 (spec.size) and
// v2 (spec.dimensions.size).
func convertShapes(w http.ResponseWriter, r *http.Request) {
	var review map[string]any
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := review["request"].(map[string]any)
	to := req["desiredAPIVersion"].(string)
	var converted []any
	for _, o := range req["objects"].([]any) {
		obj := o.(map[string]any)
		spec, _ := obj["spec"].(map[string]any)
		switch {
		case to == "convert.example.com/v2" && obj["apiVersion"] == "convert.example.com/v1":
			spec["dimensions"] = map[string]any{"size": spec["size"]}
			delete(spec, "size")
		case to == "convert.example.com/v1" && obj["apiVersion"] == "convert.example.com/v2":
			spec["size"] = spec["dimensions"].(map[string]any)["size"]
			delete(spec, "dimensions")
		}
		obj["apiVersion"] = to
		converted = append(converted, obj)
	}
	review["response"] = map[string]any{"uid": req["uid"], "convertedObjects": converted, "result": map[string]any{"status": "Success"}}
	delete(review, "request")
	json.NewEncoder(w).Encode(review) //nolint:errcheck // the server reports what it could not read
}

func shapeCRD(url string, caBundle []byte) string {
	ca, _ := json.Marshal(caBundle)
	return `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
	 "metadata":{"name":"shapes.convert.example.com"},
	 "spec":{"group":"convert.example.com","scope":"Namespaced","names":{"kind":"Shape","plural":"shapes"},
	  "conversion":{"strategy":"Webhook","webhook":{"conversionReviewVersions":["v1"],"clientConfig":{"url":"` + url + `","caBundle":` + string(ca) + `}}},
	  "versions":[
	   {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{
	     "spec":{"type":"object","properties":{"size":{"type":"integer"}}}}}}},
	   {"name":"v2","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object","properties":{
	     "spec":{"type":"object","properties":{"dimensions":{"type":"object","properties":{"size":{"type":"integer"}}}}}}}}}]}}`
}

// TestConversionWebhook serves a two-version definition whose versions
// differ in shape: objects written in one version read, list and watch in
// the other, converted by the webhook.
func TestConversionWebhook(t *testing.T) {
	p := startBinary(t, "", nil)
	hooks := startWebhookServer(t, "127.0.0.1")
	c := adminHTTP(t, p)
	ctx := context.Background()
	if resp, body := do(t, c, "POST", p.URL+"/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json",
		[]byte(shapeCRD(*hooks.url("/convert"), hooks.caBundle))); resp.StatusCode != 201 {
		t.Fatalf("create CRD = %d %s", resp.StatusCode, body)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(p.DataDir, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	dyn := dynamic.NewForConfigOrDie(cfg)
	v1 := dyn.Resource(schema.GroupVersionResource{Group: "convert.example.com", Version: "v1", Resource: "shapes"}).Namespace("default")
	v2 := dyn.Resource(schema.GroupVersionResource{Group: "convert.example.com", Version: "v2", Resource: "shapes"}).Namespace("default")
	waitUntil(t, 10*time.Second, "both versions served", func() bool {
		_, err1 := v1.List(ctx, metav1.ListOptions{})
		_, err2 := v2.List(ctx, metav1.ListOptions{})
		return err1 == nil && err2 == nil
	})
	shape := func(version, name string, spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "convert.example.com/" + version, "kind": "Shape",
			"metadata": map[string]any{"name": name}, "spec": spec}}
	}
	created, err := v2.Create(ctx, shape("v2", "square", map[string]any{"dimensions": map[string]any{"size": int64(3)}}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if size, _, _ := unstructured.NestedInt64(created.Object, "spec", "dimensions", "size"); size != 3 || created.GetAPIVersion() != "convert.example.com/v2" {
		t.Errorf("created through v2: %v", created.Object)
	}
	got, err := v1.Get(ctx, "square", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if size, _, _ := unstructured.NestedInt64(got.Object, "spec", "size"); size != 3 || got.GetAPIVersion() != "convert.example.com/v1" {
		t.Errorf("read through v1: %v", got.Object)
	}
	if _, err := v1.Create(ctx, shape("v1", "circle", map[string]any{"size": int64(5)}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	list, err := v2.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for _, item := range list.Items {
		sizes[item.GetName()], _, _ = unstructured.NestedInt64(item.Object, "spec", "dimensions", "size")
	}
	if sizes["circle"] != 5 || sizes["square"] != 3 {
		t.Errorf("list through v2: %v", sizes)
	}
	// A watch through v2 sees an update made through v1, converted.
	w, err := v2.Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	got.Object["spec"] = map[string]any{"size": int64(4)}
	if _, err := v1.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-w.ResultChan():
		u, ok := e.Object.(*unstructured.Unstructured)
		size, _, _ := unstructured.NestedInt64(u.Object, "spec", "dimensions", "size")
		if !ok || e.Type != watch.Modified || size != 4 || u.GetAPIVersion() != "convert.example.com/v2" {
			t.Errorf("watch event %s %v", e.Type, e.Object)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event")
	}
	// A webhook that fails makes reads in the other version fail, as kube.
	var crd map[string]any
	if err := json.Unmarshal([]byte(shapeCRD(*hooks.url("/fail"), hooks.caBundle)), &crd); err != nil {
		t.Fatal(err)
	}
	crdClient := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	current, err := crdClient.Get(ctx, "shapes.convert.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	current.Object["spec"] = crd["spec"]
	if _, err := crdClient.Update(ctx, current, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the broken webhook in use", func() bool {
		_, err := v2.Get(ctx, "square", metav1.GetOptions{})
		var status apierrors.APIStatus
		return errors.As(err, &status) && status.Status().Code == http.StatusInternalServerError &&
			strings.Contains(err.Error(), "conversion webhook for convert.example.com/v1, Kind=Shape failed")
	})
}
