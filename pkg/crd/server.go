package crd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/apiextensions/celrules"
	"github.com/apiserver/apiserver/pkg/apiextensions/printers"
	crdschema "github.com/apiserver/apiserver/pkg/apiextensions/schema"
	"github.com/apiserver/apiserver/pkg/apiextensions/status"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/client/webhookclient"
	"github.com/apiserver/apiserver/pkg/controller"
	"github.com/apiserver/apiserver/pkg/endpoints/installer"
	"github.com/apiserver/apiserver/pkg/openapi"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// Server serves definitions and their custom resources.
type Server struct {
	backend     *etcd3.Backend
	router      *installer.Router
	catalog     *rest.Catalog
	definitions *generic.Store
	status      *generic.Store
	// admit runs on every write to a custom resource.
	admit admission.Interface
	// resolve finds a conversion webhook's Service endpoint.
	resolve webhookclient.ServiceResolver

	mu sync.Mutex
	// served maps a definition's name to what is served for it.
	served map[string]*served
	// known holds the latest state of every definition, for name checks.
	known map[string]*apiextensionsv1.CustomResourceDefinition
}

type served struct {
	uid         types.UID
	gen         int64
	terminating bool
	versions    map[string]rest.Resource // by version name
}

// Install serves apiextensions.k8s.io/v1 on s and starts the controller
// that serves established definitions.
func Install(s *server.GenericAPIServer, c server.CompletedConfig, ic installer.Config, admit admission.Interface, resolve webhookclient.ServiceResolver) (*Server, error) {
	backend, err := c.OpenStorage(context.Background())
	if err != nil {
		return nil, err
	}
	srv := &Server{
		backend: backend, catalog: ic.Catalog, admit: admit, resolve: resolve,
		router: installer.NewRouter(ic, nil),
		served: map[string]*served{}, known: map[string]*apiextensionsv1.CustomResourceDefinition{},
	}
	if srv.definitions, err = generic.NewStore(backend, definitionType(), admit, ""); err != nil {
		return nil, err
	}
	st := definitionType()
	st.Strategy = definitionStatusStrategy{}
	st.Info.Verbs = []string{"get", "patch", "update"}
	if srv.status, err = generic.NewStore(backend, st, admit, "status"); err != nil {
		return nil, err
	}
	res := srv.definitions.Declaration()
	res.Subresources = []rest.Subresource{{Name: "status", Storage: srv.status, Verbs: st.Info.Verbs}}
	if err := srv.router.SetGroupVersion(rest.GroupVersion{GroupVersion: apiextensionsv1.SchemeGroupVersion, Resources: []rest.Resource{res}}); err != nil {
		return nil, err
	}
	srv.router.Install(s)
	s.AddBackgroundTask("crd-controller", srv.run)
	return srv, nil
}

// retryDelay scales the backoff of a definition whose sync failed, or whose
// objects are still being finalized: from a tenth of it, doubling, to ten
// times it.
const retryDelay = time.Second

// run watches definitions until ctx ends and syncs each one that changes,
// through a work queue: one worker, each name queued once however many
// events arrive before it is synced, and a failed sync retried with an
// exponential backoff of its own.
func (srv *Server) run(ctx context.Context) {
	queue := controller.NewQueue[string]("crd", retryDelay/10, 10*retryDelay)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer queue.ShutDown()
	wg.Go(func() {
		controller.Run(ctx, queue, srv.sync, func(name string, err error) {
			if !errors.Is(err, errPending) {
				klog.ErrorS(err, "Syncing a CustomResourceDefinition failed; retrying", "crd", name)
			}
		})
	})
	for ctx.Err() == nil {
		w, err := srv.definitions.Watch(ctx, "", &metav1.ListOptions{})
		if err != nil {
			klog.ErrorS(err, "Watching CustomResourceDefinitions failed; retrying")
			sleep(ctx, time.Second)
			continue
		}
		for ev := range w.ResultChan() {
			if crd, ok := ev.Object.(*apiextensionsv1.CustomResourceDefinition); ok {
				queue.Add(crd.Name) // sync reads it afresh, deleted or not
			}
		}
		w.Stop()
		sleep(ctx, 100*time.Millisecond)
	}
}

// errPending: the definition's objects are still being finalized.
var errPending = errors.New("custom resources still being deleted")

// reserved reports whether a definition claims a group the server serves
// itself (any built-in declaration's). Like kube-apiserver, whose built-in
// group versions take precedence, the server never serves it nor touches
// its key space (which may be a built-in resource's own, the definitions'
// for one).
func (srv *Server) reserved(crd *apiextensionsv1.CustomResourceDefinition) bool {
	return srv.catalog.BuiltinGroup(crd.Spec.Group)
}

// sync brings serving in line with one definition.
func (srv *Server) sync(ctx context.Context, name string) error {
	// An event may be old (this replica was paused, or another replica got
	// there first): decide on a fresh quorum read, never on the event.
	obj, err := srv.definitions.Get(ctx, "", name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		srv.forget(name)
		return nil
	}
	if err != nil {
		return err
	}
	crd := obj.(*apiextensionsv1.CustomResourceDefinition)
	srv.mu.Lock()
	srv.known[crd.Name] = crd
	srv.mu.Unlock()
	if crd.DeletionTimestamp != nil {
		return srv.finalize(ctx, crd)
	}
	established := status.IsConditionTrue(crd, apiextensionsv1.Established)
	if !established && !srv.reserved(crd) {
		// A new definition: objects left by an older one of the same name
		// must not reappear under it.
		if err := srv.deleteLeftovers(ctx, crd); err != nil {
			return err
		}
	}
	next := crd.DeepCopy()
	status.Update(next, srv.others(crd.Name), time.Now())
	if !equality.Semantic.DeepEqual(next.Status, crd.Status) {
		_, _, err := srv.status.Update(ctx, "", crd.Name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
			if current == nil {
				return nil, apierrors.NewNotFound(apiextensionsv1.Resource, crd.Name)
			}
			cur := current.(*apiextensionsv1.CustomResourceDefinition).DeepCopy()
			status.Update(cur, srv.others(crd.Name), time.Now())
			return cur, nil
		}, false, false)
		return err // the MODIFIED event serves it
	}
	if status.IsConditionTrue(crd, apiextensionsv1.Established) && !srv.reserved(crd) {
		return srv.serve(crd, false)
	}
	return nil
}

func (srv *Server) others(name string) []*apiextensionsv1.CustomResourceDefinition {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var out []*apiextensionsv1.CustomResourceDefinition
	for n, c := range srv.known {
		if n != name {
			out = append(out, c)
		}
	}
	return out
}

// terminatingVerbs are the verbs of a definition's resource while it is
// deleted: kube-apiserver refuses new objects then, and serves the rest so
// that clients can remove the finalizers of what is left.
var terminatingVerbs = []string{"delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// serve (re)builds the handlers of every served version of crd; terminating
// while it is deleted.
func (srv *Server) serve(crd *apiextensionsv1.CustomResourceDefinition, terminating bool) error {
	srv.mu.Lock()
	cur, ok := srv.served[crd.Name]
	srv.mu.Unlock()
	if ok && cur.uid == crd.UID && cur.gen == crd.Generation && cur.terminating == terminating {
		return nil
	}
	s := &served{uid: crd.UID, gen: crd.Generation, terminating: terminating, versions: map[string]rest.Resource{}}
	// One converter (a webhook client) serves every version, and apply.
	convert, err := srv.converter(crd)
	if err != nil {
		return fmt.Errorf("serving %s: %w", crd.Name, err)
	}
	for i := range crd.Spec.Versions {
		ver := &crd.Spec.Versions[i]
		if !ver.Served {
			continue
		}
		res, err := srv.versionResource(crd, ver, convert)
		if err != nil {
			return fmt.Errorf("serving %s version %s: %w", crd.Name, ver.Name, err)
		}
		if terminating {
			res.Info.Verbs = terminatingVerbs
		}
		s.versions[ver.Name] = res
	}
	versions := applyVersions(crd, s.versions, convert)
	for name, res := range s.versions {
		res.Versions = versions
		s.versions[name] = res
	}
	srv.mu.Lock()
	old := srv.served[crd.Name]
	srv.served[crd.Name] = s
	srv.mu.Unlock()
	srv.publish(crd.Spec.Group, old, s)
	klog.InfoS("Serving custom resources", "crd", crd.Name, "versions", len(s.versions))
	return nil
}

// applyVersions describes the served versions of crd to server-side
// apply: the models of all of them, and the conversion of an object between
// them (its webhook's, or a change of apiVersion), as kube-apiserver's
// custom resource handler gives its field managers.
func applyVersions(crd *apiextensionsv1.CustomResourceDefinition, served map[string]rest.Resource, convert converter) *rest.Versions {
	gvs := make([]rest.GroupVersion, 0, len(served))
	for name, res := range served {
		gvs = append(gvs, rest.GroupVersion{GroupVersion: schema.GroupVersion{Group: crd.Spec.Group, Version: name}, Resources: []rest.Resource{res}})
	}
	return &rest.Versions{
		Models: sync.OnceValues(func() (map[string]*spec.Schema, error) { return installer.Models(gvs...) }),
		Convert: func(obj *unstructured.Unstructured, apiVersion string) (*unstructured.Unstructured, error) {
			out := obj.DeepCopy()
			if convert == nil {
				out.SetAPIVersion(apiVersion)
				return out, nil
			}
			if err := convert(context.Background(), []*unstructured.Unstructured{out}, apiVersion); err != nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// versionResource declares one version of crd; convert, nil for None,
// converts its objects between versions (srv.converter).
func (srv *Server) versionResource(crd *apiextensionsv1.CustomResourceDefinition, ver *apiextensionsv1.CustomResourceDefinitionVersion, convert converter) (rest.Resource, error) {
	v := version{crd: crd, version: ver}
	if ver.Schema != nil && ver.Schema.OpenAPIV3Schema != nil {
		compiled, err := crdschema.New(ver.Schema.OpenAPIV3Schema)
		if err != nil {
			return rest.Resource{}, err
		}
		v.schema = compiled
		// A rule that does not compile here fails each validation with
		// its error, as in kube; the version is served.
		v.rules, _ = celrules.Compile(nil, ver.Schema.OpenAPIV3Schema)
		if s, err := crdschema.ToOpenAPI(ver.Schema.OpenAPIV3Schema, false); err == nil {
			fields := make([]any, 0, len(ver.SelectableFields))
			for _, f := range ver.SelectableFields {
				fields = append(fields, map[string]any{"fieldPath": strings.TrimPrefix(f.JSONPath, ".")})
			}
			s.AddExtension(openapi.ExtSelectableFields, fields)
			v.openapi = s
		}
	}
	t := v.resourceType()
	table, err := printers.New(ver.AdditionalPrinterColumns)
	if err != nil {
		return rest.Resource{}, err
	}
	t.Table = table
	store, err := generic.NewStore(srv.backend, t, srv.admit, "")
	if err != nil {
		return rest.Resource{}, err
	}
	if gv, err := schema.ParseGroupVersion(storageVersion(crd)); err == nil {
		store.StoredKind = gv.WithKind(crd.Spec.Names.Kind)
	}
	if convert != nil {
		store.Storage = convertingStorage{Interface: store.Storage, convert: convert, stored: storageVersion(crd), served: t.Info.GroupVersion().String()}
	}
	res := store.Declaration()
	res.OpenAPISchema = v.openapi
	res.Prune = func(obj runtime.Object) ([]string, error) {
		paths, err := v.prune(obj)
		msgs := make([]string, len(paths))
		for i, p := range paths {
			msgs[i] = crdschema.UnknownFieldWarning(p)
		}
		return msgs, err
	}
	if v.schema != nil {
		res.OnRead = func(obj runtime.Object) {
			if u, ok := obj.(*unstructured.Unstructured); ok {
				v.schema.Default(u.Object)
			}
		}
	}
	if v.hasStatus() {
		st := t
		st.Strategy = statusStrategy{customStrategy{v}}
		statusStore, err := generic.NewStore(srv.backend, st, srv.admit, "status")
		if err != nil {
			return rest.Resource{}, err
		}
		if convert != nil {
			statusStore.Storage = convertingStorage{Interface: statusStore.Storage, convert: convert, stored: storageVersion(crd), served: t.Info.GroupVersion().String()}
		}
		res.Subresources = append(res.Subresources, rest.Subresource{Name: "status", Storage: statusStore, Verbs: []string{"get", "patch", "update"}})
	}
	if sc := v.scale(); sc != nil {
		res.Subresources = append(res.Subresources, rest.Subresource{
			Name: "scale", Storage: scaleStorage(store, sc),
			Kind: autoscalingv1.SchemeGroupVersion.WithKind("Scale"),
		})
	}
	return res, nil
}

// publish updates the router (and so discovery) for every group version of
// group, which several definitions may share.
func (srv *Server) publish(group string, before, after *served) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	versions := map[string]bool{}
	for _, s := range []*served{before, after} {
		if s != nil {
			for v := range s.versions {
				versions[v] = true
			}
		}
	}
	for v := range versions {
		var resources []rest.Resource
		for _, s := range srv.served {
			if r, ok := s.versions[v]; ok && r.Info.Group == group {
				resources = append(resources, r)
			}
		}
		gv := schema.GroupVersion{Group: group, Version: v}
		if len(resources) == 0 {
			srv.router.RemoveGroupVersion(gv)
			continue
		}
		slices.SortFunc(resources, func(a, b rest.Resource) int {
			return strings.Compare(a.Info.Resource, b.Info.Resource)
		})
		if err := srv.router.SetGroupVersion(rest.GroupVersion{GroupVersion: gv, Resources: resources}); err != nil {
			klog.ErrorS(err, "Publishing custom resources failed", "groupVersion", gv.String())
		}
	}
}

// forget stops serving a deleted definition and drops it.
func (srv *Server) forget(name string) {
	srv.unserve(name)
	srv.mu.Lock()
	delete(srv.known, name)
	srv.mu.Unlock()
}

// unserve stops serving a definition's objects.
func (srv *Server) unserve(name string) {
	srv.mu.Lock()
	old, wasServed := srv.served[name]
	crd := srv.known[name]
	delete(srv.served, name)
	srv.mu.Unlock()
	if crd == nil || !wasServed {
		return
	}
	srv.publish(crd.Spec.Group, old, nil)
	klog.InfoS("Stopped serving custom resources", "crd", name)
}

// finalize stops serving a definition being deleted, deletes its objects,
// then removes its cleanup finalizer, which deletes it.
func (srv *Server) finalize(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) error {
	if !slices.Contains(crd.Finalizers, apiextensionsv1.CustomResourceCleanupFinalizer) {
		return nil
	}
	if !srv.reserved(crd) && status.IsConditionTrue(crd, apiextensionsv1.Established) {
		// Still served while its objects are deleted, as kube-apiserver
		// does: clients remove the finalizers of those that linger, and
		// watchers (the garbage collector among them) see every deletion.
		if err := srv.serve(crd, true); err != nil {
			return err
		}
	}
	if !srv.reserved(crd) {
		left, err := srv.deleteObjects(ctx, crd)
		if err != nil {
			return err
		}
		if left > 0 {
			return errPending // objects with finalizers of their own
		}
	}
	srv.unserve(crd.Name)
	_, _, err := srv.definitions.Update(ctx, "", crd.Name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(apiextensionsv1.Resource, crd.Name)
		}
		cur := current.(*apiextensionsv1.CustomResourceDefinition).DeepCopy()
		cur.Finalizers = slices.DeleteFunc(cur.Finalizers, func(f string) bool { return f == apiextensionsv1.CustomResourceCleanupFinalizer })
		return cur, nil
	}, false, false)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// converter returns how crd's objects change version: nil for the None
// strategy (the apiVersion is rewritten as they are served), the webhook
// otherwise.
// converter converts objects, in place, to a group/version.
type converter func(ctx context.Context, objs []*unstructured.Unstructured, to string) error

func (srv *Server) converter(crd *apiextensionsv1.CustomResourceDefinition) (converter, error) {
	if crd.Spec.Conversion == nil || crd.Spec.Conversion.Strategy != apiextensionsv1.WebhookConverter {
		return nil, nil
	}
	w, err := newWebhookConverter(crd, srv.resolve)
	if err != nil {
		return nil, err
	}
	return w.convert, nil
}

// storageVersion is the group/version crd's objects are stored in.
func storageVersion(crd *apiextensionsv1.CustomResourceDefinition) string {
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			return crd.Spec.Group + "/" + v.Name
		}
	}
	return crd.Spec.Group + "/" + crd.Spec.Versions[0].Name
}

// storageStore is the etcd store of the definition's resource (all its
// versions share one key space).
func (srv *Server) storageStore(crd *apiextensionsv1.CustomResourceDefinition) (*etcd3.Store, rest.Type, error) {
	storageVersion := crd.Spec.Versions[0]
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			storageVersion = v
		}
	}
	t := version{crd: crd, version: &storageVersion}.resourceType()
	t.Strategy = customStrategy{}
	st, err := srv.backend.NewStore(t.Info.GroupResource(), t.Info.Namespaced, t.New)
	return st, t, err
}

// deleteObjects deletes the definition's objects as a client would,
// honouring their finalizers, and returns how many are left.
func (srv *Server) deleteObjects(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) (int, error) {
	st, t, err := srv.storageStore(crd)
	if err != nil {
		return 0, err
	}
	store := &generic.Store{Type: t, Storage: st}
	if _, err := store.DeleteCollection(ctx, "", &metav1.ListOptions{}, &metav1.DeleteOptions{}, false); err != nil {
		return 0, err
	}
	left, err := st.Count(ctx, storage.Key{})
	return int(left), err
}

// deleteLeftovers removes whatever an older definition of the same name
// left in etcd, finalizers and undecodable values included, before a new
// one is established.
//
// The delete runs only while the definition is as read (not established):
// another replica that establishes it meanwhile, after which clients may
// write objects, makes it a no-op, and the sync runs again.
func (srv *Server) deleteLeftovers(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) error {
	st, _, err := srv.storageStore(crd)
	if err != nil {
		return err
	}
	defs, err := storage.NewKeySpace(srv.backend.Config().Prefix, apiextensionsv1.Resource, false)
	if err != nil {
		return err
	}
	guard, err := defs.ObjectKey(storage.Key{Name: crd.Name})
	if err != nil {
		return err
	}
	rev, err := strconv.ParseInt(crd.ResourceVersion, 10, 64)
	if err != nil {
		return fmt.Errorf("resourceVersion of %s: %w", crd.Name, err)
	}
	n, done, err := st.DeleteAllIf(ctx, guard, rev)
	if err != nil {
		return err
	}
	if !done {
		return errPending // the definition changed: sync again
	}
	if n > 0 {
		klog.InfoS("Deleted objects an earlier definition left behind", "crd", crd.Name, "objects", n)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
