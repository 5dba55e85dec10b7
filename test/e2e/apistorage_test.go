package e2e

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/apiserver/apiserver/pkg/client/apistorage"
	"github.com/apiserver/apiserver/pkg/registry/core/configmap"
	"github.com/apiserver/apiserver/pkg/registry/core/namespace"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// prototype makes the empty objects of a type, as a catalog's storage does.
type prototype struct{ t rest.Type }

func (p prototype) New() runtime.Object     { return p.t.New() }
func (p prototype) NewList() runtime.Object { return p.t.NewList() }

// TestAPIStorage: the verbs of pkg/registry/rest over the API of a running
// server, as the in-process controllers use them: typed objects out of
// get, list and watch; create; an update that reads again after another
// writer's change; a status update; delete.
func TestAPIStorage(t *testing.T) {
	p := startBinary(t, "", nil)
	typed := runtime.NewScheme()
	if err := corev1.AddToScheme(typed); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		scheme      *runtime.Scheme
		contentType string
	}{
		{"dynamic JSON", nil, "application/json"},
		{"typed protobuf", typed, "application/vnd.kubernetes.protobuf"},
	} {
		t.Run(tc.name, func(t *testing.T) { apiStorage(t, p, tc.scheme, tc.contentType) })
	}
}

func apiStorage(t *testing.T, p *process, scheme *runtime.Scheme, contentType string) {
	config, err := clientcmd.BuildConfigFromFlags("", filepath.Join(p.DataDir, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	config.ContentType = contentType
	suffix := "-json"
	if scheme != nil {
		suffix = "-proto"
	}
	local := rest.NewCatalog()
	core := rest.GroupVersion{GroupVersion: corev1.SchemeGroupVersion}
	for _, ty := range []rest.Type{configmap.Type(), namespace.Type()} {
		r := rest.Resource{Info: ty.Info, Storage: prototype{ty}}
		if ty.Info.Resource == "namespaces" {
			r.Subresources = []rest.Subresource{{Name: "status", Storage: prototype{ty}}}
		}
		core.Resources = append(core.Resources, r)
	}
	local.Set(core, true)
	api, err := apistorage.Catalog(config, scheme, local)
	if err != nil {
		t.Fatal(err)
	}
	cmRes, _ := api.Resource(schema.GroupResource{Resource: "configmaps"})
	nsRes, _ := api.Resource(schema.GroupResource{Resource: "namespaces"})
	nsStatus, ok := nsRes.Subresource("status")
	if !ok {
		t.Fatal("namespaces/status is not over the API")
	}
	cms := cmRes.Storage
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	w, err := cms.(rest.Watcher).Watch(ctx, "default", &metav1.ListOptions{FieldSelector: "metadata.name=via-api" + suffix})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	created, err := cms.(rest.Creater).Create(ctx, "default", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "via-api" + suffix}, Data: map[string]string{"k": "1"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if cm, ok := created.(*corev1.ConfigMap); !ok || cm.ResourceVersion == "" || cm.Data["k"] != "1" {
		t.Fatalf("created %T %+v", created, created)
	}
	select {
	case ev := <-w.ResultChan():
		if cm, ok := ev.Object.(*corev1.ConfigMap); ev.Type != watch.Added || !ok || cm.Name != "via-api"+suffix {
			t.Errorf("watch event %s %T", ev.Type, ev.Object)
		}
	case <-ctx.Done():
		t.Fatal("no watch event")
	}
	list, err := cms.(rest.Lister).List(ctx, "default", &metav1.ListOptions{FieldSelector: "metadata.name=via-api" + suffix})
	if l, ok := list.(*corev1.ConfigMapList); err != nil || !ok || len(l.Items) != 1 {
		t.Fatalf("list: %T %v", list, err)
	}

	// Another writer changes the object between the update's read and its
	// write: the update reads again and is applied to the fresh object.
	var calls atomic.Int32
	updated, _, err := cms.(rest.Updater).Update(ctx, "default", "via-api"+suffix, func(ctx context.Context, current runtime.Object) (runtime.Object, error) {
		cm := current.(*corev1.ConfigMap).DeepCopy()
		if calls.Add(1) == 1 {
			other := cm.DeepCopy()
			other.Data["other"] = "x"
			if _, _, err := cms.(rest.Updater).Update(ctx, "default", "via-api"+suffix, func(context.Context, runtime.Object) (runtime.Object, error) { return other, nil }, false, false); err != nil {
				return nil, err
			}
		}
		cm.Data["k"] = "2"
		return cm, nil
	}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if cm := updated.(*corev1.ConfigMap); calls.Load() != 2 || cm.Data["k"] != "2" || cm.Data["other"] != "x" {
		t.Errorf("update after a conflict: %d calls, data %v", calls.Load(), cm.Data)
	}
	// An update that may create does, once.
	if _, created, err := cms.(rest.Updater).Update(ctx, "default", "made-by-update"+suffix, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current != nil {
			t.Error("the object exists before the update created it")
		}
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "made-by-update" + suffix, Namespace: "default"}}, nil
	}, false, true); err != nil || !created {
		t.Errorf("update creating: %v %v", created, err)
	}

	// Status through the status subresource.
	ns, err := nsRes.Storage.(rest.Creater).Create(ctx, "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "via-api" + suffix}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := nsStatus.Storage.(rest.Updater).Update(ctx, "", "via-api"+suffix, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		n := current.(*corev1.Namespace).DeepCopy()
		n.Status.Conditions = append(n.Status.Conditions, corev1.NamespaceCondition{Type: "Example", Status: corev1.ConditionTrue})
		return n, nil
	}, false, false); err != nil {
		t.Fatal(err)
	}
	got, err := nsRes.Storage.(rest.Getter).Get(ctx, "", ns.(*corev1.Namespace).Name, &metav1.GetOptions{})
	if n := got.(*corev1.Namespace); err != nil || len(n.Status.Conditions) != 1 {
		t.Errorf("namespace status: %v %+v", err, got)
	}

	if _, deleted, err := cms.(rest.GracefulDeleter).Delete(ctx, "default", "via-api"+suffix, &metav1.DeleteOptions{}, false); err != nil || !deleted {
		t.Fatalf("delete: %v %v", deleted, err)
	}
	if _, err := cms.(rest.Getter).Get(ctx, "default", "via-api"+suffix, &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after delete: %v", err)
	}
}
