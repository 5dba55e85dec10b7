package webhook

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/admissionregistration/webhookconfiguration"
)

func ptr[T any](v T) *T { return &v }

var (
	pods     = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	podKind  = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
	widgetsB = schema.GroupVersionResource{Group: "example.com", Version: "v1beta1", Resource: "widgets"}
	widgetsA = schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}
)

func rule(ops []admissionregistrationv1.OperationType, groups, versions, resources []string, scope admissionregistrationv1.ScopeType) admissionregistrationv1.RuleWithOperations {
	return admissionregistrationv1.RuleWithOperations{Operations: ops,
		Rule: admissionregistrationv1.Rule{APIGroups: groups, APIVersions: versions, Resources: resources, Scope: &scope}}
}

func TestRuleMatches(t *testing.T) {
	create := []admissionregistrationv1.OperationType{admissionregistrationv1.Create}
	all := []admissionregistrationv1.OperationType{admissionregistrationv1.OperationAll}
	tests := []struct {
		name    string
		rule    admissionregistrationv1.RuleWithOperations
		op      admission.Operation
		sub, ns string
		want    bool
	}{
		{"exact", rule(create, []string{""}, []string{"v1"}, []string{"pods"}, "*"), admission.Create, "", "ns", true},
		{"other operation", rule(create, []string{""}, []string{"v1"}, []string{"pods"}, "*"), admission.Update, "", "ns", false},
		{"wildcard operation", rule(all, []string{"*"}, []string{"*"}, []string{"*"}, "*"), admission.Delete, "", "ns", true},
		{"* leaves subresources out", rule(all, []string{"*"}, []string{"*"}, []string{"*"}, "*"), admission.Update, "status", "ns", false},
		{"*/* covers subresources", rule(all, []string{"*"}, []string{"*"}, []string{"*/*"}, "*"), admission.Update, "status", "ns", true},
		{"pods/*", rule(all, []string{""}, []string{"v1"}, []string{"pods/*"}, "*"), admission.Update, "status", "ns", true},
		{"*/status", rule(all, []string{""}, []string{"v1"}, []string{"*/status"}, "*"), admission.Update, "status", "ns", true},
		{"pods/status not pods", rule(all, []string{""}, []string{"v1"}, []string{"pods/status"}, "*"), admission.Update, "", "ns", false},
		{"other group", rule(all, []string{"apps"}, []string{"v1"}, []string{"pods"}, "*"), admission.Create, "", "ns", false},
		{"other version", rule(all, []string{""}, []string{"v2"}, []string{"pods"}, "*"), admission.Create, "", "ns", false},
		{"cluster scope", rule(all, []string{""}, []string{"v1"}, []string{"pods"}, "Cluster"), admission.Create, "", "ns", false},
		{"namespaced scope", rule(all, []string{""}, []string{"v1"}, []string{"pods"}, "Namespaced"), admission.Create, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RuleMatches(tc.rule, tc.op, pods, tc.sub, tc.ns); got != tc.want {
				t.Errorf("RuleMatches = %v, want %v", got, tc.want)
			}
		})
	}
}

// matchPolicy Equivalent calls a webhook registered for another version
// of the resource, with that version; Exact does not.
func TestMatchPolicy(t *testing.T) {
	r := rule([]admissionregistrationv1.OperationType{"*"}, []string{"example.com"}, []string{"v1"}, []string{"widgets"}, "*")
	equivalents := []Version{{Resource: widgetsA, Kind: widgetsA.GroupVersion().WithKind("Widget")}, {Resource: widgetsB, Kind: widgetsB.GroupVersion().WithKind("Widget")}}
	a := &admission.Attributes{Operation: admission.Create, Resource: widgetsB, Kind: widgetsB.GroupVersion().WithKind("Widget")}
	for _, tc := range []struct {
		policy admissionregistrationv1.MatchPolicyType
		want   bool
	}{{admissionregistrationv1.Equivalent, true}, {admissionregistrationv1.Exact, false}} {
		h := newHook(webhookconfiguration.Hook{Rules: []admissionregistrationv1.RuleWithOperations{r}, MatchPolicy: &tc.policy})
		v, ok := h.matchVersion(a, equivalents)
		if ok != tc.want || (ok && v.Resource != widgetsA) {
			t.Errorf("%s: %v %v", tc.policy, v, ok)
		}
	}
}

func TestSelectors(t *testing.T) {
	h := newHook(webhookconfiguration.Hook{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}},
		ObjectSelector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
	})
	labeled := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}}
	plain := &corev1.Pod{}
	if !h.matchObject(&admission.Attributes{Object: plain, OldObject: labeled}) {
		t.Error("the old object's labels do not count")
	}
	if h.matchObject(&admission.Attributes{Object: plain}) {
		t.Error("an unlabeled object matched")
	}
	get := func(_ context.Context, name string) (*corev1.Namespace, error) {
		if name == "prod" {
			return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"env": "prod"}}}, nil
		}
		return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		a    *admission.Attributes
		want bool
	}{
		{&admission.Attributes{Resource: pods, Namespace: "prod"}, true},
		{&admission.Attributes{Resource: pods, Namespace: "dev"}, false},
		{&admission.Attributes{Resource: schema.GroupVersionResource{Version: "v1", Resource: "nodes"}}, true},
		{&admission.Attributes{Resource: schema.GroupVersionResource{Version: "v1", Resource: "namespaces"},
			Object: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"env": "prod"}}}}, true},
	} {
		got, err := h.matchNamespace(ctx, tc.a, get)
		if tc.a.Namespace == "dev" {
			if !apierrors.IsNotFound(err) {
				t.Errorf("a missing namespace: %v", err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%+v: %v, %v", tc.a, got, err)
		}
	}
}

func TestEncode(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}}
	data, err := encode(pod, podKind)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"`) {
		t.Errorf("encoded %s", data)
	}
	if pod.Kind != "" {
		t.Error("the object was changed")
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1beta1", "kind": "Widget"}}
	data, err = encode(u, widgetsA.GroupVersion().WithKind("Widget"))
	if err != nil || string(data) != `{"apiVersion":"example.com/v1","kind":"Widget"}` || u.GetAPIVersion() != "example.com/v1beta1" {
		t.Errorf("converted %s, %v; original %v", data, err, u.Object)
	}
}

func TestVerify(t *testing.T) {
	jsonPatch := admissionv1.PatchTypeJSONPatch
	other := admissionv1.PatchType("Merge")
	good := func() *admissionv1.AdmissionReview {
		return &admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
			Response: &admissionv1.AdmissionResponse{UID: "u", Allowed: true}}
	}
	tests := []struct {
		name     string
		change   func(r *admissionv1.AdmissionReview)
		mutating bool
		want     string
	}{
		{"good", func(*admissionv1.AdmissionReview) {}, false, ""},
		{"kind", func(r *admissionv1.AdmissionReview) { r.APIVersion = "admission.k8s.io/v1beta1" }, false, "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview"},
		{"absent", func(r *admissionv1.AdmissionReview) { r.Response = nil }, false, "webhook response was absent"},
		{"uid", func(r *admissionv1.AdmissionReview) { r.Response.UID = "x" }, false, `expected response.uid="u", got "x"`},
		{"validating patch", func(r *admissionv1.AdmissionReview) { r.Response.Patch = []byte("[]") }, false, "may not return response.patch"},
		{"no patch type", func(r *admissionv1.AdmissionReview) { r.Response.Patch = []byte("[]") }, true, "not response.patchType"},
		{"patch type", func(r *admissionv1.AdmissionReview) { r.Response.Patch, r.Response.PatchType = []byte("[]"), &other }, true, `invalid response.patchType of "Merge"`},
		{"patch", func(r *admissionv1.AdmissionReview) {
			r.Response.Patch, r.Response.PatchType = []byte("[]"), &jsonPatch
		}, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.change(r)
			_, err := verify("u", tc.mutating, r)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("verify = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		result *metav1.Status
		code   int32
		msg    string
	}{
		{nil, 400, `admission webhook "w.example.com" denied the request without explanation`},
		{&metav1.Status{Message: "no", Code: 403}, 403, `admission webhook "w.example.com" denied the request: no`},
		{&metav1.Status{Reason: "Conflict", Code: 200}, 400, `admission webhook "w.example.com" denied the request: Conflict`},
	} {
		st := refused("w.example.com", tc.result).(apierrors.APIStatus).Status()
		if st.Code != tc.code || st.Message != tc.msg || st.Status != metav1.StatusFailure {
			t.Errorf("%+v: %+v", tc.result, st)
		}
	}
}

// hookServer answers every review with answer, over TLS.
func hookServer(t testing.TB, answer func(*admissionv1.AdmissionRequest, *admissionv1.AdmissionResponse)) (url string, caBundle []byte, calls *atomic.Int32) {
	t.Helper()
	calls = &atomic.Int32{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var review admissionv1.AdmissionReview
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
		answer(review.Request, resp)
		review.Request, review.Response = nil, resp
		json.NewEncoder(w).Encode(&review) //nolint:errcheck // the test sees what fails
	}))
	t.Cleanup(srv.Close)
	caBundle = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return srv.URL, caBundle, calls
}

// sourceOf is a synced Source holding hooks.
func sourceOf(mutating, validating []webhookconfiguration.Hook) *Source {
	s := NewSource()
	var m, v []*hook
	for _, h := range mutating {
		m = append(m, newHook(h))
	}
	for _, h := range validating {
		v = append(v, newHook(h))
	}
	s.mutating.Store(&m)
	s.validating.Store(&v)
	close(s.synced)
	return s
}

func podHook(name, url string, ca []byte) webhookconfiguration.Hook {
	c := &admissionregistrationv1.MutatingWebhookConfiguration{Webhooks: []admissionregistrationv1.MutatingWebhook{{
		Name: name, ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca},
		Rules:       []admissionregistrationv1.RuleWithOperations{rule([]admissionregistrationv1.OperationType{"*"}, []string{""}, []string{"v1"}, []string{"pods"}, "*")},
		SideEffects: ptr(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"},
	}}}
	webhookconfiguration.DefaultMutating(c)
	return webhookconfiguration.MutatingHooks(c)[0]
}

func TestMutatingPatchesAndDefaults(t *testing.T) {
	url, ca, _ := hookServer(t, func(req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse) {
		jp := admissionv1.PatchTypeJSONPatch
		resp.Patch, resp.PatchType = []byte(`[{"op":"add","path":"/metadata/labels","value":{"patched":"yes"}},{"op":"remove","path":"/spec/restartPolicy"}]`), &jp
		resp.Warnings = []string{"patched a pod"}
	})
	p := Mutating{Config{Source: sourceOf([]webhookconfiguration.Hook{podHook("m.example.com", url, ca)}, nil)}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever}}
	warnings := &request.Warnings{}
	ctx := request.WithWarnings(context.Background(), warnings)
	a := &admission.Attributes{Operation: admission.Create, Resource: pods, Kind: podKind, Namespace: "ns", Name: "p", Object: pod,
		Default: func(obj runtime.Object) { obj.(*corev1.Pod).Spec.RestartPolicy = corev1.RestartPolicyAlways }}
	if err := p.Admit(ctx, a); err != nil {
		t.Fatal(err)
	}
	if pod.Labels["patched"] != "yes" || pod.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		t.Errorf("patched in place and defaulted again: %+v", pod)
	}
	if got := warnings.Take(); len(got) != 1 || got[0] != "patched a pod" {
		t.Errorf("warnings %q", got)
	}
}

func TestDryRunAndFailurePolicy(t *testing.T) {
	url, ca, calls := hookServer(t, func(req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse) {})
	some := podHook("some.example.com", url, ca)
	some.SideEffects = ptr(admissionregistrationv1.SideEffectClassSome)
	ctx := context.Background()
	a := &admission.Attributes{Operation: admission.Create, Resource: pods, Kind: podKind, Namespace: "ns", Object: &corev1.Pod{}, DryRun: true}
	err := Validating{Config{Source: sourceOf(nil, []webhookconfiguration.Hook{some})}}.Validate(ctx, a)
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `admission webhook "some.example.com" does not support dry run`) {
		t.Errorf("dry run with side effects: %v", err)
	}
	if calls.Load() != 0 {
		t.Error("a webhook with side effects was called on a dry run")
	}
	none := podHook("none.example.com", url, ca)
	if err := (Validating{Config{Source: sourceOf(nil, []webhookconfiguration.Hook{none})}}).Validate(ctx, a); err != nil || calls.Load() != 1 {
		t.Errorf("dry run without side effects: %v, %d calls", err, calls.Load())
	}
	// No CA bundle: the test server's certificate is not trusted.
	untrusted := podHook("untrusted.example.com", url, nil)
	a.DryRun = false
	err = Validating{Config{Source: sourceOf(nil, []webhookconfiguration.Hook{untrusted})}}.Validate(ctx, a)
	if !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), `failed calling webhook "untrusted.example.com": failed to call webhook`) {
		t.Errorf("failurePolicy Fail: %v", err)
	}
	untrusted.FailurePolicy = ptr(admissionregistrationv1.Ignore)
	if err := (Validating{Config{Source: sourceOf(nil, []webhookconfiguration.Hook{untrusted})}}).Validate(ctx, a); err != nil {
		t.Errorf("failurePolicy Ignore: %v", err)
	}
}

// Webhooks are not called for webhook configurations, so that a broken
// webhook can always be removed.
func TestExempt(t *testing.T) {
	url, ca, calls := hookServer(t, func(req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse) { resp.Allowed = false })
	h := podHook("all.example.com", url, ca)
	h.Rules = []admissionregistrationv1.RuleWithOperations{rule([]admissionregistrationv1.OperationType{"*"}, []string{"*"}, []string{"*"}, []string{"*/*"}, "*")}
	p := Validating{Config{Source: sourceOf(nil, []webhookconfiguration.Hook{h})}}
	a := &admission.Attributes{Operation: admission.Delete, Resource: admissionregistrationv1.SchemeGroupVersion.WithResource("validatingwebhookconfigurations")}
	if err := p.Validate(context.Background(), a); err != nil || calls.Load() != 0 {
		t.Errorf("exempt resource: %v, %d calls", err, calls.Load())
	}
	a.Resource = pods
	if err := p.Validate(context.Background(), a); !apierrors.IsBadRequest(err) {
		t.Errorf("a refusal without a status: %v", err)
	}
}
