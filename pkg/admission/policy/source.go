package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/controller"
	vap "github.com/apiserver/apiserver/pkg/registry/admissionregistration/policy"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// binding is a binding with its matchResources parsed.
type binding struct {
	src   *admissionregistrationv1.ValidatingAdmissionPolicyBinding
	match *matcher
	err   error
}

// Source keeps the compiled policies (by name) and the bindings (by
// name order), read from a watch.
type Source struct {
	policies atomic.Pointer[map[string]*compiled]
	bindings atomic.Pointer[[]*binding]
	synced   chan struct{}
	once     sync.Once
}

// NewSource returns a Source that knows nothing until Run has read the
// policies and bindings.
func NewSource() *Source {
	s := &Source{synced: make(chan struct{})}
	s.policies.Store(&map[string]*compiled{})
	s.bindings.Store(&[]*binding{})
	return s
}

// Run follows policies and bindings in catalog until ctx ends, and
// records each policy's observedGeneration and type check in its status.
func (s *Source) Run(ctx context.Context, catalog *rest.Catalog) {
	logger := klog.FromContext(ctx)
	none := func() { s.once.Do(func() { close(s.synced) }) }
	informer := func(t rest.Type) (cache.SharedIndexInformer, rest.Resource, bool) {
		r, ok := catalog.Resource(t.Info.GroupResource())
		if !ok {
			logger.Error(nil, "Admission policies not served; none is enforced", "resource", t.Info.Resource)
			return nil, r, false
		}
		lw, ok := rest.ListWatch(r.Storage)
		if !ok {
			logger.Error(nil, "Admission policies cannot be followed; none is enforced", "resource", t.Info.Resource)
			return nil, r, false
		}
		return cache.NewSharedIndexInformer(lw, r.Storage.New(), 0, cache.Indexers{}), r, true
	}
	policies, policyResource, ok := informer(vap.Type())
	if !ok {
		none()
		return
	}
	bindings, _, ok := informer(vap.BindingType())
	if !ok {
		none()
		return
	}
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer queue.ShutDown()
	rebuildPolicies := func() {
		out := map[string]*compiled{}
		for _, obj := range policies.GetStore().List() {
			p := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy)
			out[p.Name] = compile(p)
		}
		s.policies.Store(&out)
	}
	rebuildBindings := func() {
		objs := bindings.GetStore().List()
		out := make([]*binding, 0, len(objs))
		for _, obj := range objs {
			b := obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
			m, err := newMatcher(b.Spec.MatchResources)
			out = append(out, &binding{src: b, match: m, err: err})
		}
		slices.SortFunc(out, func(a, b *binding) int { return strings.Compare(a.src.Name, b.src.Name) })
		s.bindings.Store(&out)
	}
	onPolicy := func(obj any) {
		rebuildPolicies()
		if p, ok := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy); ok && p.Status.ObservedGeneration != p.Generation {
			queue.Add(p.Name)
		}
	}
	if _, err := policies.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: onPolicy, UpdateFunc: func(_, obj any) { onPolicy(obj) }, DeleteFunc: func(any) { rebuildPolicies() },
	}); err != nil {
		logger.Error(err, "Following admission policies failed")
		none()
		return
	}
	if _, err := bindings.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { rebuildBindings() }, UpdateFunc: func(any, any) { rebuildBindings() }, DeleteFunc: func(any) { rebuildBindings() },
	}); err != nil {
		logger.Error(err, "Following admission policy bindings failed")
		none()
		return
	}
	go policies.RunWithContext(ctx)
	go bindings.RunWithContext(ctx)
	if !controller.WaitForSync(ctx, policies.HasSynced, bindings.HasSynced) {
		return
	}
	none()
	status := statusUpdater(policyResource, catalog)
	go func() {
		<-ctx.Done()
		queue.ShutDown()
	}()
	for {
		name, quit := queue.Get()
		if quit {
			return
		}
		if err := status(ctx, name); err != nil {
			logger.Error(err, "Recording an admission policy's status failed; retrying", "policy", name)
			queue.AddRateLimited(name)
		} else {
			queue.Forget(name)
		}
		queue.Done(name)
	}
}

// statusUpdater writes a policy's observedGeneration and the warnings of
// its type check (against the kinds of catalog) through its status
// subresource, on a fresh read: replicas doing the same write agree.
func statusUpdater(r rest.Resource, catalog *rest.Catalog) func(ctx context.Context, name string) error {
	var updater rest.Updater
	for _, sub := range r.Subresources {
		if u, ok := sub.Storage.(rest.Updater); ok && sub.Name == "status" {
			updater = u
		}
	}
	return func(ctx context.Context, name string) error {
		if updater == nil {
			return fmt.Errorf("validatingadmissionpolicies/status is not served")
		}
		_, _, err := updater.Update(ctx, "", name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
			if current == nil {
				return nil, errGone
			}
			p := current.(*admissionregistrationv1.ValidatingAdmissionPolicy).DeepCopy()
			if p.Status.ObservedGeneration == p.Generation {
				return p, nil
			}
			p.Status.ObservedGeneration = p.Generation
			p.Status.TypeChecking = &admissionregistrationv1.TypeChecking{ExpressionWarnings: typeCheck(catalog, p)}
			return p, nil
		}, false, false)
		if errors.Is(err, errGone) || apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
}

// WaitForSync returns once policies and bindings have been read, or ctx
// ended.
func (s *Source) WaitForSync(ctx context.Context) error {
	select {
	case <-s.synced:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errGone ends a status write for a policy deleted meanwhile.
var errGone = errors.New("policy deleted")
