package webhook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/cel"
	"github.com/apiserver/apiserver/pkg/client/webhookclient"
	"github.com/apiserver/apiserver/pkg/controller"
	"github.com/apiserver/apiserver/pkg/registry/admissionregistration/webhookconfiguration"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// hook is a webhook ready to be matched and called.
type hook struct {
	webhookconfiguration.Hook
	namespaceSelector labels.Selector
	objectSelector    labels.Selector
	conditions        []condition
	// err is why the webhook cannot be used (a selector or condition that
	// does not compile); calling it fails as its failurePolicy says.
	err error

	clientOnce sync.Once
	httpClient *webhookclient.Client
	clientErr  error
}

type condition struct {
	name string
	prg  *cel.Program
}

// newHook prepares h.
func newHook(h webhookconfiguration.Hook) *hook {
	out := &hook{Hook: h, namespaceSelector: labels.Everything(), objectSelector: labels.Everything()}
	var err error
	if h.NamespaceSelector != nil {
		if out.namespaceSelector, err = metav1.LabelSelectorAsSelector(h.NamespaceSelector); err != nil {
			out.err = fmt.Errorf("invalid namespaceSelector: %w", err)
			return out
		}
	}
	if h.ObjectSelector != nil {
		if out.objectSelector, err = metav1.LabelSelectorAsSelector(h.ObjectSelector); err != nil {
			out.err = fmt.Errorf("invalid objectSelector: %w", err)
			return out
		}
	}
	env, err := cel.AdmissionEnv()
	if err != nil {
		out.err = err
		return out
	}
	for _, c := range h.MatchConditions {
		prg, err := env.Compile(strings.TrimSpace(c.Expression), cel.BoolType)
		if err != nil {
			out.err = fmt.Errorf("matchCondition %q: %w", c.Name, err)
			return out
		}
		out.conditions = append(out.conditions, condition{name: c.Name, prg: prg})
	}
	return out
}

// Source keeps the webhooks of every configuration, read from a watch of
// the two resources, ordered as kube-apiserver orders them: by
// configuration name, then as listed.
type Source struct {
	mutating, validating atomic.Pointer[[]*hook]
	synced               chan struct{}
	once                 sync.Once
}

// NewSource returns a Source that knows no webhook until Run has read
// the configurations.
func NewSource() *Source {
	s := &Source{synced: make(chan struct{})}
	s.mutating.Store(&[]*hook{})
	s.validating.Store(&[]*hook{})
	return s
}

// Run follows the configurations of catalog until ctx ends.
func (s *Source) Run(ctx context.Context, catalog *rest.Catalog) {
	logger := klog.FromContext(ctx)
	// Without the resources there are no webhooks: admission need not
	// wait for them.
	none := func() { s.once.Do(func() { close(s.synced) }) }
	var synced []cache.InformerSynced
	for _, f := range []struct {
		typ     rest.Type
		into    *atomic.Pointer[[]*hook]
		extract func(obj any) []webhookconfiguration.Hook
	}{
		{webhookconfiguration.MutatingType(), &s.mutating, func(obj any) []webhookconfiguration.Hook {
			return webhookconfiguration.MutatingHooks(obj.(*admissionregistrationv1.MutatingWebhookConfiguration))
		}},
		{webhookconfiguration.ValidatingType(), &s.validating, func(obj any) []webhookconfiguration.Hook {
			return webhookconfiguration.ValidatingHooks(obj.(*admissionregistrationv1.ValidatingWebhookConfiguration))
		}},
	} {
		r, ok := catalog.Resource(f.typ.Info.GroupResource())
		if !ok {
			logger.Error(nil, "Webhook configurations not served; no webhook is called", "resource", f.typ.Info.Resource)
			none()
			return
		}
		lw, ok := rest.ListWatch(r.Storage)
		if !ok {
			logger.Error(nil, "Webhook configurations cannot be followed; no webhook is called", "resource", f.typ.Info.Resource)
			none()
			return
		}
		inf := cache.NewSharedIndexInformer(lw, r.Storage.New(), 0, cache.Indexers{})
		into, extract := f.into, f.extract
		rebuild := func() { into.Store(build(inf.GetStore().List(), extract)) }
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { rebuild() },
			UpdateFunc: func(any, any) { rebuild() },
			DeleteFunc: func(any) { rebuild() },
		}); err != nil {
			logger.Error(err, "Following webhook configurations failed", "resource", f.typ.Info.Resource)
			return
		}
		go inf.RunWithContext(ctx)
		synced = append(synced, inf.HasSynced)
	}
	if controller.WaitForSync(ctx, synced...) {
		none()
	}
	<-ctx.Done()
}

// build prepares the webhooks of configs, sorted by configuration name.
func build(configs []any, extract func(any) []webhookconfiguration.Hook) *[]*hook {
	slices.SortFunc(configs, func(a, b any) int {
		return strings.Compare(a.(metav1.Object).GetName(), b.(metav1.Object).GetName())
	})
	var hooks []*hook
	for _, c := range configs {
		for _, h := range extract(c) {
			hooks = append(hooks, newHook(h))
		}
	}
	return &hooks
}

// WaitForSync returns once the configurations have been read, or ctx
// ended: admission must not let a write pass a webhook it has not read.
func (s *Source) WaitForSync(ctx context.Context) error {
	select {
	case <-s.synced:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Source) hooks(mutating bool) []*hook {
	if mutating {
		return *s.mutating.Load()
	}
	return *s.validating.Load()
}
