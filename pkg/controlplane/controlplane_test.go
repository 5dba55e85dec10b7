package controlplane

import (
	"net/http"
	"strings"
	"testing"

	"github.com/apiserver/apiserver/pkg/auth/authz"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/endpoints/installer"
	"github.com/apiserver/apiserver/pkg/registry/core/namespace"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/review"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// Every built-in type is declared once, and the group versions they make
// are valid declarations.
func TestBuiltinTypes(t *testing.T) {
	seen := map[string]bool{}
	var gvs []rest.GroupVersion
	for _, ty := range BuiltinTypes() {
		key := ty.Info.GroupVersionResource.String()
		if seen[key] {
			t.Errorf("%s declared twice", key)
		}
		seen[key] = true
		gvs = addResource(gvs, rest.Resource{Info: ty.Info, Storage: &generic.Store{Type: ty}})
	}
	for _, want := range []string{"/v1, Resource=namespaces", "/v1, Resource=configmaps", "coordination.k8s.io/v1, Resource=leases",
		"rbac.authorization.k8s.io/v1, Resource=roles", "rbac.authorization.k8s.io/v1, Resource=clusterrolebindings",
		"/v1, Resource=serviceaccounts", "scheduling.k8s.io/v1, Resource=priorityclasses", "node.k8s.io/v1, Resource=runtimeclasses",
		"networking.k8s.io/v1, Resource=ingressclasses", "/v1, Resource=services", "/v1, Resource=endpoints",
		"discovery.k8s.io/v1, Resource=endpointslices", "apps/v1, Resource=deployments", "apps/v1, Resource=replicasets", "batch/v1, Resource=jobs", "batch/v1, Resource=cronjobs", "networking.k8s.io/v1, Resource=ingresses", "networking.k8s.io/v1, Resource=networkpolicies", "events.k8s.io/v1, Resource=events", "/v1, Resource=resourcequotas", "/v1, Resource=podtemplates", "apps/v1, Resource=statefulsets", "apps/v1, Resource=daemonsets", "apps/v1, Resource=controllerrevisions", "policy/v1, Resource=poddisruptionbudgets", "storage.k8s.io/v1, Resource=storageclasses", "storage.k8s.io/v1, Resource=csidrivers", "certificates.k8s.io/v1, Resource=certificatesigningrequests", "/v1, Resource=nodes", "/v1, Resource=replicationcontrollers", "/v1, Resource=componentstatuses", "/v1, Resource=limitranges", "storage.k8s.io/v1, Resource=volumeattachments", "storage.k8s.io/v1, Resource=csinodes", "storage.k8s.io/v1, Resource=csistoragecapacities", "/v1, Resource=persistentvolumes", "/v1, Resource=persistentvolumeclaims", "autoscaling/v2, Resource=horizontalpodautoscalers", "/v1, Resource=pods",
		"flowcontrol.apiserver.k8s.io/v1, Resource=flowschemas", "flowcontrol.apiserver.k8s.io/v1, Resource=prioritylevelconfigurations",
		"apiregistration.k8s.io/v1, Resource=apiservices",
		"admissionregistration.k8s.io/v1, Resource=mutatingwebhookconfigurations", "admissionregistration.k8s.io/v1, Resource=validatingwebhookconfigurations",
		"admissionregistration.k8s.io/v1, Resource=validatingadmissionpolicies", "admissionregistration.k8s.io/v1, Resource=validatingadmissionpolicybindings"} {
		if !seen[want] {
			t.Errorf("%s is not declared", want)
		}
	}
	groups := make([]string, len(gvs))
	for i, gv := range gvs {
		groups[i] = gv.Group
	}
	if strings.Join(groups, ",") != ",apiregistration.k8s.io,admissionregistration.k8s.io,apps,batch,autoscaling,networking.k8s.io,policy,storage.k8s.io,certificates.k8s.io,flowcontrol.apiserver.k8s.io,coordination.k8s.io,rbac.authorization.k8s.io,scheduling.k8s.io,node.k8s.io,discovery.k8s.io,events.k8s.io" {
		t.Errorf("group versions = %v", gvs)
	}
	for _, gv := range gvs {
		if err := gv.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func newBackend(t *testing.T) *etcd3.Backend {
	t.Helper()
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	return backend
}

// The admission chain reads namespaces from etcd: new content in a missing
// or terminating namespace is refused, with NamespaceLifecycle's errors.
func TestNewAdmission(t *testing.T) {
	backend := newBackend(t)
	chain, err := NewAdmission(backend, authz.AlwaysAllow{}, nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	namespaces, err := generic.NewStore(backend, namespace.Type(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, ns := range []*corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "live"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "ending", Finalizers: []string{"example.com/hold"}}},
	} {
		if _, err := namespaces.Create(ctx, "", ns, false); err != nil {
			t.Fatal(err)
		}
	}
	// Held by its finalizer, the namespace is only marked for deletion.
	if _, _, err := namespaces.Delete(ctx, "", "ending", &metav1.DeleteOptions{}, false); err != nil {
		t.Fatal(err)
	}
	cms := corev1.SchemeGroupVersion.WithResource("configmaps")
	for _, tc := range []struct {
		ns   string
		code int32
	}{{"live", 0}, {"missing", http.StatusNotFound}, {"ending", http.StatusForbidden}} {
		err := chain.Admit(ctx, &admission.Attributes{Operation: admission.Create, Resource: cms, Namespace: tc.ns, Name: "x"})
		var code int32
		if status, ok := err.(apierrors.APIStatus); ok {
			code = status.Status().Code
		} else if err != nil {
			t.Fatalf("%s: %v", tc.ns, err)
		}
		if code != tc.code {
			t.Errorf("create in %s: %v, want code %d", tc.ns, err, tc.code)
		}
	}
}

// Deleting a namespace's content walks every namespaced resource in the
// catalog, custom resources and types added later included.
func TestDeleteContentWalksTheCatalog(t *testing.T) {
	backend := newBackend(t)
	ctx := t.Context()
	api := &CoreAPI{Catalog: rest.NewCatalog()}
	var gvs []rest.GroupVersion
	stores := map[string]*generic.Store{}
	for _, ty := range BuiltinTypes() {
		store, err := generic.NewStore(backend, ty, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		stores[ty.Info.Resource] = store
		gvs = addResource(gvs, store.Declaration())
	}
	for _, gv := range gvs {
		api.Catalog.Set(gv, true)
	}
	create := func(resource string, obj runtime.Object) {
		t.Helper()
		if _, err := stores[resource].Create(ctx, "doomed", obj, false); err != nil {
			t.Fatal(err)
		}
	}
	create("configmaps", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "a"}})
	create("secrets", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "b"}})
	create("configmaps", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "held", Finalizers: []string{"example.com/hold"}}})
	if _, err := stores["configmaps"].Create(ctx, "other", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kept"}}, false); err != nil {
		t.Fatal(err)
	}
	empty, err := api.deleteContent(ctx, "doomed")
	if err != nil {
		t.Fatal(err)
	}
	if empty {
		t.Error("reported empty while a finalizer holds an object")
	}
	if _, err := stores["secrets"].Get(ctx, "doomed", "b", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("secret left: %v", err)
	}
	held, err := stores["configmaps"].Get(ctx, "doomed", "held", &metav1.GetOptions{})
	if err != nil || held.(*corev1.ConfigMap).DeletionTimestamp == nil {
		t.Errorf("held configmap = %v, %v; want it marked for deletion", held, err)
	}
	if _, err := stores["configmaps"].Get(ctx, "other", "kept", &metav1.GetOptions{}); err != nil {
		t.Errorf("another namespace lost its content: %v", err)
	}
}

// A namespace finalization started from an old event (the namespace was
// deleted and created again meanwhile, through another replica) leaves the
// new namespace and its content alone (issue 10).
func TestFinalizeStaleNamespaceKeepsContent(t *testing.T) {
	backend := newBackend(t)
	ctx := t.Context()
	api := &CoreAPI{Catalog: rest.NewCatalog()}
	decl, err := api.namespaceResource(backend, nil)
	if err != nil {
		t.Fatal(err)
	}
	gvs := []rest.GroupVersion{{GroupVersion: corev1.SchemeGroupVersion, Resources: []rest.Resource{decl}}}
	configmaps, err := generic.NewStore(backend, BuiltinTypes()[1], nil, "")
	if err != nil {
		t.Fatal(err)
	}
	gvs = addResource(gvs, configmaps.Declaration())
	api.Catalog.Set(gvs[0], true)
	if _, err := api.Namespaces.Create(ctx, "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "reborn"}}, false); err != nil {
		t.Fatal(err)
	}
	// Deleted and created again: a new namespace, with content.
	if _, _, err := api.Namespaces.Delete(ctx, "", "reborn", &metav1.DeleteOptions{}, false); err != nil {
		t.Fatal(err)
	}
	if err := api.finalizeNamespace(ctx, "reborn"); err != nil { // finishes the old one
		t.Fatal(err)
	}
	if _, err := api.Namespaces.Get(ctx, "", "reborn", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the finalized namespace is still there: %v", err)
	}
	if _, err := api.Namespaces.Create(ctx, "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "reborn"}}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := configmaps.Create(ctx, "reborn", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keep"}}, false); err != nil {
		t.Fatal(err)
	}
	// The paused replica handles the old namespace's deletion event now.
	if err := api.finalizeNamespace(ctx, "reborn"); err != nil {
		t.Fatal(err)
	}
	if _, err := configmaps.Get(ctx, "reborn", "keep", &metav1.GetOptions{}); err != nil {
		t.Errorf("the new namespace lost its content: %v", err)
	}
	ns, err := api.Namespaces.Get(ctx, "", "reborn", &metav1.GetOptions{})
	if err != nil || ns.(*corev1.Namespace).DeletionTimestamp != nil || len(ns.(*corev1.Namespace).Spec.Finalizers) == 0 {
		t.Errorf("the new namespace = %+v, %v", ns, err)
	}
}

// Built-in group versions are described and typed on first use, not at
// start: each must describe and type, every resource and subresource.
func TestBuiltinGroupsType(t *testing.T) {
	backend := newBackend(t)
	var gvs []rest.GroupVersion
	for _, ty := range BuiltinTypes() {
		gvs = addResource(gvs, rest.Resource{Info: ty.Info, Storage: &generic.Store{Type: ty}})
	}
	// The resources with subresources, as InstallCore declares them.
	for _, w := range withStatus {
		r, err := statusResource(backend, nil, w.typ(), w.statusType(), w.replicas, w.more...)
		if err != nil {
			t.Fatal(err)
		}
		gvs = append(gvs, rest.GroupVersion{GroupVersion: r.Info.GroupVersion(), Resources: []rest.Resource{r}})
	}
	hpaV1, err := autoscalingV1(backend, nil)
	if err != nil {
		t.Fatal(err)
	}
	gvs = append(gvs, rest.GroupVersion{GroupVersion: hpaV1.Info.GroupVersion(), Resources: []rest.Resource{hpaV1}})
	for _, r := range review.Resources(nil, nil, nil) {
		gvs = append(gvs, rest.GroupVersion{GroupVersion: r.Info.GroupVersion(), Resources: []rest.Resource{r}})
	}
	for _, gv := range gvs {
		if err := installer.Check(gv); err != nil {
			t.Errorf("%s: %v", gv.GroupVersion, err)
		}
	}
}
