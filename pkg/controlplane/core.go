package controlplane

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/admission/namespacelifecycle"
	"github.com/apiserver/apiserver/pkg/endpoints/discovery"
	"github.com/apiserver/apiserver/pkg/endpoints/installer"
	"github.com/apiserver/apiserver/pkg/openapi"
	"github.com/apiserver/apiserver/pkg/registry/coordination/lease"
	"github.com/apiserver/apiserver/pkg/registry/core/configmap"
	"github.com/apiserver/apiserver/pkg/registry/core/event"
	"github.com/apiserver/apiserver/pkg/registry/core/namespace"
	"github.com/apiserver/apiserver/pkg/registry/core/secret"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// DefaultNamespaces exist after start, as on every Kubernetes cluster.
var DefaultNamespaces = namespacelifecycle.Immortal

// storageOnly are the built-in resources the generic store serves as their
// package declares them, one line each; their group versions, routes,
// discovery, OpenAPI, scheme and namespace cleanup follow from it.
var storageOnly = []func() rest.Type{
	configmap.Type,
	secret.Type,
	event.Type,
	lease.Type,
}

// BuiltinTypes returns every built-in type the core API serves, for tools
// that derive from them (hack/update-openapi.sh lists their Go packages).
func BuiltinTypes() []rest.Type {
	types := []rest.Type{namespace.Type()}
	for _, newType := range storageOnly {
		types = append(types, newType())
	}
	return types
}

// CoreAPI is the installed built-in API.
type CoreAPI struct {
	Router     *installer.Router
	Namespaces *generic.Store
	// Catalog lists every served resource; namespace deletion empties the
	// namespaced ones.
	Catalog *rest.Catalog

	finalizeStore *generic.Store
}

// NewStore builds the generic store of a type over etcd.
func NewStore(backend *etcd3.Backend, t rest.Type) (*generic.Store, error) {
	st, err := etcd3.New(etcd3.Config{
		Client:          backend.Client(),
		Prefix:          backend.Config().Prefix,
		Resource:        t.Info.GroupResource(),
		NamespaceScoped: t.Info.Namespaced,
		NewFunc:         t.New,
	})
	if err != nil {
		return nil, err
	}
	return &generic.Store{Type: t, Storage: st}, nil
}

// Declare returns the declaration of a resource served by store.
func Declare(store *generic.Store) rest.Resource {
	return rest.Resource{Info: store.Type.Info, Storage: store, Table: store.Type.Table, Defaults: store.Type.Defaults}
}

// Publishing is where installed group versions are published, and what
// every store of the chain shares.
type Publishing struct {
	Discovery *discovery.Registry
	OpenAPI   *openapi.Service
	Catalog   *rest.Catalog
	Scheme    *runtime.Scheme
	// Admission runs on every write to a store made by NewStore.
	Admission admission.Interface
}

// NewStore builds the generic store of a type, or of its subresource sub,
// with the chain's admission.
func (p Publishing) NewStore(backend *etcd3.Backend, t rest.Type, sub string) (*generic.Store, error) {
	store, err := NewStore(backend, t)
	if err != nil {
		return nil, err
	}
	store.Admission, store.Subresource = p.Admission, sub
	return store, nil
}

// NewAdmission returns the admission chain of the built-in plugins, in
// kube-apiserver's order: NamespaceLifecycle first. It reads namespaces
// with quorum reads of its own.
func NewAdmission(backend *etcd3.Backend) (admission.Chain, error) {
	namespaces, err := NewStore(backend, namespace.Type())
	if err != nil {
		return nil, err
	}
	get := func(ctx context.Context, name string) (*corev1.Namespace, error) {
		obj, err := namespaces.Get(ctx, "", name, &metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return obj.(*corev1.Namespace), nil
	}
	return admission.Chain{namespacelifecycle.Plugin{Namespaces: get}}, nil
}

// RouterConfig is the installer configuration of a server of the chain.
func (p Publishing) RouterConfig(c server.CompletedConfig) installer.Config {
	return installer.Config{Discovery: p.Discovery, OpenAPI: p.OpenAPI, Catalog: p.Catalog, Scheme: p.Scheme,
		Stopping: c.Stopping(), Timeout: c.Lifecycle.RequestTimeout}
}

// InstallCore serves the built-in API on s, published as p says. Requests
// for other group versions go to the next server of the chain.
func InstallCore(s *server.GenericAPIServer, c server.CompletedConfig, p Publishing) (*CoreAPI, error) {
	backend, err := c.OpenStorage(context.Background())
	if err != nil {
		return nil, err
	}
	api := &CoreAPI{Router: installer.NewRouter(p.RouterConfig(c), s.NextDelegate().UnprotectedHandler()), Catalog: p.Catalog}
	namespaces, err := api.namespaceResource(p, backend)
	if err != nil {
		return nil, err
	}
	gvs := []rest.GroupVersion{{GroupVersion: corev1.SchemeGroupVersion, Resources: []rest.Resource{namespaces}}}
	for _, newType := range storageOnly {
		t := newType()
		store, err := p.NewStore(backend, t, "")
		if err != nil {
			return nil, err
		}
		gvs = addResource(gvs, Declare(store))
	}
	for _, gv := range gvs {
		if err := api.Router.SetGroupVersion(gv); err != nil {
			return nil, fmt.Errorf("installing %s: %w", gv.GroupVersion, err)
		}
	}
	api.Router.Install(s)
	p.Discovery.Install(s)
	p.OpenAPI.InstallHandlers(s)

	if err := s.AddPostStartHook("default-namespaces", api.createDefaultNamespaces); err != nil {
		return nil, err
	}
	s.AddBackgroundTask("namespace-finalizer", api.finalizeNamespaces)
	return api, nil
}

// addResource appends r to the declaration of its group version, adding
// the group version after the others when it is new.
func addResource(gvs []rest.GroupVersion, r rest.Resource) []rest.GroupVersion {
	gv := r.Info.GroupVersion()
	for i := range gvs {
		if gvs[i].GroupVersion == gv {
			gvs[i].Resources = append(gvs[i].Resources, r)
			return gvs
		}
	}
	return append(gvs, rest.GroupVersion{GroupVersion: gv, Resources: []rest.Resource{r}})
}

// createDefaultNamespaces makes sure the default namespaces exist.
func (api *CoreAPI) createDefaultNamespaces(ctx context.Context) error {
	for _, name := range DefaultNamespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		_, err := api.Namespaces.Create(ctx, "", ns, false)
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", name, err)
		}
	}
	return nil
}
