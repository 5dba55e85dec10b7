package controlplane

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/apiserver/apiserver/pkg/endpoints/discovery"
	"github.com/apiserver/apiserver/pkg/endpoints/handlers"
	"github.com/apiserver/apiserver/pkg/endpoints/installer"
	"github.com/apiserver/apiserver/pkg/openapi"
	"github.com/apiserver/apiserver/pkg/registry/core/configmap"
	"github.com/apiserver/apiserver/pkg/registry/core/event"
	"github.com/apiserver/apiserver/pkg/registry/core/namespace"
	"github.com/apiserver/apiserver/pkg/registry/core/secret"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// DefaultNamespaces exist after start, as on every Kubernetes cluster.
var DefaultNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic}

// CoreAPI is the installed core group version.
type CoreAPI struct {
	Router     *installer.Router
	Namespaces *generic.Store
	// Namespaced are the stores whose objects live in namespaces, emptied
	// when their namespace is deleted.
	Namespaced []*generic.Store
	OpenAPI    *openapi.Service

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

// builtinProtobuf decodes protobuf request bodies of the built-in types;
// client-go's typed clients send them.
var builtinProtobuf = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	utilruntime.Must(corev1.AddToScheme(scheme))
	return protobuf.NewSerializer(scheme, scheme)
}()

// JSONResource wraps a store of a type without protobuf or strategic merge
// patch support (custom resources, API extensions) in its REST handler.
func JSONResource(store *generic.Store, c server.CompletedConfig) *handlers.Resource {
	table := store.Type.Table
	if table == nil {
		table = tables.DefaultTableConvertor(store.Type.Info.GroupResource())
	}
	return &handlers.Resource{
		Store: store, Table: table, Stopping: c.Stopping(), Timeout: c.Lifecycle.RequestTimeout,
		Patch: &handlers.Patcher{},
	}
}

// Resource wraps a store of a built-in type in its REST handler.
func Resource(store *generic.Store, c server.CompletedConfig) *handlers.Resource {
	r := JSONResource(store, c)
	r.Patch.Strategic = true
	r.Protobuf = builtinProtobuf
	return r
}

// InstallCore serves the core API (/api/v1) on s, with discovery in d and
// OpenAPI documents for it. Requests for other group versions go to the
// next server of the chain.
func InstallCore(s *server.GenericAPIServer, c server.CompletedConfig, d *discovery.Registry, oapi *openapi.Service) (*CoreAPI, error) {
	backend, err := c.OpenStorage(context.Background())
	if err != nil {
		return nil, err
	}
	api := &CoreAPI{Router: installer.NewRouter(d, s.NextDelegate().UnprotectedHandler())}
	nsType := namespace.Type()
	nsType.Strategy = namespaceLifecycle{nsType.Strategy}
	if api.Namespaces, err = NewStore(backend, nsType); err != nil {
		return nil, err
	}
	api.Namespaces.Names = metavalidation.ValidateNamespaceName
	var resources []*handlers.Resource
	nsResource := Resource(api.Namespaces, c)
	if nsResource.Subresources, err = namespaceSubresources(backend); err != nil {
		return nil, err
	}
	api.finalizeStore = nsResource.Subresources["finalize"]
	resources = append(resources, nsResource)
	for _, t := range []rest.Type{configmap.Type(), secret.Type(), event.Type()} {
		store, err := NewStore(backend, t)
		if err != nil {
			return nil, err
		}
		store.Namespaces = api.checkNamespace
		if t.Info.Resource == "events" {
			store.Names = generic.PathSegmentName // kube-apiserver checks no more for events
		}
		api.Namespaced = append(api.Namespaced, store)
		resources = append(resources, Resource(store, c))
	}
	api.Router.SetGroupVersion(corev1.SchemeGroupVersion, resources)
	api.Router.Install(s)
	d.Install(s)

	api.OpenAPI = oapi
	coreResources := append(openapi.CoreV1Resources(), openapi.Resource{
		Kind: "Event", Plural: "events", Namespaced: true, Definition: "io.k8s.api.core.v1.Event",
	})
	if err := api.OpenAPI.AddGroupVersion(corev1.SchemeGroupVersion, coreResources); err != nil {
		return nil, fmt.Errorf("core OpenAPI: %w", err)
	}
	api.OpenAPI.InstallHandlers(s)

	if err := s.AddPostStartHook("default-namespaces", api.createDefaultNamespaces); err != nil {
		return nil, err
	}
	s.AddBackgroundTask("namespace-finalizer", api.finalizeNamespaces)
	return api, nil
}

// CheckNamespace refuses objects in a namespace that does not exist or is
// being deleted; other API servers of the chain use it for their
// namespaced resources.
func (api *CoreAPI) CheckNamespace(ctx context.Context, ns string) error {
	return api.checkNamespace(ctx, ns)
}

// checkNamespace is kube-apiserver's NamespaceLifecycle admission: no new
// object in a namespace that does not exist or is being deleted.
func (api *CoreAPI) checkNamespace(ctx context.Context, ns string) error {
	obj, err := api.Namespaces.Get(ctx, "", ns, &metav1.GetOptions{})
	if err != nil {
		return err
	}
	n := obj.(*corev1.Namespace)
	if n.Status.Phase == corev1.NamespaceTerminating || n.DeletionTimestamp != nil {
		err := apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, ns,
			fmt.Errorf("unable to create new content in namespace %s because it is being terminated", ns))
		err.ErrStatus.Message = fmt.Sprintf("unable to create new content in namespace %s because it is being terminated", ns)
		err.ErrStatus.Details.Causes = []metav1.StatusCause{{
			Type:    corev1.NamespaceTerminatingCause,
			Message: fmt.Sprintf("namespace %s is being terminated", ns),
			Field:   "metadata.namespace",
		}}
		return err
	}
	return nil
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
