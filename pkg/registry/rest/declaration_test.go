package rest

import (
	"context"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// createOnly is a virtual resource, as an access review is.
type createOnly struct{}

func (createOnly) New() runtime.Object { return &corev1.ConfigMap{} }
func (createOnly) Create(context.Context, string, runtime.Object, bool) (runtime.Object, error) {
	return nil, nil
}

// getUpdate is a subresource such as scale.
type getUpdate struct{ createOnly }

func (getUpdate) Get(context.Context, string, string, *metav1.GetOptions) (runtime.Object, error) {
	return nil, nil
}
func (getUpdate) Update(context.Context, string, string, UpdateFunc, bool, bool) (runtime.Object, bool, error) {
	return nil, false, nil
}

type unstructuredStorage struct{}

func (unstructuredStorage) New() runtime.Object { return &unstructured.Unstructured{} }

func TestVerbsOf(t *testing.T) {
	tests := []struct {
		name    string
		storage Storage
		want    []string
	}{
		{"none", unstructuredStorage{}, nil},
		{"create only", createOnly{}, []string{"create"}},
		{"get and update give patch", getUpdate{}, []string{"create", "get", "patch", "update"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerbsOf(tc.storage); !slices.Equal(got, tc.want) {
				t.Errorf("VerbsOf = %v, want %v", got, tc.want)
			}
		})
	}
}

func resource(name string, s Storage, verbs ...string) Resource {
	return Resource{Info: ResourceInfo{
		GroupVersionResource: corev1.SchemeGroupVersion.WithResource(name),
		Kind:                 "Thing", ListKind: "ThingList", Verbs: verbs,
	}, Storage: s}
}

func TestGroupVersionValidate(t *testing.T) {
	gv := corev1.SchemeGroupVersion
	tests := []struct {
		name      string
		resources []Resource
		wantErr   string
	}{
		{"valid", []Resource{resource("things", getUpdate{})}, ""},
		{"narrowed verbs", []Resource{resource("things", getUpdate{}, "get")}, ""},
		{"no kind", []Resource{{Info: ResourceInfo{GroupVersionResource: gv.WithResource("things")}, Storage: createOnly{}}}, "needs a name and a kind"},
		{"no storage", []Resource{resource("things", nil)}, "no storage"},
		{"twice", []Resource{resource("things", createOnly{}), resource("things", createOnly{})}, "declared twice"},
		{"verb not implemented", []Resource{resource("things", createOnly{}, "get")}, "verb get is declared but the storage does not implement it"},
		{"subresource without storage", []Resource{func() Resource {
			r := resource("things", createOnly{})
			r.Subresources = []Subresource{{Name: "status"}}
			return r
		}()}, "a subresource needs a name and a storage"},
		{"subresource verb not implemented", []Resource{func() Resource {
			r := resource("things", createOnly{})
			r.Subresources = []Subresource{{Name: "scale", Storage: createOnly{}, Verbs: []string{"update"}}}
			return r
		}()}, "things/scale: verb update is declared"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			decl := GroupVersion{GroupVersion: gv, Resources: tc.resources}
			err := decl.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	wrong := GroupVersion{GroupVersion: gv, Resources: []Resource{resource("things", createOnly{})}}
	wrong.Resources[0].Info.Group = "example.com"
	if err := wrong.Validate(); err == nil || !strings.Contains(err.Error(), "declared in example.com/v1") {
		t.Errorf("a resource of another group version: Validate = %v", err)
	}
}

func TestResourceHelpers(t *testing.T) {
	r := resource("things", getUpdate{})
	r.Subresources = []Subresource{
		{Name: "status", Storage: getUpdate{}, Verbs: []string{"get", "update"}},
		{Name: "scale", Storage: getUpdate{}, Kind: corev1.SchemeGroupVersion.WithKind("Scale")},
	}
	if got := r.ServedVerbs(); !slices.Equal(got, []string{"create", "get", "patch", "update"}) {
		t.Errorf("ServedVerbs = %v", got)
	}
	status, ok := r.Subresource("status")
	if !ok || !slices.Equal(status.ServedVerbs(), []string{"get", "update"}) || r.KindOf(status).Kind != "Thing" {
		t.Errorf("status: %v %v %v", ok, status.ServedVerbs(), r.KindOf(status))
	}
	scale, _ := r.Subresource("scale")
	if r.KindOf(scale).Kind != "Scale" {
		t.Errorf("scale kind = %v", r.KindOf(scale))
	}
	if _, ok := r.Subresource("finalize"); ok {
		t.Error("finalize found though not declared")
	}
	if !r.Typed() {
		t.Error("a Go type is not Typed")
	}
	if u := resource("things", unstructuredStorage{}); u.Typed() {
		t.Error("unstructured objects are Typed")
	}
}

func TestCatalog(t *testing.T) {
	c := NewCatalog()
	core := GroupVersion{GroupVersion: corev1.SchemeGroupVersion, Resources: []Resource{
		resource("namespaces", createOnly{}), resource("things", createOnly{}),
	}}
	core.Resources[1].Info.Namespaced = true
	custom := func(version string) GroupVersion {
		r := resource("widgets", unstructuredStorage{})
		r.Info.Group, r.Info.Version, r.Info.Namespaced = "example.com", version, true
		return GroupVersion{GroupVersion: r.Info.GroupVersion(), Resources: []Resource{r}}
	}
	c.Set(core, true)
	c.Set(custom("v1"), false)
	c.Set(custom("v2"), false)
	if !c.BuiltinGroup("") || c.BuiltinGroup("example.com") {
		t.Errorf("BuiltinGroup: core %v, example.com %v", c.BuiltinGroup(""), c.BuiltinGroup("example.com"))
	}
	names := func() []string {
		var out []string
		for _, r := range c.Namespaced() {
			out = append(out, r.Info.GroupVersionResource.String())
		}
		return out
	}
	// One entry per group resource: the versions of a custom resource share
	// its objects.
	if got, want := names(), []string{"/v1, Resource=things", "example.com/v1, Resource=widgets"}; !slices.Equal(got, want) {
		t.Errorf("Namespaced = %v, want %v", got, want)
	}
	c.Remove(custom("v1").GroupVersion)
	if got, want := names(), []string{"/v1, Resource=things", "example.com/v2, Resource=widgets"}; !slices.Equal(got, want) {
		t.Errorf("after removing v1, Namespaced = %v, want %v", got, want)
	}
}

// TestCatalogResourceOf: ownerReferences name kinds; the catalog maps them
// to resources, in any served version of the group, and tells followers of
// every change.
func TestCatalogResourceOf(t *testing.T) {
	c := NewCatalog()
	changed := c.Changed()
	core := GroupVersion{GroupVersion: corev1.SchemeGroupVersion, Resources: []Resource{resource("namespaces", createOnly{})}}
	c.Set(core, true)
	select {
	case <-changed:
	default:
		t.Fatal("Set did not close the Changed channel")
	}
	w := resource("widgets", unstructuredStorage{})
	w.Info.Group, w.Info.Version, w.Info.Kind = "example.com", "v2", "Widget"
	c.Set(GroupVersion{GroupVersion: w.Info.GroupVersion(), Resources: []Resource{w}}, false)
	tests := []struct {
		gvk  schema.GroupVersionKind
		want string
		ok   bool
	}{
		{corev1.SchemeGroupVersion.WithKind(core.Resources[0].Info.Kind), "namespaces", true},
		{schema.GroupVersionKind{Group: "example.com", Version: "v2", Kind: "Widget"}, "widgets", true},
		{schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}, "widgets", true},
		{schema.GroupVersionKind{Group: "example.com", Version: "v2", Kind: "Gadget"}, "", false},
		{schema.GroupVersionKind{Group: "other.com", Version: "v2", Kind: "Widget"}, "", false},
	}
	for _, tt := range tests {
		r, ok := c.ResourceOf(tt.gvk)
		if ok != tt.ok || r.Info.Resource != tt.want {
			t.Errorf("ResourceOf(%v) = %q, %v; want %q, %v", tt.gvk, r.Info.Resource, ok, tt.want, tt.ok)
		}
	}
	if r, ok := c.Resource(schema.GroupResource{Group: "example.com", Resource: "widgets"}); !ok || r.Info.Kind != "Widget" {
		t.Errorf("Resource(widgets.example.com) = %v, %v", r.Info, ok)
	}
	if _, ok := c.Resource(schema.GroupResource{Resource: "widgets"}); ok {
		t.Error("Resource found widgets in the core group")
	}
	if got := len(c.Resources()); got != 2 {
		t.Errorf("Resources() has %d entries, want 2", got)
	}
	changed = c.Changed()
	c.Remove(w.Info.GroupVersion())
	select {
	case <-changed:
	default:
		t.Fatal("Remove did not close the Changed channel")
	}
}

// TestSpecStatusStrategy: status cleared and generation 1 on create, the
// stored status kept on update, the spec kept through /status, and only
// a spec change bumps the generation.
func TestSpecStatusStrategy(t *testing.T) {
	replicas := func(n int32) *int32 { return &n }
	d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: replicas(1)}, Status: appsv1.DeploymentStatus{Replicas: 3}}
	SpecStatusStrategy{}.PrepareForCreate(context.Background(), d)
	if d.Status.Replicas != 0 || d.Generation != 1 {
		t.Errorf("after create: status %+v, generation %d", d.Status, d.Generation)
	}
	old := d.DeepCopy()
	old.Status.Replicas = 2
	next := d.DeepCopy()
	next.Status.Replicas = 9
	next.Labels = map[string]string{"a": "b"}
	SpecStatusStrategy{}.PrepareForUpdate(context.Background(), next, old)
	if next.Status.Replicas != 2 || (SpecStatusStrategy{}).SpecChanged(next, old) {
		t.Errorf("after update: status %+v, spec changed %v", next.Status, (SpecStatusStrategy{}).SpecChanged(next, old))
	}
	next.Spec.Replicas = replicas(5)
	if !(SpecStatusStrategy{}).SpecChanged(next, old) {
		t.Error("a new spec does not bump the generation")
	}
	status := old.DeepCopy()
	status.Spec.Replicas, status.Status.Replicas = replicas(7), 4
	StatusStrategy{}.PrepareForUpdate(context.Background(), status, old)
	if *status.Spec.Replicas != 1 || status.Status.Replicas != 4 {
		t.Errorf("through /status: spec %d, status %d", *status.Spec.Replicas, status.Status.Replicas)
	}
}
