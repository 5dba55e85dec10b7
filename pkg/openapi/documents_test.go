package openapi

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// docs returns the v2 document and the v3 document of key, with the name
// of their definitions section.
func bothDocs(t *testing.T, svc *Service, key string) map[string]map[string]any {
	t.Helper()
	return map[string]map[string]any{
		"v2": at(v2Doc(t, svc), "definitions").(map[string]any),
		"v3": at(v3Doc(t, svc, key), "components", "schemas").(map[string]any),
	}
}

func gvk(group, version, kind string) map[string]any {
	return map[string]any{"group": group, "version": version, "kind": kind}
}

func TestGroupVersionKindOfDefinitions(t *testing.T) {
	svc := newTestService(t, true)
	cases := []struct {
		name string
		key  string // v3 document
		def  string
		want []any // nil: no extension
	}{
		{"ConfigMap", "api/v1", "io.k8s.api.core.v1.ConfigMap", []any{gvk("", "v1", "ConfigMap")}},
		{"ConfigMapList", "api/v1", "io.k8s.api.core.v1.ConfigMapList", []any{gvk("", "v1", "ConfigMapList")}},
		{"Secret", "api/v1", "io.k8s.api.core.v1.Secret", []any{gvk("", "v1", "Secret")}},
		{"SecretList", "api/v1", "io.k8s.api.core.v1.SecretList", []any{gvk("", "v1", "SecretList")}},
		{"Namespace", "api/v1", "io.k8s.api.core.v1.Namespace", []any{gvk("", "v1", "Namespace")}},
		{"NamespaceList", "api/v1", "io.k8s.api.core.v1.NamespaceList", []any{gvk("", "v1", "NamespaceList")}},
		{"Status", "api/v1", defStatus, []any{gvk("", "v1", "Status")}},
		{"APIResourceList", "api/v1", defAPIResourceList, []any{gvk("", "v1", "APIResourceList")}},
		{"ObjectMeta has none", "api/v1", defObjectMeta, nil},
		{"NamespaceSpec has none", "api/v1", "io.k8s.api.core.v1.NamespaceSpec", nil},
		{"CronTab", "apis/stable.example.com/v1", cronTabV1, []any{gvk("stable.example.com", "v1", "CronTab")}},
		{"CronTabList", "apis/stable.example.com/v1", cronTabV1 + "List", []any{gvk("stable.example.com", "v1", "CronTabList")}},
		{"Scale", "apis/stable.example.com/v1", defScale, []any{gvk("autoscaling", "v1", "Scale")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for format, defs := range bothDocs(t, svc, tc.key) {
				def, ok := defs[tc.def].(map[string]any)
				if !ok {
					t.Fatalf("%s: no definition %s", format, tc.def)
				}
				got, _ := def[extGVK].([]any)
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s: %s %s = %v, want %v", format, tc.def, extGVK, got, tc.want)
				}
			}
		})
	}
	// The v2 document lists every group-version that registers the
	// option kinds; the v3 documents their own.
	del := at(v2Doc(t, svc), "definitions", defDeleteOptions, extGVK)
	want := []any{gvk("", "v1", "DeleteOptions"), gvk("stable.example.com", "v1", "DeleteOptions")}
	if !reflect.DeepEqual(del, want) {
		t.Errorf("v2 DeleteOptions %s = %v, want %v", extGVK, del, want)
	}
}

func TestPatchAndListExtensions(t *testing.T) {
	svc := newTestService(t, false)
	cases := []struct {
		name string
		path []string // definition, then keys
		want map[string]any
	}{
		{"ObjectMeta.ownerReferences", []string{defObjectMeta, "properties", "ownerReferences"}, map[string]any{
			"x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "uid",
			"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": []any{"uid"},
		}},
		{"ObjectMeta.finalizers", []string{defObjectMeta, "properties", "finalizers"}, map[string]any{
			"x-kubernetes-patch-strategy": "merge", "x-kubernetes-list-type": "set",
		}},
		{"ObjectMeta.managedFields", []string{defObjectMeta, "properties", "managedFields"}, map[string]any{
			"x-kubernetes-list-type": "atomic",
		}},
		{"NamespaceStatus.conditions", []string{"io.k8s.api.core.v1.NamespaceStatus", "properties", "conditions"}, map[string]any{
			"x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "type",
			"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": []any{"type"},
		}},
		{"ConfigMap.data is a map", []string{"io.k8s.api.core.v1.ConfigMap", "properties", "data"}, map[string]any{
			"type": "object",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for format, defs := range bothDocs(t, svc, "api/v1") {
				field, ok := at(defs, tc.path...).(map[string]any)
				if !ok {
					t.Fatalf("%s: no %s", format, strings.Join(tc.path, "."))
				}
				for k, want := range tc.want {
					if !reflect.DeepEqual(field[k], want) {
						t.Errorf("%s: %s[%s] = %v, want %v", format, strings.Join(tc.path, "."), k, field[k], want)
					}
				}
			}
		})
	}
}

func TestOperations(t *testing.T) {
	svc := newTestService(t, true)
	if err := svc.AddGroupVersion(stableV2, []Resource{{
		Kind: "CronTab", Plural: "crontabs", Verbs: []string{"get", "list"}, Schema: cronTabSchema(t),
	}}); err != nil {
		t.Fatal(err)
	}
	const ns = "/api/v1/namespaces/{namespace}/configmaps"
	cases := []struct {
		path, method, key string
		opID, action      string
		gvk               map[string]any // nil: none
		params            []string       // among the operation's parameters
	}{
		{ns, "get", "api/v1", "listCoreV1NamespacedConfigMap", "list", gvk("", "v1", "ConfigMap"), []string{"labelSelector", "watch"}},
		{ns, "post", "api/v1", "createCoreV1NamespacedConfigMap", "post", gvk("", "v1", "ConfigMap"), []string{"fieldValidation"}},
		{ns, "delete", "api/v1", "deleteCoreV1CollectionNamespacedConfigMap", "deletecollection", gvk("", "v1", "ConfigMap"), []string{"labelSelector", "propagationPolicy"}},
		{ns + "/{name}", "get", "api/v1", "readCoreV1NamespacedConfigMap", "get", gvk("", "v1", "ConfigMap"), nil},
		{ns + "/{name}", "put", "api/v1", "replaceCoreV1NamespacedConfigMap", "put", gvk("", "v1", "ConfigMap"), []string{"fieldManager"}},
		{ns + "/{name}", "patch", "api/v1", "patchCoreV1NamespacedConfigMap", "patch", gvk("", "v1", "ConfigMap"), []string{"fieldValidation", "force"}},
		{ns + "/{name}", "delete", "api/v1", "deleteCoreV1NamespacedConfigMap", "delete", gvk("", "v1", "ConfigMap"), []string{"gracePeriodSeconds"}},
		{"/api/v1/configmaps", "get", "api/v1", "listCoreV1ConfigMapForAllNamespaces", "list", gvk("", "v1", "ConfigMap"), nil},
		{"/api/v1/watch/namespaces/{namespace}/configmaps/{name}", "get", "api/v1", "watchCoreV1NamespacedConfigMap", "watch", gvk("", "v1", "ConfigMap"), nil},
		{"/api/v1/watch/namespaces/{namespace}/configmaps", "get", "api/v1", "watchCoreV1NamespacedConfigMapList", "watchlist", gvk("", "v1", "ConfigMap"), nil},
		{"/api/v1/watch/secrets", "get", "api/v1", "watchCoreV1SecretListForAllNamespaces", "watchlist", gvk("", "v1", "Secret"), nil},
		{"/api/v1/namespaces/{name}", "get", "api/v1", "readCoreV1Namespace", "get", gvk("", "v1", "Namespace"), nil},
		{"/api/v1/namespaces", "post", "api/v1", "createCoreV1Namespace", "post", gvk("", "v1", "Namespace"), nil},
		{"/api/v1/", "get", "api/v1", "getCoreV1APIResources", "", nil, nil},
		{"/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/status", "patch", "apis/stable.example.com/v1", "patchStableExampleComV1NamespacedCronTabStatus", "patch", gvk("stable.example.com", "v1", "CronTab"), []string{"fieldValidation"}},
		{"/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/scale", "get", "apis/stable.example.com/v1", "readStableExampleComV1NamespacedCronTabScale", "get", gvk("autoscaling", "v1", "Scale"), nil},
		{"/apis/stable.example.com/v2/crontabs", "get", "apis/stable.example.com/v2", "listStableExampleComV2CronTab", "list", gvk("stable.example.com", "v2", "CronTab"), nil},
		{"/apis/stable.example.com/", "get", "apis/stable.example.com", "getStableExampleComAPIGroup", "", nil, nil},
		{"/api/", "get", "api", "getCoreAPIVersions", "", nil, nil},
		{"/version/", "get", "version", "getCodeVersion", "", nil, nil},
	}
	v2 := v2Doc(t, svc)
	for _, tc := range cases {
		t.Run(tc.opID, func(t *testing.T) {
			docs := map[string]map[string]any{"v2": v2, "v3": v3Doc(t, svc, tc.key)}
			for format, doc := range docs {
				op, ok := at(doc, "paths", tc.path, tc.method).(map[string]any)
				if !ok {
					t.Fatalf("%s: no %s %s", format, tc.method, tc.path)
				}
				if op["operationId"] != tc.opID {
					t.Errorf("%s: operationId = %v, want %s", format, op["operationId"], tc.opID)
				}
				if action, _ := op[extAction].(string); action != tc.action {
					t.Errorf("%s: %s = %q, want %q", format, extAction, action, tc.action)
				}
				if got, _ := op[extGVK].(map[string]any); !reflect.DeepEqual(got, tc.gvk) {
					t.Errorf("%s: %s = %v, want %v", format, extGVK, got, tc.gvk)
				}
				var names []string
				params, _ := op["parameters"].([]any)
				for _, p := range params {
					names = append(names, p.(map[string]any)["name"].(string))
				}
				for _, want := range tc.params {
					if !slices.Contains(names, want) {
						t.Errorf("%s: parameters %v lack %s", format, names, want)
					}
				}
			}
		})
	}
	// Verbs a resource does not serve have no operation.
	for _, absent := range []string{"post", "put", "patch", "delete"} {
		for _, p := range []string{"/apis/stable.example.com/v2/crontabs", "/apis/stable.example.com/v2/crontabs/{name}"} {
			if op := at(v2, "paths", p, absent); op != nil {
				t.Errorf("v2 has %s %s for a resource serving only get and list", absent, p)
			}
		}
	}
}

func TestGroupVersionDocumentsHoldOnlyTheirDefinitions(t *testing.T) {
	svc := newTestService(t, true)
	cases := []struct {
		key               string
		mustHave          []string
		mustNotHavePrefix []string
	}{
		{"api/v1", []string{"io.k8s.api.core.v1.ConfigMap", defObjectMeta, defStatus}, []string{"com.example.", "io.k8s.api.autoscaling."}},
		{"apis/stable.example.com/v1", []string{cronTabV1, cronTabV1 + "List", defObjectMeta, defListMeta, defScale}, []string{"io.k8s.api.core."}},
		{"apis/stable.example.com", []string{defAPIGroup}, []string{"io.k8s.api.", "com.example."}},
		{"version", []string{defVersionInfo}, []string{"io.k8s.api.", "io.k8s.apimachinery.pkg.apis."}},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			defs := at(v3Doc(t, svc, tc.key), "components", "schemas").(map[string]any)
			for _, name := range tc.mustHave {
				if defs[name] == nil {
					t.Errorf("no definition %s", name)
				}
			}
			for name := range defs {
				for _, prefix := range tc.mustNotHavePrefix {
					if strings.HasPrefix(name, prefix) {
						t.Errorf("has definition %s of another group-version", name)
					}
				}
			}
			paths := at(v3Doc(t, svc, tc.key), "paths").(map[string]any)
			for p := range paths {
				if !strings.HasPrefix(p, "/"+tc.key+"/") {
					t.Errorf("has path %s outside /%s/", p, tc.key)
				}
			}
		})
	}
}

func TestCustomResourceDefinitions(t *testing.T) {
	svc := newTestService(t, true)
	docs := bothDocs(t, svc, "apis/stable.example.com/v1")
	cases := []struct {
		name   string
		path   []string
		v2, v3 any
	}{
		{"metadata refers to ObjectMeta", []string{cronTabV1, "properties", "metadata", "$ref"}, v2RefPrefix + defObjectMeta, nil},
		{"metadata is wrapped in allOf in v3", []string{cronTabV1, "properties", "metadata", "allOf"}, nil, []any{map[string]any{"$ref": v3RefPrefix + defObjectMeta}}},
		{"apiVersion added", []string{cronTabV1, "properties", "apiVersion", "type"}, "string", "string"},
		{"description kept", []string{cronTabV1, "description"}, "CronTab runs a command on a schedule.", "CronTab runs a command on a schedule."},
		{"required kept", []string{cronTabV1, "properties", "spec", "required"}, []any{"cronSpec"}, []any{"cronSpec"}},
		{"anyOf only in v3", []string{cronTabV1, "properties", "spec", "properties", "port", "anyOf"}, nil, []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}},
		{"nullable loses its type in v2", []string{cronTabV1, "properties", "spec", "properties", "note", "type"}, nil, "string"},
		{"unknown fields lose their properties in v2", []string{cronTabV1, "properties", "spec", "properties", "extra", "properties", "x", "type"}, nil, "string"},
		{"list items", []string{cronTabV1 + "List", "properties", "items", "items", "$ref"}, v2RefPrefix + cronTabV1, v3RefPrefix + cronTabV1},
		{"list metadata", []string{cronTabV1 + "List", "properties", "metadata", "$ref"}, v2RefPrefix + defListMeta, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for format, want := range map[string]any{"v2": tc.v2, "v3": tc.v3} {
				if got := at(docs[format], tc.path...); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %s = %v, want %v", format, strings.Join(tc.path, "."), got, want)
				}
			}
		})
	}
	// The caller's schema is not changed.
	if s := cronTabSchema(t); !reflect.DeepEqual(s, cronTabResource(t).Schema) {
		t.Error("cronTabSchema is not deterministic")
	}
	r := cronTabResource(t)
	before, _ := json.Marshal(r.Schema)
	if err := svc.AddGroupVersion(stableV1, []Resource{r}); err != nil {
		t.Fatal(err)
	}
	if after, _ := json.Marshal(r.Schema); string(after) != string(before) {
		t.Errorf("AddGroupVersion changed the schema:\n%s\n%s", before, after)
	}
}

func TestToV2(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"junctors dropped", `{"type":"object","anyOf":[{"required":["a"]}],"oneOf":[{"required":["b"]}],"allOf":[{"required":["c"]}],"not":{"required":["d"]}}`, `{"type":"object"}`},
		{"nullable drops type and nested schemas", `{"type":"object","nullable":true,"properties":{"a":{"type":"string"}}}`, `{}`},
		// As kube-apiserver 1.31 publishes them (recorded).
		{"preserve unknown fields drops nested schemas and the object type", `{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"a":{"type":"string"}}}`, `{"x-kubernetes-preserve-unknown-fields":true}`},
		{"array without items drops type", `{"type":"array","x-kubernetes-preserve-unknown-fields":true,"items":{"type":"string"}}`, `{"x-kubernetes-preserve-unknown-fields":true}`},
		{"nullable property not required", `{"type":"object","required":["a","b"],"properties":{"a":{"type":"string","nullable":true},"b":{"type":"string"}}}`, `{"type":"object","required":["b"],"properties":{"a":{},"b":{"type":"string"}}}`},
		{"nested", `{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"integer","nullable":true}}}}}`, `{"type":"object","properties":{"a":{"type":"object","properties":{"b":{}}}}}`},
		{"untouched", `{"type":"object","properties":{"a":{"type":"string","enum":["x"],"maxLength":3}}}`, `{"type":"object","properties":{"a":{"type":"string","enum":["x"],"maxLength":3}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var in, want any
			s := mustSchema(t, tc.in)
			got, _ := json.Marshal(toV2(s))
			_ = json.Unmarshal(got, &in)
			_ = json.Unmarshal([]byte(tc.want), &want)
			if !reflect.DeepEqual(in, want) {
				t.Errorf("toV2(%s) = %s, want %s", tc.in, got, tc.want)
			}
			if again, _ := json.Marshal(s); !jsonEqual(t, again, []byte(tc.in)) {
				t.Errorf("toV2 changed its input to %s", again)
			}
		})
	}
}

// TestCustomDefinitionsAsKube: a kind whose root keeps unknown fields is
// published in v2 as just an object, and the selectable fields mark the
// kind and its list in both formats (recorded from kube-apiserver 1.31).
func TestCustomDefinitionsAsKube(t *testing.T) {
	fields := []any{map[string]any{"fieldPath": "spec.color"}}
	kind := &spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"object"},
		Properties: map[string]spec.Schema{"spec": {SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"object"}}}}},
		VendorExtensible: spec.VendorExtensible{Extensions: spec.Extensions{extPreserveUnknownFields: true, ExtSelectableFields: fields}}}
	gv := schema.GroupVersion{Group: "v2test.example.com", Version: "v1"}
	r, err := Resource{Kind: "Baz", Plural: "bazs", Schema: kind}.normalize(gv)
	if err != nil {
		t.Fatal(err)
	}
	defs := customDefinitions(gv, r)
	obj, list := defs["com.example.v2test.v1.Baz"], defs["com.example.v2test.v1.BazList"]
	if obj == nil || list == nil {
		t.Fatalf("definitions = %v", slices.Collect(maps.Keys(defs)))
	}
	want := spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"object"}}}
	want.AddExtension(ExtSelectableFields, fields)
	if !reflect.DeepEqual(obj.v2, want) {
		t.Errorf("v2 kind = %+v, want only type object and the selectable fields", obj.v2)
	}
	for name, s := range map[string]spec.Schema{"v3 kind": obj.v3, "v2 list": list.v2, "v3 list": list.v3} {
		if !reflect.DeepEqual(s.Extensions[ExtSelectableFields], fields) {
			t.Errorf("%s selectable fields = %v", name, s.Extensions[ExtSelectableFields])
		}
	}
}
