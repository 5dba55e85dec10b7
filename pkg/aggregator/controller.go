package aggregator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	apiregistrationv1 "github.com/apiserver/apiserver/pkg/apiregistration/v1"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/controller"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/server"
)

var (
	apiservices = apiregistrationv1.SchemeGroupVersion.WithResource("apiservices").GroupResource()
	services    = schema.GroupResource{Resource: "services"}
	endpoints   = schema.GroupResource{Resource: "endpoints"}
)

// probeInterval is how often an APIService with a Service is probed:
// kube-apiserver probes every 30 s; a backend that went away should not
// be proxied to for long.
const probeInterval = 5 * time.Second

// openAPIInterval is how often a backend's OpenAPI documents are read
// again while it stays available.
const openAPIInterval = time.Minute

// probeTimeout bounds one probe, as kube's five seconds.
const probeTimeout = 5 * time.Second

// aggregatorUser is who the probes are from, as kube's aggregator says.
var aggregatorUser = &user.Info{Name: "system:kube-aggregator", Groups: []string{user.SystemPrivilegedGroup}}

// clients are how the aggregator reads and writes: the server's loopback
// client, through the API like any other controller. They are dynamic
// clients: client-go's typed clientset would add 28 MB to the binary and
// to its memory for the three core types read here.
type clients struct {
	apiservices, services, endpoints, configmaps dynamic.NamespaceableResourceInterface
}

func newClients(ctx context.Context) (clients, error) {
	config := server.LoopbackClientConfigFrom(ctx)
	if config == nil {
		return clients{}, fmt.Errorf("the server has no loopback client")
	}
	// The dynamic client speaks JSON.
	config.ContentType, config.AcceptContentTypes = "application/json", "application/json"
	dyn, err := dynamic.NewForConfig(config)
	if err != nil {
		return clients{}, err
	}
	core := corev1.SchemeGroupVersion
	return clients{
		apiservices: dyn.Resource(apiregistrationv1.SchemeGroupVersion.WithResource("apiservices")),
		services:    dyn.Resource(core.WithResource("services")),
		endpoints:   dyn.Resource(core.WithResource("endpoints")),
		configmaps:  dyn.Resource(core.WithResource("configmaps")),
	}, nil
}

// getTyped reads ns/name with r into out, a Go type of the resource.
func getTyped(ctx context.Context, r dynamic.NamespaceableResourceInterface, ns, name string, out any) error {
	u, err := r.Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out)
}

// get reads the APIService name.
func (c clients) get(ctx context.Context, name string) (*apiregistrationv1.APIService, error) {
	u, err := c.apiservices.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return fromUnstructured(u)
}

func fromUnstructured(u *unstructured.Unstructured) (*apiregistrationv1.APIService, error) {
	svc := &apiregistrationv1.APIService{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, svc); err != nil {
		return nil, fmt.Errorf("decoding APIService %s: %w", u.GetName(), err)
	}
	return svc, nil
}

func toUnstructured(svc *apiregistrationv1.APIService) (*unstructured.Unstructured, error) {
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(svc)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetAPIVersion(apiregistrationv1.SchemeGroupVersion.String())
	u.SetKind("APIService")
	return u, nil
}

// Run keeps every APIService's Available condition and the routing,
// discovery and OpenAPI of those with a Service, until ctx ends. Each
// replica does the same from fresh reads; a status is written only when
// it changes.
func (a *Aggregator) Run(ctx context.Context) {
	log := klog.FromContext(ctx).WithName("apiservice-availability")
	s, err := newClients(ctx)
	if err != nil {
		log.Error(err, "Not serving APIServices")
		return
	}
	queue := controller.NewQueue[string]("apiservice-availability", 100*time.Millisecond, 10*time.Second)
	defer queue.ShutDown()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			return s.apiservices.List(ctx, opts)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return s.apiservices.Watch(ctx, opts)
		},
	}
	inf := cache.NewSharedIndexInformer(lw, &unstructured.Unstructured{}, 0, cache.Indexers{})
	enqueue := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		if m, ok := obj.(metav1.Object); ok {
			queue.Add(m.GetName())
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }, DeleteFunc: enqueue}); err != nil {
		log.Error(err, "Following APIServices failed; not serving them")
		return
	}
	go inf.RunWithContext(ctx)
	fetched := map[string]time.Time{}
	controller.Run(ctx, queue, func(ctx context.Context, name string) error {
		again, err := a.sync(ctx, s, name, fetched)
		if again {
			queue.AddAfter(name, probeInterval)
		}
		return err
	}, func(name string, err error) {
		log.V(2).Info("Keeping an APIService failed; retrying", "apiService", name, "err", err)
	})
}

// sync brings the APIService name up to date from fresh reads; again says
// to look again after probeInterval (a remote one is probed for as long
// as it exists).
func (a *Aggregator) sync(ctx context.Context, s clients, name string, fetched map[string]time.Time) (again bool, err error) {
	svc, err := s.get(ctx, name)
	if apierrors.IsNotFound(err) {
		a.forget(name)
		delete(fetched, name)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	gv := schema.GroupVersion{Group: svc.Spec.Group, Version: svc.Spec.Version}
	if svc.IsLocal() {
		a.remove(gv)
		return false, a.setCondition(ctx, s, svc, apiregistrationv1.ConditionTrue, "Local", "Local APIServices are always available")
	}
	b, cond := a.probe(ctx, s, svc)
	if cond != nil {
		a.setRemote(gv, nil)
		a.config.Discovery.RemoveGroupVersion(gv)
		a.config.OpenAPI.RemoveRemoteGroupVersion(gv)
		delete(fetched, name)
		return true, a.setCondition(ctx, s, svc, apiregistrationv1.ConditionFalse, cond.reason, cond.message)
	}
	a.setRemote(gv, b)
	if time.Since(fetched[name]) > openAPIInterval {
		if err := a.publishDocuments(ctx, gv, b); err != nil {
			klog.FromContext(ctx).V(2).Info("Reading an aggregated API's documents failed", "apiService", name, "err", err)
		} else {
			fetched[name] = time.Now()
		}
	}
	return true, a.setCondition(ctx, s, svc, apiregistrationv1.ConditionTrue, "Passed", "all checks passed")
}

// forget stops serving whatever the deleted APIService name served.
func (a *Aggregator) forget(name string) {
	a.mu.Lock()
	var gone []schema.GroupVersion
	for gv := range a.remotes {
		if apiregistrationv1.Name(gv) == name {
			gone = append(gone, gv)
			delete(a.remotes, gv)
		}
	}
	a.mu.Unlock()
	for _, gv := range gone {
		a.config.Discovery.RemoveGroupVersion(gv)
		a.config.OpenAPI.RemoveRemoteGroupVersion(gv)
	}
}

// probe resolves the backend of svc and asks it for its discovery
// document, as kube's availability controller does.
func (a *Aggregator) probe(ctx context.Context, s clients, svc *apiregistrationv1.APIService) (*backend, *condition) {
	ref := svc.Spec.Service
	service, eps := &corev1.Service{}, &corev1.Endpoints{}
	if err := getTyped(ctx, s.services, ref.Namespace, ref.Name, service); apierrors.IsNotFound(err) {
		service = nil
	} else if err != nil {
		return nil, &condition{"ServiceAccessError", fmt.Sprintf("service/%s in %q cannot be checked due to: %v", ref.Name, ref.Namespace, err)}
	}
	if service == nil || service.Spec.Type == corev1.ServiceTypeExternalName {
		eps = nil
	} else if err := getTyped(ctx, s.endpoints, ref.Namespace, ref.Name, eps); apierrors.IsNotFound(err) {
		eps = nil
	} else if err != nil {
		return nil, &condition{"EndpointsAccessError", fmt.Sprintf("service/%s in %q cannot be checked due to: %v", ref.Name, ref.Namespace, err)}
	}
	location, cond := resolve(svc, service, eps)
	if cond != nil {
		return nil, cond
	}
	key := fmt.Sprintf("%s|%x|%t|%s", location.Host, svc.Spec.CABundle, svc.Spec.InsecureSkipTLSVerify, svc.Spec.Service.Name)
	b := a.current(schema.GroupVersion{Group: svc.Spec.Group, Version: svc.Spec.Version})
	if b == nil || b.key != key {
		via, err := a.transports(svc)
		if err != nil {
			return nil, &condition{"FailedDiscoveryCheck", err.Error()}
		}
		b = &backend{location: location, via: via, key: key}
	}
	discoveryURL := location.String() + "/apis/" + svc.Spec.Group + "/" + svc.Spec.Version
	body, err := b.get(ctx, discoveryURL)
	if err != nil {
		return nil, &condition{"FailedDiscoveryCheck", fmt.Sprintf("failing or missing response from %s: %v", discoveryURL, err)}
	}
	var list metav1.APIResourceList
	if err := json.Unmarshal(body, &list); err == nil {
		gv := schema.GroupVersion{Group: svc.Spec.Group, Version: svc.Spec.Version}
		a.config.Discovery.SetGroupVersion(gv, list.APIResources, true)
	}
	return b, nil
}

// get reads url from the backend as the aggregator itself.
func (b *backend) get(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(request.WithUser(ctx, aggregatorUser), probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := b.via.Plain.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < http.StatusOK || resp.StatusCode >= http.StatusMultipleChoices {
		return nil, fmt.Errorf("bad status from %s: %d", url, resp.StatusCode)
	}
	return body, nil
}

// publishDocuments merges the backend's OpenAPI documents of gv into this
// server's.
func (a *Aggregator) publishDocuments(ctx context.Context, gv schema.GroupVersion, b *backend) error {
	base := b.location.String()
	v2, err := b.get(ctx, base+"/openapi/v2")
	if err != nil {
		v2 = nil
	}
	v3, err3 := b.get(ctx, base+"/openapi/v3/apis/"+gv.Group+"/"+gv.Version)
	if err3 != nil {
		v3 = nil
	}
	if v2 == nil && v3 == nil {
		return fmt.Errorf("no OpenAPI document: %v; %v", err, err3)
	}
	return a.config.OpenAPI.SetRemoteGroupVersion(gv, v2, v3)
}

// setCondition writes the Available condition when it changed, on a
// fresh read when another writer got there first.
func (a *Aggregator) setCondition(ctx context.Context, s clients, svc *apiregistrationv1.APIService, status apiregistrationv1.ConditionStatus, reason, message string) error {
	for {
		if c, ok := svc.Available(); ok && c.Status == status && c.Reason == reason && c.Message == message {
			return nil
		}
		next := svc.DeepCopy()
		next.SetAvailable(apiregistrationv1.APIServiceCondition{Status: status, Reason: reason, Message: message})
		u, err := toUnstructured(next)
		if err != nil {
			return err
		}
		_, err = s.apiservices.UpdateStatus(ctx, u, metav1.UpdateOptions{})
		if !apierrors.IsConflict(err) {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		}
		if svc, err = s.get(ctx, svc.Name); err != nil {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		}
	}
}
