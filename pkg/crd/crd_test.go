package crd

import (
	"context"
	"slices"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/endpoints/discovery"
	"github.com/apiserver/apiserver/pkg/endpoints/installer"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

func widgetDefinition() *apiextensionsv1.CustomResourceDefinition {
	preserve := true
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: &preserve,
				}},
				Subresources: &apiextensionsv1.CustomResourceSubresources{
					Status: &apiextensionsv1.CustomResourceSubresourceStatus{},
					Scale:  &apiextensionsv1.CustomResourceSubresourceScale{SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas"},
				},
			}},
		},
	}
}

func newServer(t *testing.T) *Server {
	t.Helper()
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	return &Server{backend: backend, catalog: rest.NewCatalog()}
}

// A version's declaration: its storage, status and scale subresources and
// schema, all from the definition.
func TestVersionResource(t *testing.T) {
	srv := newServer(t)
	crd := widgetDefinition()
	res, err := srv.versionResource(crd, &crd.Spec.Versions[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Info.Kind != "Widget" || !res.Info.Namespaced || res.OpenAPISchema == nil || res.Prune == nil {
		t.Errorf("declaration = %+v", res.Info)
	}
	if res.Typed() {
		t.Error("custom resources are unstructured")
	}
	var subs []string
	for _, s := range res.Subresources {
		subs = append(subs, s.Name)
	}
	if !slices.Equal(subs, []string{"status", "scale"}) {
		t.Errorf("subresources = %v", subs)
	}
	scale, _ := res.Subresource("scale")
	if res.KindOf(scale) != autoscalingv1.SchemeGroupVersion.WithKind("Scale") ||
		!slices.Equal(scale.ServedVerbs(), []string{"get", "patch", "update"}) {
		t.Errorf("scale: %v %v", res.KindOf(scale), scale.ServedVerbs())
	}
	gv := rest.GroupVersion{GroupVersion: res.Info.GroupVersion(), Resources: []rest.Resource{res}}
	if err := gv.Validate(); err != nil {
		t.Errorf("the declaration is invalid: %v", err)
	}
}

// The scale subresource reads and writes the replicas of the object, with
// dryRun and resourceVersion conflicts.
func TestScaleStorage(t *testing.T) {
	srv := newServer(t)
	crd := widgetDefinition()
	res, err := srv.versionResource(crd, &crd.Spec.Versions[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	w := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w", "namespace": "ns"},
		"spec":     map[string]any{"replicas": int64(2)},
	}}
	if _, err := res.Storage.(rest.Creater).Create(ctx, "ns", w, false); err != nil {
		t.Fatal(err)
	}
	sub, _ := res.Subresource("scale")
	scale := sub.Storage.(interface {
		rest.Getter
		rest.Updater
	})
	got, err := scale.Get(ctx, "ns", "w", &metav1.GetOptions{})
	if err != nil || got.(*autoscalingv1.Scale).Spec.Replicas != 2 {
		t.Fatalf("scale = %+v, %v", got, err)
	}
	to := func(n int32, rv string) rest.UpdateFunc {
		return func(_ context.Context, current runtime.Object) (runtime.Object, error) {
			s := current.(*autoscalingv1.Scale).DeepCopy()
			s.Spec.Replicas, s.ResourceVersion = n, rv
			return s, nil
		}
	}
	dry, _, err := scale.Update(ctx, "ns", "w", to(5, ""), true, false)
	if err != nil || dry.(*autoscalingv1.Scale).Spec.Replicas != 5 {
		t.Fatalf("dry run = %+v, %v", dry, err)
	}
	if got, _ := scale.Get(ctx, "ns", "w", &metav1.GetOptions{}); got.(*autoscalingv1.Scale).Spec.Replicas != 2 {
		t.Errorf("a dry run wrote %d replicas", got.(*autoscalingv1.Scale).Spec.Replicas)
	}
	if _, _, err := scale.Update(ctx, "ns", "w", to(5, "1"), false, false); !apierrors.IsConflict(err) {
		t.Errorf("stale resourceVersion = %v, want Conflict", err)
	}
	if _, _, err := scale.Update(ctx, "ns", "w", to(7, ""), false, false); err != nil {
		t.Fatal(err)
	}
	obj, _ := res.Storage.(rest.Getter).Get(ctx, "ns", "w", &metav1.GetOptions{})
	if n, _, _ := unstructured.NestedInt64(obj.(*unstructured.Unstructured).Object, "spec", "replicas"); n != 7 {
		t.Errorf("spec.replicas = %d, want 7", n)
	}
	if _, _, err := scale.Update(ctx, "ns", "missing", to(1, ""), false, false); !apierrors.IsNotFound(err) {
		t.Errorf("scale of a missing object = %v", err)
	}
}

// Definitions in a built-in group are never served, whichever group that is.
func TestReservedGroupsFollowTheCatalog(t *testing.T) {
	srv := newServer(t)
	crd := widgetDefinition()
	if srv.reserved(crd) {
		t.Error("example.com reserved before anything declares it")
	}
	srv.catalog.Set(rest.GroupVersion{GroupVersion: schema.GroupVersion{Group: "example.com", Version: "v1"}}, false)
	if srv.reserved(crd) {
		t.Error("a group served by custom resources is reserved")
	}
	crd.Spec.Group = "coordination.k8s.io"
	if srv.reserved(crd) {
		t.Error("coordination.k8s.io reserved though no built-in declares it")
	}
	srv.catalog.Set(rest.GroupVersion{GroupVersion: schema.GroupVersion{Group: "coordination.k8s.io", Version: "v1"}}, true)
	if !srv.reserved(crd) {
		t.Error("a built-in group is not reserved")
	}
}

// A replica that handles a stale event of a definition (paused while
// another replica established it and clients wrote objects) decides on a
// fresh read and keeps the objects (issue 10).
func TestStaleEventKeepsObjects(t *testing.T) {
	srv := newServer(t)
	ctx := t.Context()
	var err error
	if srv.definitions, err = generic.NewStore(srv.backend, definitionType(), nil, ""); err != nil {
		t.Fatal(err)
	}
	st := definitionType()
	st.Strategy = definitionStatusStrategy{}
	if srv.status, err = generic.NewStore(srv.backend, st, nil, "status"); err != nil {
		t.Fatal(err)
	}
	srv.router = installer.NewRouter(installer.Config{Discovery: discovery.NewRegistry(), Catalog: srv.catalog}, nil)
	srv.served, srv.known = map[string]*served{}, map[string]*apiextensionsv1.CustomResourceDefinition{}

	created, err := srv.definitions.Create(ctx, "", widgetDefinition(), false)
	if err != nil {
		t.Fatal(err)
	}
	stale := created.(*apiextensionsv1.CustomResourceDefinition).DeepCopy()
	// The first sync accepts the names and establishes; the second serves.
	for range 2 {
		if err := srv.sync(ctx, stale.Name); err != nil {
			t.Fatal(err)
		}
	}
	fresh, err := srv.definitions.Get(ctx, "", stale.Name, &metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.versionResource(fresh.(*apiextensionsv1.CustomResourceDefinition), &fresh.(*apiextensionsv1.CustomResourceDefinition).Spec.Versions[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		w := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": name, "namespace": "ns"},
		}}
		if _, err := res.Storage.(rest.Creater).Create(ctx, "ns", w, false); err != nil {
			t.Fatal(err)
		}
	}
	// The paused replica's event: the definition before establishment.
	if err := srv.sync(ctx, stale.Name); err != nil {
		t.Fatal(err)
	}
	list, err := res.Storage.(rest.Lister).List(ctx, "ns", &metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.(*unstructured.UnstructuredList).Items); n != 2 {
		t.Errorf("%d widgets left after a stale event, want 2", n)
	}
}
