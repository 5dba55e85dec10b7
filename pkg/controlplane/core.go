package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/admission/defaulttolerationseconds"
	"github.com/apiserver/apiserver/pkg/admission/limitranger"
	"github.com/apiserver/apiserver/pkg/admission/namespacelifecycle"
	policyadmission "github.com/apiserver/apiserver/pkg/admission/policy"
	"github.com/apiserver/apiserver/pkg/admission/priority"
	"github.com/apiserver/apiserver/pkg/admission/rbacescalation"
	quotaadmission "github.com/apiserver/apiserver/pkg/admission/resourcequota"
	rcadmission "github.com/apiserver/apiserver/pkg/admission/runtimeclass"
	saadmission "github.com/apiserver/apiserver/pkg/admission/serviceaccount"
	"github.com/apiserver/apiserver/pkg/admission/webhook"
	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/endpoints/installer"
	vap "github.com/apiserver/apiserver/pkg/registry/admissionregistration/policy"
	"github.com/apiserver/apiserver/pkg/registry/admissionregistration/webhookconfiguration"
	"github.com/apiserver/apiserver/pkg/registry/apiregistration/apiservice"
	"github.com/apiserver/apiserver/pkg/registry/apps/controllerrevision"
	"github.com/apiserver/apiserver/pkg/registry/apps/daemonset"
	"github.com/apiserver/apiserver/pkg/registry/apps/deployment"
	"github.com/apiserver/apiserver/pkg/registry/apps/replicaset"
	"github.com/apiserver/apiserver/pkg/registry/apps/statefulset"
	"github.com/apiserver/apiserver/pkg/registry/autoscaling/horizontalpodautoscaler"
	"github.com/apiserver/apiserver/pkg/registry/batch/cronjob"
	"github.com/apiserver/apiserver/pkg/registry/batch/job"
	"github.com/apiserver/apiserver/pkg/registry/certificates/csr"
	"github.com/apiserver/apiserver/pkg/registry/coordination/lease"
	"github.com/apiserver/apiserver/pkg/registry/core/componentstatus"
	"github.com/apiserver/apiserver/pkg/registry/core/configmap"
	"github.com/apiserver/apiserver/pkg/registry/core/endpoints"
	"github.com/apiserver/apiserver/pkg/registry/core/event"
	"github.com/apiserver/apiserver/pkg/registry/core/limitrange"
	"github.com/apiserver/apiserver/pkg/registry/core/namespace"
	"github.com/apiserver/apiserver/pkg/registry/core/node"
	"github.com/apiserver/apiserver/pkg/registry/core/persistentvolume"
	"github.com/apiserver/apiserver/pkg/registry/core/pod"
	"github.com/apiserver/apiserver/pkg/registry/core/podtemplate"
	"github.com/apiserver/apiserver/pkg/registry/core/replicationcontroller"
	"github.com/apiserver/apiserver/pkg/registry/core/resourcequota"
	"github.com/apiserver/apiserver/pkg/registry/core/secret"
	"github.com/apiserver/apiserver/pkg/registry/core/service"
	"github.com/apiserver/apiserver/pkg/registry/core/serviceaccount"
	"github.com/apiserver/apiserver/pkg/registry/discovery/endpointslice"
	eventsv1 "github.com/apiserver/apiserver/pkg/registry/events/event"
	"github.com/apiserver/apiserver/pkg/registry/flowcontrol/flowschema"
	"github.com/apiserver/apiserver/pkg/registry/flowcontrol/prioritylevelconfiguration"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/networking/ingress"
	"github.com/apiserver/apiserver/pkg/registry/networking/ingressclass"
	"github.com/apiserver/apiserver/pkg/registry/networking/networkpolicy"
	"github.com/apiserver/apiserver/pkg/registry/node/runtimeclass"
	"github.com/apiserver/apiserver/pkg/registry/policy/poddisruptionbudget"
	"github.com/apiserver/apiserver/pkg/registry/rbac"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/review"
	"github.com/apiserver/apiserver/pkg/registry/scheduling/priorityclass"
	"github.com/apiserver/apiserver/pkg/registry/storage/csidriver"
	"github.com/apiserver/apiserver/pkg/registry/storage/csinode"
	"github.com/apiserver/apiserver/pkg/registry/storage/csistoragecapacity"
	"github.com/apiserver/apiserver/pkg/registry/storage/storageclass"
	"github.com/apiserver/apiserver/pkg/registry/storage/volumeattachment"
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
	webhookconfiguration.MutatingType,
	webhookconfiguration.ValidatingType,
	vap.BindingType,
	rbac.RoleType,
	rbac.ClusterRoleType,
	rbac.RoleBindingType,
	rbac.ClusterRoleBindingType,
	priorityclass.Type,
	runtimeclass.Type,
	ingressclass.Type,
	networkpolicy.Type,
	endpoints.Type,
	endpointslice.Type,
	podtemplate.Type,
	limitrange.Type,
	controllerrevision.Type,
	storageclass.Type,
	csidriver.Type,
	csinode.Type,
	csistoragecapacity.Type,
}

// withStatus are the built-in resources with /status (and /scale),
// declared with their status type and replicas.
var withStatus = []struct {
	typ, statusType func() rest.Type
	replicas        *generic.Replicas
	more            []subresourceType
}{
	// apiregistration.k8s.io first: kube-apiserver lists it first in /apis.
	{typ: apiservice.Type, statusType: apiservice.StatusType},
	{typ: vap.Type, statusType: vap.StatusType},
	{typ: deployment.Type, statusType: deployment.StatusType, replicas: &deployment.Replicas},
	{typ: replicaset.Type, statusType: replicaset.StatusType, replicas: &replicaset.Replicas},
	{typ: statefulset.Type, statusType: statefulset.StatusType, replicas: &statefulset.Replicas},
	{typ: daemonset.Type, statusType: daemonset.StatusType},
	{typ: job.Type, statusType: job.StatusType},
	{typ: cronjob.Type, statusType: cronjob.StatusType},
	{typ: horizontalpodautoscaler.Type, statusType: horizontalpodautoscaler.StatusType},
	{typ: ingress.Type, statusType: ingress.StatusType},
	{typ: resourcequota.Type, statusType: resourcequota.StatusType},
	{typ: poddisruptionbudget.Type, statusType: poddisruptionbudget.StatusType},
	{typ: volumeattachment.Type, statusType: volumeattachment.StatusType},
	{typ: persistentvolume.Type, statusType: persistentvolume.StatusType},
	{typ: persistentvolume.ClaimType, statusType: persistentvolume.ClaimStatusType},
	{typ: replicationcontroller.Type, statusType: replicationcontroller.StatusType, replicas: &replicationcontroller.Replicas},
	{typ: csr.Type, statusType: csr.StatusType, more: []subresourceType{{"approval", csr.ApprovalType}}},
	{typ: flowschema.Type, statusType: flowschema.StatusType},
	{typ: prioritylevelconfiguration.Type, statusType: prioritylevelconfiguration.StatusType},
}

// BuiltinTypes returns every built-in type the core API serves, for tools
// that derive from them (hack/update-openapi.sh lists their Go packages).
func BuiltinTypes() []rest.Type {
	types := []rest.Type{namespace.Type(), serviceaccount.Type(), service.Type(nil), pod.Type(), node.Type()}
	for _, w := range withStatus {
		types = append(types, w.typ())
	}
	for _, newType := range storageOnly {
		types = append(types, newType())
	}
	return append(types, eventsv1.Type(), componentstatus.Type())
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

// NewAdmission returns the admission chain of the built-in plugins, in
// kube-apiserver's order, less the disabled ones (by kube's names):
// NamespaceLifecycle first, then LimitRanger (a Pod's default resources
// and bounds), ServiceAccount (a Pod's account and token), Priority (a
// Pod's priority; one default PriorityClass, system classes kept),
// DefaultTolerationSeconds, RuntimeClass (a Pod's overhead and
// scheduling), then the refusal of RBAC escalation, which asks a about
// the writer, and last the mutating admission webhooks, the
// ValidatingAdmissionPolicies and the validating webhooks that webhooks
// and policies follow, and ResourceQuota (a create over quota refused,
// charged to its quotas). The plugins read with quorum reads of their own.
func NewAdmission(backend *etcd3.Backend, a authz.Authorizer, disabled []string, catalog *rest.Catalog, webhooks *webhook.Source, policies *policyadmission.Source, resolve webhook.ServiceResolver) (admission.Chain, error) {
	namespaces, err := generic.NewStore(backend, namespace.Type(), nil, "")
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
	roles, err := generic.NewStore(backend, rbac.RoleType(), nil, "")
	if err != nil {
		return nil, err
	}
	clusterRoles, err := generic.NewStore(backend, rbac.ClusterRoleType(), nil, "")
	if err != nil {
		return nil, err
	}
	rules := func(ctx context.Context, kind, ns, name string) ([]rbacv1.PolicyRule, error) {
		if kind == "Role" {
			obj, err := roles.Get(ctx, ns, name, &metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			return obj.(*rbacv1.Role).Rules, nil
		}
		obj, err := clusterRoles.Get(ctx, "", name, &metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return obj.(*rbacv1.ClusterRole).Rules, nil
	}
	priorityClasses, err := generic.NewStore(backend, priorityclass.Type(), nil, "")
	if err != nil {
		return nil, err
	}
	listPriorityClasses := func(ctx context.Context) ([]schedulingv1.PriorityClass, error) {
		list, err := priorityClasses.List(ctx, "", &metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return list.(*schedulingv1.PriorityClassList).Items, nil
	}
	accounts, err := generic.NewStore(backend, serviceaccount.Type(), nil, "")
	if err != nil {
		return nil, err
	}
	getAccount := func(ctx context.Context, ns, name string) (*corev1.ServiceAccount, error) {
		obj, err := accounts.Get(ctx, ns, name, &metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return obj.(*corev1.ServiceAccount), nil
	}
	limitRanges, err := generic.NewStore(backend, limitrange.Type(), nil, "")
	if err != nil {
		return nil, err
	}
	listLimitRanges := func(ctx context.Context, ns string) ([]corev1.LimitRange, error) {
		list, err := limitRanges.List(ctx, ns, &metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return list.(*corev1.LimitRangeList).Items, nil
	}
	runtimeClasses, err := generic.NewStore(backend, runtimeclass.Type(), nil, "")
	if err != nil {
		return nil, err
	}
	getRuntimeClass := func(ctx context.Context, name string) (*nodev1.RuntimeClass, error) {
		obj, err := runtimeClasses.Get(ctx, "", name, &metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return obj.(*nodev1.RuntimeClass), nil
	}
	// Webhooks and policies select by namespace labels on every request
	// they could concern: they read the watch cache, as kube's read an
	// informer.
	cachedNamespace := func(ctx context.Context, name string) (*corev1.Namespace, error) {
		obj, err := namespaces.Get(ctx, "", name, &metav1.GetOptions{ResourceVersion: "0"})
		if err != nil {
			return nil, err
		}
		return obj.(*corev1.Namespace), nil
	}
	quotas, err := generic.NewStore(backend, resourcequota.Type(), nil, "")
	if err != nil {
		return nil, err
	}
	quotaStatus, err := generic.NewStore(backend, resourcequota.StatusType(), nil, "status")
	if err != nil {
		return nil, err
	}
	quota := quotaadmission.Plugin{
		// From the watch cache, as kube's plugin reads an informer.
		Quotas: func(ctx context.Context, ns string) ([]corev1.ResourceQuota, error) {
			list, err := quotas.List(ctx, ns, &metav1.ListOptions{ResourceVersion: "0"})
			if err != nil {
				return nil, err
			}
			return list.(*corev1.ResourceQuotaList).Items, nil
		},
		Charge: func(ctx context.Context, q *corev1.ResourceQuota, used corev1.ResourceList) error {
			_, _, err := quotaStatus.Update(ctx, q.Namespace, q.Name, func(_ context.Context, latest runtime.Object) (runtime.Object, error) {
				if latest == nil || latest.(metav1.Object).GetResourceVersion() != q.ResourceVersion {
					return nil, apierrors.NewConflict(corev1.Resource("resourcequotas"), q.Name, fmt.Errorf("changed since it was read"))
				}
				next := latest.(*corev1.ResourceQuota).DeepCopy()
				next.Status.Used = used
				return next, nil
			}, false, false)
			return err
		},
	}
	hooks := webhook.Config{Source: webhooks, Namespaces: cachedNamespace, Resolve: resolve, Equivalents: equivalents(catalog), Authorizer: a}
	// In kube-apiserver's order.
	plugins := []struct {
		name   string
		plugin any
	}{
		{namespacelifecycle.Name, namespacelifecycle.Plugin{Namespaces: get}},
		{limitranger.Name, limitranger.Plugin{LimitRanges: listLimitRanges}},
		{saadmission.Name, saadmission.Plugin{ServiceAccounts: getAccount}},
		{priority.Name, priority.Plugin{PriorityClasses: listPriorityClasses}},
		{defaulttolerationseconds.Name, defaulttolerationseconds.Plugin{}},
		{rcadmission.Name, rcadmission.Plugin{RuntimeClasses: getRuntimeClass}},
		{"", rbacescalation.Plugin{Authorizer: a, Rules: rules}},
		{webhook.MutatingName, webhook.Mutating{Config: hooks}},
		{policyadmission.Name, policyadmission.Plugin{Source: policies, Namespaces: cachedNamespace, Catalog: catalog, Equivalents: hooks.Equivalents, Authorizer: a}},
		{webhook.ValidatingName, webhook.Validating{Config: hooks}},
		{quotaadmission.Name, quota},
	}
	var chain admission.Chain
	for _, p := range plugins {
		if !slices.Contains(disabled, p.name) || p.name == "" {
			chain = append(chain, p.plugin)
		}
	}
	return chain, nil
}

// InstallCore serves the built-in API on s, published as ic says, with
// admit running on every write. Requests for other group versions go to
// the next server of the chain.
func InstallCore(s *server.GenericAPIServer, c server.CompletedConfig, ic installer.Config, admit admission.Interface) (*CoreAPI, error) {
	backend, err := c.OpenStorage(context.Background())
	if err != nil {
		return nil, err
	}
	api := &CoreAPI{Router: installer.NewRouter(ic, s.NextDelegate().UnprotectedHandler()), Catalog: ic.Catalog}
	namespaces, err := api.namespaceResource(backend, admit)
	if err != nil {
		return nil, err
	}
	accounts, err := serviceAccountResource(backend, admit, c.ServiceAccounts)
	if err != nil {
		return nil, err
	}
	via, err := newProxyTransports(c.Kubelet)
	if err != nil {
		return nil, err
	}
	alloc := newAllocators(backend, c.Services)
	services, repair, err := serviceResource(backend, admit, alloc, via.backends)
	if err != nil {
		return nil, err
	}
	pods, err := podResource(backend, admit, c.Kubelet, via.kubelets, via.backends)
	if err != nil {
		return nil, err
	}
	nodes, err := nodeResource(backend, admit, c.Kubelet, via)
	if err != nil {
		return nil, err
	}
	gvs := []rest.GroupVersion{{GroupVersion: corev1.SchemeGroupVersion, Resources: []rest.Resource{namespaces, accounts, services, pods, nodes}}}
	for _, w := range withStatus {
		r, err := statusResource(backend, admit, w.typ(), w.statusType(), w.replicas, w.more...)
		if err != nil {
			return nil, err
		}
		gvs = addResource(gvs, r)
	}
	for _, newType := range storageOnly {
		t := newType()
		store, err := generic.NewStore(backend, t, admit, "")
		if err != nil {
			return nil, err
		}
		gvs = addResource(gvs, store.Declaration())
	}
	// events.k8s.io/v1 serves the core events (the backend gives a store of
	// the same resource the same watch cache), validated as that API
	// validates them.
	newStyleEvents, err := generic.NewStore(backend, eventsv1.CoreType(), admit, "")
	if err != nil {
		return nil, err
	}
	gvs = addResource(gvs, eventsv1.Declaration(newStyleEvents))
	hpaV1, err := autoscalingV1(backend, admit)
	if err != nil {
		return nil, err
	}
	gvs = addResource(gvs, hpaV1)
	gvs = addResource(gvs, componentStatuses(backend).Declaration())
	for _, r := range review.Resources(c.Authorization, c.Authentication.Tokens, c.ServiceAccounts.Audiences) {
		gvs = addResource(gvs, r)
	}
	for _, gv := range gvs {
		if err := api.Router.SetGroupVersion(gv); err != nil {
			return nil, fmt.Errorf("installing %s: %w", gv.GroupVersion, err)
		}
	}
	api.Router.Install(s)
	ic.Discovery.Install(s)
	ic.OpenAPI.InstallHandlers(s)
	installDiscovery(s, c.ServiceAccounts.Discovery)

	defaultNamespace := make(chan struct{})
	if err := s.AddPostStartHook("default-namespaces", func(ctx context.Context) error {
		return api.createDefaultNamespaces(ctx, sync.OnceFunc(func() { close(defaultNamespace) }))
	}); err != nil {
		return nil, err
	}
	if err := s.AddPostStartHook("scheduling/bootstrap-system-priority-classes", api.createSystemPriorityClasses); err != nil {
		return nil, err
	}
	s.AddBackgroundTask("namespace-finalizer", api.finalizeNamespaces)
	s.AddBackgroundTask("service-allocation-repair", repair.Run)
	port := 0
	if tcp, ok := c.Serving.Listener.Addr().(*net.TCPAddr); ok {
		port = tcp.Port
	}
	kubernetes := newKubernetesService(api.Catalog, backend.Client(), backend.Config().Prefix, c.Services.AdvertiseAddress, port, alloc)
	kubernetes.namespaceCreated = defaultNamespace
	// The Service exists once the server is ready; its endpoints follow.
	if err := s.AddPostStartHook("bootstrap-controller", kubernetes.ensureService); err != nil {
		return nil, err
	}
	s.AddBackgroundTask("kubernetes-service", kubernetes.run)
	return api, nil
}

// autoscalingV1 serves autoscaling/v1 HorizontalPodAutoscalers (and their
// status) over the stored v2 objects, converted as kube converts them.
func autoscalingV1(backend *etcd3.Backend, admit admission.Interface) (rest.Resource, error) {
	store, err := generic.NewStore(backend, horizontalpodautoscaler.Type(), admit, "")
	if err != nil {
		return rest.Resource{}, err
	}
	status, err := generic.NewStore(backend, horizontalpodautoscaler.StatusType(), admit, "status")
	if err != nil {
		return rest.Resource{}, err
	}
	v1 := horizontalpodautoscaler.V1Storage(store)
	return rest.Resource{
		Info: horizontalpodautoscaler.V1Info(), Storage: v1, Table: v1.Table(),
		Defaults: func(obj runtime.Object) {
			horizontalpodautoscaler.DefaultV1(obj.(*autoscalingv1.HorizontalPodAutoscaler))
		},
		Subresources: []rest.Subresource{{Name: "status", Storage: horizontalpodautoscaler.V1Storage(status), Verbs: []string{"get", "patch", "update"}}},
	}, nil
}

// componentStatuses reports the health of each etcd endpoint.
func componentStatuses(backend *etcd3.Backend) componentstatus.Storage {
	var s componentstatus.Storage
	client := backend.Client()
	for _, ep := range client.Endpoints() {
		s.Members = append(s.Members, func(ctx context.Context) error {
			_, err := client.Status(ctx, ep)
			return err
		})
	}
	return s
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

// createSystemPriorityClasses makes sure the system PriorityClasses
// exist, through the served resource; replicas may all do it.
func (api *CoreAPI) createSystemPriorityClasses(ctx context.Context) error {
	r, ok := api.Catalog.Resource(priorityclass.Type().Info.GroupResource())
	if !ok {
		return fmt.Errorf("priorityclasses are not served")
	}
	creater, ok := r.Storage.(rest.Creater)
	if !ok {
		return fmt.Errorf("priorityclasses cannot be created")
	}
	for _, pc := range priorityclass.SystemPriorityClasses() {
		if _, err := creater.Create(ctx, "", pc, false); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating PriorityClass %s: %w", pc.Name, err)
		}
	}
	return nil
}

// createDefaultNamespaces makes sure the default namespaces exist.
func (api *CoreAPI) createDefaultNamespaces(ctx context.Context, defaultCreated func()) error {
	// At once: on a fresh etcd each create waits for admission's caches
	// and a commit, and the kubernetes Service waits for "default".
	errs := make([]error, len(DefaultNamespaces))
	var wg sync.WaitGroup
	for i, name := range DefaultNamespaces {
		wg.Go(func() {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
			if _, err := api.Namespaces.Create(ctx, "", ns, false); err != nil && !apierrors.IsAlreadyExists(err) {
				errs[i] = fmt.Errorf("creating namespace %s: %w", name, err)
				return
			}
			if name == metav1.NamespaceDefault {
				defaultCreated()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
