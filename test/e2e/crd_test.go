package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// widgetCRD is a definition exercising schema validation, defaults,
// printer columns and both subresources, in a group of its own.
func widgetCRD(group string) string {
	return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.` + group + `
spec:
  group: ` + group + `
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1, description: How big the widget is.}
              color: {type: string, enum: [red, blue], default: red}
              replicas: {type: integer}
          status:
            type: object
            properties:
              phase: {type: string}
              replicas: {type: integer}
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Color, type: string, jsonPath: .spec.color}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
`
}

// TestKubectlCustomResources runs a custom resource session with every
// kubectl on the machine, each with a definition of its own.
func TestKubectlCustomResources(t *testing.T) {
	eachKubectl(t, startBinary(t, "", nil), func(t *testing.T, k kubectl, name string) {
		crdSession(t, k, name+".example.com")
	})
}

func crdSession(t *testing.T, k kubectl, group string) {
	crd := "widgets." + group
	k.stdin(widgetCRD(group), "apply", "-f", "-")
	k.run("wait", "--for", "condition=established", "crd/"+crd, "--timeout=20s")
	resource := "widgets." + group

	k.stdin("apiVersion: "+group+"/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n  replicas: 1\n", "apply", "-f", "-")
	expectContains(t, "get", k.run("get", resource, "w1"), "NAME", "SIZE", "COLOR", "AGE", "w1", "3", "red")
	expectContains(t, "explain", k.run("explain", "widgets.spec", "--api-version="+group+"/v1"), "size", "How big the widget is.")

	// apply a changed manifest: updated in place
	k.stdin("apiVersion: "+group+"/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 5\n  replicas: 1\n", "apply", "-f", "-")
	if got := k.run("get", resource, "w1", "-o", "jsonpath={.spec.size} {.spec.color}"); got != "5 red" {
		t.Errorf("after apply: %q, want \"5 red\" (default kept)", got)
	}

	// edit through an editor script
	editor := filepath.Join(k.home, "editor.sh")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/size: 5/size: 7/' \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := k.cmd(ctx, "edit", resource, "w1")
	cmd.Env = append(cmd.Env, "KUBE_EDITOR="+editor)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kubectl edit: %v\n%s", err, out)
	}
	if got := k.run("get", resource, "w1", "-o", "jsonpath={.spec.size}"); got != "7" {
		t.Errorf("after edit size = %q, want 7", got)
	}

	k.run("patch", resource, "w1", "--type=merge", "-p", `{"spec":{"color":"blue"}}`)
	k.run("patch", resource, "w1", "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Ready","replicas":2}}`)
	if got := k.run("get", resource, "w1", "-o", "jsonpath={.spec.color} {.status.phase} {.status.replicas}"); got != "blue Ready 2" {
		t.Errorf("after patches: %q, want \"blue Ready 2\"", got)
	}
	k.run("scale", resource+"/w1", "--replicas=4")
	if got := k.run("get", resource, "w1", "-o", "jsonpath={.spec.replicas}"); got != "4" {
		t.Errorf("after scale replicas = %q, want 4", got)
	}

	// invalid objects are refused with their field paths
	out, err := k.try("apply", "-f", writeTemp(t, "apiVersion: "+group+"/v1\nkind: Widget\nmetadata:\n  name: bad\nspec:\n  size: 0\n  color: pink\n"))
	if err == nil {
		t.Errorf("an invalid widget was accepted: %s", out)
	}
	expectContains(t, "invalid widget", out, "spec.size", "greater than or equal to 1", "spec.color", `Unsupported value: "pink"`)

	// deleting the definition deletes its objects and stops serving them
	k.run("delete", "crd", crd)
	waitUntil(t, 30*time.Second, "definition gone", func() bool {
		out, err := k.try("get", "crd", crd)
		return err != nil && strings.Contains(out, "NotFound")
	})
	k.stdin(widgetCRD(group), "apply", "-f", "-")
	k.run("wait", "--for", "condition=established", "crd/"+crd, "--timeout=20s")
	if out := k.run("get", resource, "-A", "-o", "name"); strings.TrimSpace(out) != "" {
		t.Errorf("a re-created definition serves old objects: %s", out)
	}
	k.run("delete", "crd", crd)
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manifest.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDynamicClient creates a definition at run time with client-go's
// dynamic client, times it to its first served request, and follows its
// objects with a dynamic informer.
func TestDynamicClient(t *testing.T) {
	p := startBinary(t, "", nil)
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(p.DataDir, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 1000, 1000 // client-go's default of 5/s would time the client, not the server
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	var crd unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(widgetCRD("dyn.example.com")), &crd.Object); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if _, err := dyn.Resource(crdGVR).Create(ctx, &crd, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the definition: %v", err)
	}
	gvr := schema.GroupVersionResource{Group: "dyn.example.com", Version: "v1", Resource: "widgets"}
	widgets := dyn.Resource(gvr).Namespace("default")
	waitUntil(t, 10*time.Second, "custom resources served", func() bool {
		_, err := widgets.List(ctx, metav1.ListOptions{})
		return err == nil
	})
	t.Logf("definition created to first served request: %s", time.Since(began).Round(time.Millisecond))

	factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, "default", nil)
	inf := factory.ForResource(gvr).Informer()
	var adds, updates, deletes atomic.Int64
	inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { adds.Add(1) },
		UpdateFunc: func(any, any) { updates.Add(1) },
		DeleteFunc: func(any) { deletes.Add(1) },
	})
	factory.Start(ctx.Done())
	defer func() {
		cancel()
		factory.Shutdown()
	}()
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("dynamic informer never synced")
	}
	const n = 50
	for i := range n {
		w := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "dyn.example.com/v1", "kind": "Widget",
			"metadata": map[string]any{"name": fmt.Sprintf("w-%02d", i)},
			"spec":     map[string]any{"size": int64(i + 1)},
		}}
		if _, err := widgets.Create(ctx, w, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	for i := range n {
		if _, err := widgets.Patch(ctx, fmt.Sprintf("w-%02d", i), "application/merge-patch+json", []byte(`{"spec":{"color":"blue"}}`), metav1.PatchOptions{}); err != nil {
			t.Fatalf("patch: %v", err)
		}
	}
	bad := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "dyn.example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "bad"}, "spec": map[string]any{"size": "big"},
	}}
	if _, err := widgets.Create(ctx, bad, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("creating an invalid widget = %v, want Invalid", err)
	}
	for i := range n / 2 {
		if err := widgets.Delete(ctx, fmt.Sprintf("w-%02d", i), metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete: %v", err)
		}
	}
	waitUntil(t, 30*time.Second, "informer saw every event", func() bool {
		return adds.Load() >= n && updates.Load() >= n && deletes.Load() >= n/2
	})
	if got := len(inf.GetStore().List()); got != n/2 {
		t.Errorf("informer cache holds %d widgets, want %d", got, n/2)
	}
}

// TestCRDVersions serves two versions with conversion None: an object
// written through one reads through the other with its apiVersion
// rewritten, and strategic merge patches are refused as for any custom
// resource.
func TestCRDVersions(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	crd := []byte(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
	 "metadata":{"name":"gadgets.multi.example.com"},
	 "spec":{"group":"multi.example.com","scope":"Cluster","names":{"kind":"Gadget","plural":"gadgets"},
	  "versions":[
	   {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
	   {"name":"v2","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}`)
	if resp, body := do(t, c, "POST", p.URL+"/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json", crd); resp.StatusCode != 201 {
		t.Fatalf("create CRD = %d %s", resp.StatusCode, body)
	}
	waitUntil(t, 10*time.Second, "both versions served", func() bool {
		r1, _ := do(t, c, "GET", p.URL+"/apis/multi.example.com/v1/gadgets", "", nil)
		r2, _ := do(t, c, "GET", p.URL+"/apis/multi.example.com/v2/gadgets", "", nil)
		return r1.StatusCode == 200 && r2.StatusCode == 200
	})
	obj := []byte(`{"apiVersion":"multi.example.com/v1","kind":"Gadget","metadata":{"name":"g"},"spec":{"x":1}}`)
	if resp, body := do(t, c, "POST", p.URL+"/apis/multi.example.com/v1/gadgets", "application/json", obj); resp.StatusCode != 201 {
		t.Fatalf("create = %d %s", resp.StatusCode, body)
	}
	resp, body := do(t, c, "GET", p.URL+"/apis/multi.example.com/v2/gadgets/g", "", nil)
	var got struct{ APIVersion string }
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 || got.APIVersion != "multi.example.com/v2" {
		t.Errorf("GET through v2 = %d %s, want apiVersion multi.example.com/v2", resp.StatusCode, body)
	}
	resp, _ = do(t, c, "PATCH", p.URL+"/apis/multi.example.com/v1/gadgets/g", "application/strategic-merge-patch+json", []byte(`{"spec":{"x":2}}`))
	if resp.StatusCode != 415 {
		t.Errorf("strategic merge patch of a custom resource = %d, want 415", resp.StatusCode)
	}
	resp, body = do(t, c, "GET", p.URL+"/apis/multi.example.com/v1", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"gadgets"`) {
		t.Errorf("discovery of multi.example.com/v1 = %d %s", resp.StatusCode, body)
	}
	// Server-side apply through one version, then through the other: the
	// fields the manager recorded through v1 are converted to v2, and what
	// it no longer applies is removed (kube's "ServerSideApply should work
	// for CRDs").
	apply := func(version, spec string) (int, []byte) {
		body := []byte(`{"apiVersion":"multi.example.com/` + version + `","kind":"Gadget","metadata":{"name":"applied"},"spec":` + spec + `}`)
		resp, out := do(t, c, "PATCH", p.URL+"/apis/multi.example.com/"+version+"/gadgets/applied?fieldManager=tester", "application/apply-patch+yaml", body)
		return resp.StatusCode, out
	}
	if code, out := apply("v2", `{"a":1,"b":2}`); code != 201 {
		t.Fatalf("apply through v2 = %d %s", code, out)
	}
	code, out := apply("v1", `{"a":1}`)
	var applied struct {
		Spec     map[string]any
		Metadata struct {
			ManagedFields []struct{ APIVersion, Manager string }
		}
	}
	if err := json.Unmarshal(out, &applied); err != nil || code != 200 || len(applied.Spec) != 1 || len(applied.Metadata.ManagedFields) != 1 ||
		applied.Metadata.ManagedFields[0].APIVersion != "multi.example.com/v1" {
		t.Errorf("apply through v1 after v2 = %d %s, want spec {a: 1} managed by tester through v1", code, out)
	}
}

// TestDefaultsOnRead: a default added to a definition later shows on
// objects stored before it, as kube-apiserver applies defaults on read.
func TestDefaultsOnRead(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	crd := func(withDefault bool) []byte {
		def := ""
		if withDefault {
			def = `,"default":"green"`
		}
		return []byte(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
		 "metadata":{"name":"lamps.later.example.com"},
		 "spec":{"group":"later.example.com","scope":"Namespaced","names":{"kind":"Lamp","plural":"lamps"},
		  "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{
		   "spec":{"type":"object","properties":{"color":{"type":"string"` + def + `}}}}}}}]}}`)
	}
	crdPath := p.URL + "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
	if resp, body := do(t, c, "POST", crdPath, "application/json", crd(false)); resp.StatusCode != 201 {
		t.Fatalf("create CRD = %d %s", resp.StatusCode, body)
	}
	lamps := p.URL + "/apis/later.example.com/v1/namespaces/default/lamps"
	waitUntil(t, 10*time.Second, "lamps served", func() bool {
		resp, _ := do(t, c, "GET", lamps, "", nil)
		return resp.StatusCode == 200
	})
	if resp, body := do(t, c, "POST", lamps, "application/json", []byte(`{"apiVersion":"later.example.com/v1","kind":"Lamp","metadata":{"name":"l"},"spec":{}}`)); resp.StatusCode != 201 {
		t.Fatalf("create = %d %s", resp.StatusCode, body)
	}
	resp, body := do(t, c, "GET", crdPath+"/lamps.later.example.com", "", nil)
	var current struct {
		Metadata struct{ ResourceVersion string }
	}
	if err := json.Unmarshal(body, &current); err != nil || resp.StatusCode != 200 {
		t.Fatalf("get CRD = %d %v", resp.StatusCode, err)
	}
	update := strings.Replace(string(crd(true)), `"name":"lamps.later.example.com"`, `"name":"lamps.later.example.com","resourceVersion":"`+current.Metadata.ResourceVersion+`"`, 1)
	if resp, body := do(t, c, "PUT", crdPath+"/lamps.later.example.com", "application/json", []byte(update)); resp.StatusCode != 200 {
		t.Fatalf("update CRD = %d %s", resp.StatusCode, body)
	}
	waitUntil(t, 10*time.Second, "the new default on the old object", func() bool {
		_, body := do(t, c, "GET", lamps+"/l", "", nil)
		return strings.Contains(string(body), `"color":"green"`)
	})
	if _, body := do(t, c, "GET", lamps, "", nil); !strings.Contains(string(body), `"color":"green"`) {
		t.Errorf("list lacks the default: %s", body)
	}
}
