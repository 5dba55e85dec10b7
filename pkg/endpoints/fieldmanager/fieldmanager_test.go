package fieldmanager

import (
	"maps"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/apiserver/apiserver/pkg/openapi"
)

var configMapKind = corev1.SchemeGroupVersion.WithKind("ConfigMap")

// coreModels are the models SetGroupVersion feeds the converter of core/v1
// ConfigMaps.
func coreModels(t testing.TB) map[string]*spec.Schema {
	t.Helper()
	models, err := openapi.Models(corev1.SchemeGroupVersion, []openapi.Resource{{
		Kind: "ConfigMap", Plural: "configmaps", Namespaced: true, Definition: "io.k8s.api.core.v1.ConfigMap",
	}})
	if err != nil {
		t.Fatal(err)
	}
	return models
}

func configMap(data map[string]string, labels map[string]string) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "default", Labels: labels},
		Data:       data,
	}
	return cm
}

// TestGoTypedConverterRecordsAsValidating: skipping validation of Go-typed
// objects changes no managedFields entry: the same writes through a field
// manager built on each converter record the same fields.
func TestGoTypedConverterRecordsAsValidating(t *testing.T) {
	models := coreModels(t)
	validating, err := managedfields.NewTypeConverter(models, false)
	if err != nil {
		t.Fatal(err)
	}
	fast := TypeConverter(models, false)
	if _, ok := fast.(*goTypedConverter); !ok {
		t.Fatalf("TypeConverter(models) = %T, want *goTypedConverter", fast)
	}
	newFM := func(tc managedfields.TypeConverter) *managedfields.FieldManager {
		fm, err := New(tc, Config{Kind: configMapKind, New: func() runtime.Object { return &corev1.ConfigMap{} }})
		if err != nil {
			t.Fatal(err)
		}
		return fm
	}
	steps := []struct {
		manager string
		obj     *corev1.ConfigMap
	}{
		{"kubectl-create", configMap(map[string]string{"a": "1"}, nil)},
		{"kubectl-edit", configMap(map[string]string{"a": "2", "b": "1"}, map[string]string{"app": "x"})},
		{"controller", configMap(map[string]string{"a": "2", "b": "2"}, map[string]string{"app": "x", "tier": "y"})},
		{"kubectl-edit", configMap(nil, map[string]string{"tier": "y"})},
	}
	var want, got runtime.Object = configMap(nil, nil), configMap(nil, nil)
	wantFM, gotFM := newFM(validating), newFM(fast)
	for i, s := range steps {
		now := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC))
		next := func(live runtime.Object) runtime.Object {
			obj := s.obj.DeepCopy()
			if m, err := meta.Accessor(live); err == nil {
				obj.ManagedFields = m.GetManagedFields()
			}
			return obj
		}
		want = wantFM.UpdateNoErrors(want, next(want), s.manager)
		got = gotFM.UpdateNoErrors(got, next(got), s.manager)
		for _, obj := range []runtime.Object{want, got} {
			m, _ := meta.Accessor(obj)
			fields := m.GetManagedFields()
			for j := range fields {
				fields[j].Time = &now
			}
		}
		wm, _ := meta.Accessor(want)
		gm, _ := meta.Accessor(got)
		if len(gm.GetManagedFields()) == 0 {
			t.Fatalf("step %d: no managedFields recorded", i)
		}
		if !equality.Semantic.DeepEqual(wm.GetManagedFields(), gm.GetManagedFields()) {
			t.Fatalf("step %d: managedFields differ:\nvalidating: %+v\ngo-typed:   %+v", i, wm.GetManagedFields(), gm.GetManagedFields())
		}
	}
}

// TestGoTypedConverterValidatesUnstructured: what may hold anything (apply
// patches, custom resources) is still checked against the schema.
func TestGoTypedConverterValidatesUnstructured(t *testing.T) {
	tc := TypeConverter(coreModels(t), false)
	tests := []struct {
		name    string
		obj     runtime.Object
		wantErr string
	}{
		{name: "typed", obj: configMap(map[string]string{"a": "1"}, nil)},
		{name: "typed again, from the remembered type", obj: configMap(map[string]string{"b": "1"}, nil)},
		{name: "unstructured", obj: &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"a": "1"},
		}}},
		{name: "unstructured of the wrong type", obj: &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap", "data": int64(5),
		}}, wantErr: "expected map"},
		{name: "unknown kind", obj: &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}}, wantErr: "no corresponding type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tv, err := tc.ObjectToTyped(tt.obj)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ObjectToTyped = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			obj, err := tc.TypedToObject(tv)
			if err != nil {
				t.Fatal(err)
			}
			if gvk := obj.GetObjectKind().GroupVersionKind(); gvk != configMapKind {
				t.Errorf("round trip kind = %v", gvk)
			}
		})
	}
}

func TestManager(t *testing.T) {
	tests := []struct {
		fieldManager, userAgent, want string
	}{
		{"mine", "kubectl/v1.31.0 (linux/amd64)", "mine"},
		{"", "kubectl-edit/v1.31.0 (linux/amd64) kubernetes/abc", "kubectl-edit"},
		{"", "curl/8.5.0", "curl"},
		{"", "", ""},
		{"", "a\x00b\tc/1", "abc"},
		{"", strings.Repeat("é", 100), strings.Repeat("é", MaxManagerLength/2)},
	}
	for _, tt := range tests {
		if got := Manager(tt.fieldManager, tt.userAgent); got != tt.want {
			t.Errorf("Manager(%q, %q) = %q, want %q", tt.fieldManager, tt.userAgent, got, tt.want)
		}
	}
}

// BenchmarkUpdate records one write of a ConfigMap through each converter.
func BenchmarkUpdate(b *testing.B) {
	models := coreModels(b)
	validating, err := managedfields.NewTypeConverter(models, false)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		tc   managedfields.TypeConverter
	}{{"validating", validating}, {"go-typed", TypeConverter(models, false)}} {
		b.Run(c.name, func(b *testing.B) {
			fm, err := New(c.tc, Config{Kind: configMapKind, New: func() runtime.Object { return &corev1.ConfigMap{} }})
			if err != nil {
				b.Fatal(err)
			}
			live := fm.UpdateNoErrors(configMap(nil, nil), configMap(map[string]string{"value": strings.Repeat("x", 256)}, map[string]string{"app": "bench"}), "bench")
			for b.Loop() {
				next := configMap(map[string]string{"value": strings.Repeat("y", 256)}, map[string]string{"app": "bench"})
				m, _ := meta.Accessor(live)
				next.ManagedFields = m.GetManagedFields()
				fm.UpdateNoErrors(live, next, "bench")
			}
		})
	}
}

// TestApplyAcrossVersions: a manager that applied through one version of a
// custom resource and applies again through another gives up the fields
// it no longer applies, as kube-apiserver converts the fields a manager
// recorded to the version of the request.
func TestApplyAcrossVersions(t *testing.T) {
	gvs := []schema.GroupVersion{{Group: "multi.example.com", Version: "v1"}, {Group: "multi.example.com", Version: "v2"}}
	models := map[string]*spec.Schema{}
	for _, gv := range gvs {
		m, err := openapi.Models(gv, []openapi.Resource{{Kind: "Gadget", Plural: "gadgets", Schema: &spec.Schema{SchemaProps: spec.SchemaProps{
			Type: []string{"object"},
			Properties: map[string]spec.Schema{"spec": {SchemaProps: spec.SchemaProps{Type: []string{"object"},
				AdditionalProperties: &spec.SchemaOrBool{Allows: true, Schema: &spec.Schema{SchemaProps: spec.SchemaProps{Type: []string{"string"}}}}}}},
		}}}})
		if err != nil {
			t.Fatal(err)
		}
		maps.Copy(models, m)
	}
	relabel := func(obj *unstructured.Unstructured, apiVersion string) (*unstructured.Unstructured, error) {
		out := obj.DeepCopy()
		out.SetAPIVersion(apiVersion)
		return out, nil
	}
	tc := TypeConverter(models, false)
	managers := map[string]*managedfields.FieldManager{}
	for _, gv := range gvs {
		for _, convert := range []func(*unstructured.Unstructured, string) (*unstructured.Unstructured, error){nil, relabel} {
			fm, err := New(tc, Config{Kind: gv.WithKind("Gadget"), New: func() runtime.Object { return &unstructured.Unstructured{} }, Convert: convert})
			if err != nil {
				t.Fatal(err)
			}
			managers[gv.Version+map[bool]string{true: "+convert", false: ""}[convert != nil]] = fm
		}
	}
	gadget := func(apiVersion string, spec map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": "Gadget",
			"metadata": map[string]any{"name": "g"}, "spec": spec}}
	}
	empty := gadget("multi.example.com/v1", nil)
	delete(empty.Object, "spec")
	live, err := managers["v1+convert"].Apply(empty, gadget("multi.example.com/v1", map[string]any{"a": "1", "b": "2"}), "tester", false)
	if err != nil {
		t.Fatal(err)
	}
	// Without a conversion, v2's manager cannot read what was recorded in v1.
	if _, err := managers["v2"].Apply(live, gadget("multi.example.com/v2", map[string]any{"a": "1"}), "tester", false); err == nil {
		t.Error("applying through v2 without a conversion succeeded")
	}
	out, err := managers["v2+convert"].Apply(live, gadget("multi.example.com/v2", map[string]any{"a": "1"}), "tester", false)
	if err != nil {
		t.Fatal(err)
	}
	u := out.(*unstructured.Unstructured)
	if spec, _, _ := unstructured.NestedMap(u.Object, "spec"); len(spec) != 1 || spec["a"] != "1" {
		t.Errorf("spec after the second apply = %v, want only a", spec)
	}
	entries := u.GetManagedFields()
	if len(entries) != 1 || entries[0].APIVersion != "multi.example.com/v2" {
		t.Errorf("managedFields = %+v, want one entry of v2", entries)
	}
}
