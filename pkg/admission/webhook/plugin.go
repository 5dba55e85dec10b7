package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"time"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/audit"
	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/cel"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/metrics"
)

// Names of the plugins, as --disable-admission-plugins knows them.
const (
	MutatingName   = "MutatingAdmissionWebhook"
	ValidatingName = "ValidatingAdmissionWebhook"
)

// Config is what both plugins need.
type Config struct {
	Source *Source
	// Namespaces reads a namespace's labels for namespaceSelector.
	Namespaces NamespaceGetter
	// Resolve finds a Service's endpoint.
	Resolve ServiceResolver
	// Equivalents lists the versions under which a request's resource is
	// served that its object converts to, for matchPolicy Equivalent.
	Equivalents func(a *admission.Attributes) []Version
	// Authorizer answers matchConditions' authorizer checks.
	Authorizer authz.Authorizer
}

// Mutating is the MutatingAdmissionWebhook plugin.
type Mutating struct{ Config }

// Validating is the ValidatingAdmissionWebhook plugin.
type Validating struct{ Config }

var (
	_ admission.MutationInterface   = Mutating{}
	_ admission.ValidationInterface = Validating{}
)

// invocation is one webhook to call, and the version it sees.
type invocation struct {
	hook    *hook
	version Version
}

// matching returns the webhooks of the kind asked for that a concerns.
func (c Config) matching(ctx context.Context, a *admission.Attributes, mutating bool) ([]invocation, error) {
	if admission.IsConfiguration(a) || c.Source == nil {
		return nil, nil
	}
	if err := c.Source.WaitForSync(ctx); err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("webhook configurations not yet read: %w", err))
	}
	hooks := c.Source.hooks(mutating)
	if len(hooks) == 0 {
		return nil, nil
	}
	var equivalents []Version
	if c.Equivalents != nil {
		equivalents = c.Equivalents(a)
	}
	var out []invocation
	var vars map[string]any
	for _, h := range hooks {
		v, ok := h.matchVersion(a, equivalents)
		if !ok || !h.matchObject(a) {
			continue
		}
		ok, err := h.matchNamespace(ctx, a, c.Namespaces)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		if !ok {
			continue
		}
		if len(h.conditions) > 0 {
			if vars == nil {
				vars = conditionVars(a)
				vars["authorizer"] = cel.Authorizer(ctx, c.Authorizer, a.User)
			}
			ok, err := h.matchConditions(ctx, vars)
			if err != nil {
				if ignore(h) {
					klog.FromContext(ctx).Error(err, "Failed evaluating match conditions, failing open", "webhook", h.Name)
					continue
				}
				return nil, apierrors.NewInternalError(err)
			}
			if !ok {
				continue
			}
		}
		out = append(out, invocation{hook: h, version: v})
	}
	return out, nil
}

// conditionVars are the CEL variables of a's matchConditions.
func conditionVars(a *admission.Attributes) map[string]any {
	return map[string]any{"object": cel.ObjectValue(a.Object), "oldObject": cel.ObjectValue(a.OldObject), "request": cel.RequestValue(a)}
}

// matchConditions reports whether every condition holds; the first false
// one ends the evaluation, and an error is the webhook's failure.
func (h *hook) matchConditions(ctx context.Context, vars map[string]any) (bool, error) {
	var errs []error
	for _, c := range h.conditions {
		ok, err := c.prg.EvalBool(ctx, vars)
		if err != nil {
			errs = append(errs, fmt.Errorf("failed to evaluate match condition %q: %w", c.name, err))
			continue
		}
		if !ok {
			return false, nil
		}
	}
	if len(errs) > 0 {
		return false, fmt.Errorf("failed calling webhook %q: %w", h.Name, errors.Join(errs...))
	}
	return true, nil
}

func ignore(h *hook) bool {
	return h.FailurePolicy != nil && *h.FailurePolicy == admissionregistrationv1.Ignore
}

// Admit calls the matching mutating webhooks in order, applying their
// patches; those with reinvocationPolicy IfNeeded are called once more
// when a later webhook changed the object after them.
func (p Mutating) Admit(ctx context.Context, a *admission.Attributes) error {
	invs, err := p.matching(ctx, a, true)
	if err != nil || len(invs) == 0 {
		return err
	}
	lastChange := -1
	for i, inv := range invs {
		changed, err := p.callMutating(ctx, a, inv)
		if err != nil {
			return err
		}
		if changed {
			lastChange = i
		}
	}
	for i, inv := range invs {
		if i >= lastChange {
			break
		}
		if rp := inv.hook.ReinvocationPolicy; rp == nil || *rp != admissionregistrationv1.IfNeededReinvocationPolicy {
			continue
		}
		if _, err := p.callMutating(ctx, a, inv); err != nil {
			return err
		}
	}
	return nil
}

// callMutating calls one mutating webhook and applies its patch,
// reporting whether the object changed.
func (p Mutating) callMutating(ctx context.Context, a *admission.Attributes, inv invocation) (bool, error) {
	resp, err := p.call(ctx, a, inv)
	if err != nil || resp == nil {
		return false, err
	}
	if len(resp.Patch) == 0 || a.Object == nil {
		return false, nil
	}
	changed, err := applyPatch(a, inv.version, resp.Patch)
	if err != nil {
		return false, apierrors.NewInternalError(fmt.Errorf("applying the patch of webhook %q: %w", inv.hook.Name, err))
	}
	return changed, nil
}

// applyPatch applies a JSON patch to the object of a, as seen in version
// v, and puts the result in place (the store keeps the object it handed
// to admission).
func applyPatch(a *admission.Attributes, v Version, patch []byte) (bool, error) {
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return false, err
	}
	seen, err := v.in(a.Object)
	if err != nil {
		return false, err
	}
	doc, err := encode(seen, v.Kind)
	if err != nil {
		return false, err
	}
	patched, err := p.Apply(doc)
	if err != nil {
		return false, err
	}
	if u, ok := a.Object.(*unstructured.Unstructured); ok {
		var content map[string]any
		if err := utiljson.Unmarshal(patched, &content); err != nil {
			return false, err
		}
		// Back in the request's version.
		content["apiVersion"], content["kind"] = u.GetAPIVersion(), u.GetKind()
		if u.GetAPIVersion() == "" {
			content["apiVersion"], content["kind"] = a.Kind.GroupVersion().String(), a.Kind.Kind
		}
		if equality.Semantic.DeepEqual(content, u.Object) {
			return false, nil
		}
		u.Object = content
		return true, nil
	}
	out := reflect.New(reflect.TypeOf(seen).Elem()).Interface().(runtime.Object)
	if err := json.Unmarshal(patched, out); err != nil {
		return false, err
	}
	if v.From != nil {
		// Back in the request's version.
		if out, err = v.From(out); err != nil {
			return false, err
		}
	}
	out.GetObjectKind().SetGroupVersionKind(a.Object.GetObjectKind().GroupVersionKind())
	if a.Default != nil {
		a.Default(out)
	}
	if equality.Semantic.DeepEqual(out, a.Object) {
		return false, nil
	}
	reflect.ValueOf(a.Object).Elem().Set(reflect.ValueOf(out).Elem())
	return true, nil
}

// Validate calls the matching validating webhooks in parallel; the first
// refusal (in webhook order) is the answer.
func (p Validating) Validate(ctx context.Context, a *admission.Attributes) error {
	invs, err := p.matching(ctx, a, false)
	if err != nil || len(invs) == 0 {
		return err
	}
	if len(invs) == 1 {
		_, err := p.call(ctx, a, invs[0])
		return err
	}
	errs := make([]error, len(invs))
	var wg sync.WaitGroup
	for i, inv := range invs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.call(ctx, a, inv)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// call calls one webhook and turns its answer into the request's:
// a response to apply (nil when a failure was ignored) or an error.
func (c Config) call(ctx context.Context, a *admission.Attributes, inv invocation) (*admissionv1.AdmissionResponse, error) {
	h := inv.hook
	if a.DryRun && (h.SideEffects == nil || (*h.SideEffects != admissionregistrationv1.SideEffectClassNone &&
		*h.SideEffects != admissionregistrationv1.SideEffectClassNoneOnDryRun)) {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("admission webhook %q does not support dry run", h.Name))
	}
	review, err := newReview(a, inv.version)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("encoding the AdmissionReview for webhook %q: %w", h.Name, err))
	}
	start := time.Now()
	resp, err := h.call(ctx, c.Resolve, review)
	typ := "validating"
	if h.Mutating {
		typ = "admit"
	}
	metrics.ObserveWebhook(h.Name, typ, string(a.Operation), err != nil || (resp != nil && !resp.Allowed), time.Since(start))
	if err != nil {
		if ignore(h) {
			klog.FromContext(ctx).Error(err, "Failed calling webhook, failing open", "webhook", h.Name, "configuration", h.Configuration)
			return nil, nil
		}
		klog.FromContext(ctx).Error(err, "Failed calling webhook, failing closed", "webhook", h.Name, "configuration", h.Configuration)
		return nil, apierrors.NewInternalError(err)
	}
	rec := audit.RecordFrom(ctx)
	for k, v := range resp.AuditAnnotations {
		rec.Annotate(h.Name+"/"+k, v)
	}
	for _, w := range resp.Warnings {
		request.AddWarning(ctx, w)
	}
	if !resp.Allowed {
		return nil, refused(h.Name, resp.Result)
	}
	return resp, nil
}

// refused is the error of a webhook's refusal, from the status it gave.
func refused(name string, result *metav1.Status) error {
	st := metav1.Status{}
	if result != nil {
		st = *result.DeepCopy()
	}
	if st.Code < http.StatusBadRequest {
		st.Code = http.StatusBadRequest
	}
	if st.Status == "" || st.Status == metav1.StatusSuccess {
		st.Status = metav1.StatusFailure
	}
	by := fmt.Sprintf("admission webhook %q denied the request", name)
	switch {
	case st.Message != "":
		st.Message = by + ": " + st.Message
	case st.Reason != "":
		st.Message = by + ": " + string(st.Reason)
	default:
		st.Message = by + " without explanation"
	}
	return &apierrors.StatusError{ErrStatus: st}
}
