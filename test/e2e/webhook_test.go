package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/apiserver/apiserver/pkg/certs"
)

// webhookServer is an admission webhook server with its own CA, serving
// on 127.0.0.1 under the Service name hooks.webhooks.svc too. It
// records the requests it is sent.
type webhookServer struct {
	port     int32
	caBundle []byte

	mu   sync.Mutex
	seen []seenReview
}

type seenReview struct {
	path   string
	name   string
	dryRun bool
}

func (s *webhookServer) calls(path, name string) (n int, dryRun bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.seen {
		if r.path == path && r.name == name {
			n++
			dryRun = r.dryRun
		}
	}
	return n, dryRun
}

// startWebhookServer listens on every address: 127.0.0.1 for webhooks
// by URL, and ip, a Service's endpoint (Endpoints refuse loopback).
func startWebhookServer(t *testing.T, ip string) *webhookServer {
	t.Helper()
	dir := t.TempDir()
	ca, err := certs.LoadOrCreateCA(certs.PairIn(dir, "ca"), "webhook-ca")
	if err != nil {
		t.Fatal(err)
	}
	leaf := certs.PairIn(dir, "serving")
	if _, err := ca.EnsureLeaf(leaf, certs.Leaf{CommonName: "hooks", DNSNames: []string{"hooks.webhooks.svc"},
		IPs: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(ip)}, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(leaf.CertFile, leaf.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(certs.PairIn(dir, "ca").CertFile)
	if err != nil {
		t.Fatal(err)
	}
	s := &webhookServer{caBundle: caPEM}
	handle := func(path string, answer func(req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var review admissionv1.AdmissionReview
			if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
				http.Error(w, "bad review", http.StatusBadRequest)
				return
			}
			s.mu.Lock()
			s.seen = append(s.seen, seenReview{path: path, name: review.Request.Name, dryRun: review.Request.DryRun != nil && *review.Request.DryRun})
			s.mu.Unlock()
			resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
			answer(review.Request, resp)
			review.Response, review.Request = resp, nil
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(&review) //nolint:errcheck // the test sees a failure from the server
		}
	}
	jsonPatch := admissionv1.PatchTypeJSONPatch
	mux := http.NewServeMux()
	mux.Handle("/validate", handle("/validate", func(req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse) {
		var cm corev1.ConfigMap
		json.Unmarshal(req.Object.Raw, &cm) //nolint:errcheck // an empty map denies nothing
		resp.Warnings = []string{"checked by the test webhook"}
		if _, deny := cm.Data["deny"]; deny {
			resp.Allowed = false
			resp.Result = &metav1.Status{Message: "deny is not allowed", Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden}
		}
	}))
	mux.Handle("/label", handle("/label", func(req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse) {
		resp.Patch = []byte(`[{"op":"add","path":"/metadata/labels/mutated","value":"yes"}]`)
		resp.PatchType = &jsonPatch
	}))
	// /first annotates once; /second labels once: after /second, /first
	// (IfNeeded) is called again and finds nothing more to do.
	mux.Handle("/first", handle("/first", func(req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse) {
		var cm corev1.ConfigMap
		json.Unmarshal(req.Object.Raw, &cm) //nolint:errcheck // checked below
		if cm.Annotations["first"] == "" {
			resp.Patch = []byte(`[{"op":"add","path":"/metadata/annotations","value":{"first":"done"}}]`)
			resp.PatchType = &jsonPatch
		}
	}))
	mux.Handle("/second", handle("/second", func(req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse) {
		var cm corev1.ConfigMap
		json.Unmarshal(req.Object.Raw, &cm) //nolint:errcheck // checked below
		if cm.Labels["second"] == "" {
			resp.Patch = []byte(`[{"op":"add","path":"/metadata/labels/second","value":"done"}]`)
			resp.PatchType = &jsonPatch
		}
	}))
	mux.HandleFunc("/convert", convertShapes)
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken on purpose", http.StatusInternalServerError)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = int32(ln.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}}
	go srv.ServeTLS(ln, "", "") //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *webhookServer) url(path string) *string {
	u := "https://127.0.0.1:" + strconv.Itoa(int(s.port)) + path
	return &u
}

// warningCollector keeps the warnings a client receives.
type warningCollector struct {
	mu  sync.Mutex
	got []string
}

func (c *warningCollector) HandleWarningHeader(_ int, _ string, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, text)
}

func (c *warningCollector) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.got
	c.got = nil
	return out
}

func TestAdmissionWebhooks(t *testing.T) {
	p := startBinary(t, "", nil)
	cs := clientset(t, p)
	ip := hostAddress(t)
	hooks := startWebhookServer(t, ip)
	ctx := context.Background()

	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(p.DataDir, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	warnings := &warningCollector{}
	cfg.WarningHandler = warnings
	warned := kubernetes.NewForConfigOrDie(cfg)

	for _, ns := range []*corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "hooked", Labels: map[string]string{"webhooks": "on"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "plain"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "webhooks"}},
	} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	none := admissionregistrationv1.SideEffectClassNone
	cmRule := func(ops ...admissionregistrationv1.OperationType) []admissionregistrationv1.RuleWithOperations {
		return []admissionregistrationv1.RuleWithOperations{{Operations: ops, Rule: admissionregistrationv1.Rule{
			APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}}
	}
	cm := func(name string, labels map[string]string, data map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Data: data}
	}

	t.Run("validating, by namespace selector, with warnings", func(t *testing.T) {
		vwc, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "deny"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{
				Name: "deny.webhooks.example.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: hooks.url("/validate"), CABundle: hooks.caBundle},
				Rules: cmRule(admissionregistrationv1.Create, admissionregistrationv1.Update), SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"webhooks": "on"}},
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		h := vwc.Webhooks[0]
		if *h.FailurePolicy != admissionregistrationv1.Fail || *h.MatchPolicy != admissionregistrationv1.Equivalent || *h.TimeoutSeconds != 10 ||
			h.ObjectSelector == nil || *h.Rules[0].Scope != admissionregistrationv1.AllScopes {
			t.Errorf("defaults not applied: %+v", h)
		}
		defer cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "deny", metav1.DeleteOptions{}) //nolint:errcheck // cleanup
		var denied error
		i := 0
		waitUntil(t, 10*time.Second, "the webhook to refuse", func() bool {
			i++
			_, denied = warned.CoreV1().ConfigMaps("hooked").Create(ctx, cm(fmt.Sprintf("d%d", i), nil, map[string]string{"deny": "1"}), metav1.CreateOptions{})
			return denied != nil
		})
		if !apierrors.IsForbidden(denied) || !strings.Contains(denied.Error(), `admission webhook "deny.webhooks.example.com" denied the request: deny is not allowed`) {
			t.Errorf("refusal = %v", denied)
		}
		if got := warnings.take(); len(got) == 0 || got[len(got)-1] != "checked by the test webhook" {
			t.Errorf("warnings = %q", got)
		}
		if _, err := warned.CoreV1().ConfigMaps("plain").Create(ctx, cm("free", nil, map[string]string{"deny": "1"}), metav1.CreateOptions{}); err != nil {
			t.Errorf("a namespace the selector leaves out: %v", err)
		}
		if n, _ := hooks.calls("/validate", "free"); n != 0 {
			t.Errorf("webhook called %d times for a namespace it does not select", n)
		}
		if _, err := warned.CoreV1().ConfigMaps("hooked").Create(ctx, cm("fine", nil, nil), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// A dry run calls a webhook without side effects, and says so.
		if _, err := cs.CoreV1().ConfigMaps("hooked").Create(ctx, cm("dry", nil, nil), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Fatal(err)
		}
		if n, dry := hooks.calls("/validate", "dry"); n != 1 || !dry {
			t.Errorf("dry run: %d calls, dryRun %v", n, dry)
		}
	})

	t.Run("mutating through a Service, by object selector, reinvoked", func(t *testing.T) {
		if _, err := cs.CoreV1().Services("webhooks").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hooks"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 443}}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CoreV1().Endpoints("webhooks").Create(ctx, &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "hooks"},
			Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: ip}}, Ports: []corev1.EndpointPort{{Port: hooks.port}}}}},
			metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		svc := func(path string) admissionregistrationv1.WebhookClientConfig {
			return admissionregistrationv1.WebhookClientConfig{CABundle: hooks.caBundle,
				Service: &admissionregistrationv1.ServiceReference{Namespace: "webhooks", Name: "hooks", Path: &path}}
		}
		ifNeeded := admissionregistrationv1.IfNeededReinvocationPolicy
		selector := func(k string) *metav1.LabelSelector {
			return &metav1.LabelSelector{MatchLabels: map[string]string{k: "yes"}}
		}
		if _, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "mutate"},
			Webhooks: []admissionregistrationv1.MutatingWebhook{
				{Name: "label.webhooks.example.com", ClientConfig: svc("/label"), Rules: cmRule(admissionregistrationv1.OperationAll),
					SideEffects: &none, AdmissionReviewVersions: []string{"v1"}, ObjectSelector: selector("mutate")},
				{Name: "first.webhooks.example.com", ClientConfig: svc("/first"), Rules: cmRule(admissionregistrationv1.Create),
					SideEffects: &none, AdmissionReviewVersions: []string{"v1"}, ObjectSelector: selector("twice"), ReinvocationPolicy: &ifNeeded},
				{Name: "second.webhooks.example.com", ClientConfig: svc("/second"), Rules: cmRule(admissionregistrationv1.Create),
					SideEffects: &none, AdmissionReviewVersions: []string{"v1"}, ObjectSelector: selector("twice")},
			},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		defer cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, "mutate", metav1.DeleteOptions{}) //nolint:errcheck // cleanup
		var got *corev1.ConfigMap
		i := 0
		waitUntil(t, 10*time.Second, "the mutating webhook", func() bool {
			i++
			got, err = cs.CoreV1().ConfigMaps("plain").Create(ctx, cm(fmt.Sprintf("m%d", i), map[string]string{"mutate": "yes"}, nil), metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return got.Labels["mutated"] == "yes"
		})
		if stored, err := cs.CoreV1().ConfigMaps("plain").Get(ctx, got.Name, metav1.GetOptions{}); err != nil || stored.Labels["mutated"] != "yes" {
			t.Errorf("stored %v, %v", stored.Labels, err)
		}
		other, err := cs.CoreV1().ConfigMaps("plain").Create(ctx, cm("unselected", nil, nil), metav1.CreateOptions{})
		if err != nil || other.Labels["mutated"] != "" {
			t.Errorf("an object the selector leaves out: %v, %v", other, err)
		}
		twice, err := cs.CoreV1().ConfigMaps("plain").Create(ctx, cm("twice", map[string]string{"twice": "yes"}, nil), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if twice.Annotations["first"] != "done" || twice.Labels["second"] != "done" {
			t.Errorf("both patches not applied: %v %v", twice.Annotations, twice.Labels)
		}
		if n, _ := hooks.calls("/first", "twice"); n != 2 {
			t.Errorf("IfNeeded webhook called %d times, want 2 (again after a later webhook changed the object)", n)
		}
		if n, _ := hooks.calls("/second", "twice"); n != 1 {
			t.Errorf("Never webhook called %d times, want 1", n)
		}
	})

	t.Run("failures, timeouts and side effects", func(t *testing.T) {
		ignore, fail := admissionregistrationv1.Ignore, admissionregistrationv1.Fail
		one := int32(1)
		hook := func(name, path string, policy admissionregistrationv1.FailurePolicyType) admissionregistrationv1.ValidatingWebhook {
			return admissionregistrationv1.ValidatingWebhook{Name: name + ".webhooks.example.com",
				ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: hooks.url(path), CABundle: hooks.caBundle},
				Rules:        cmRule(admissionregistrationv1.Create), SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
				FailurePolicy: &policy, TimeoutSeconds: &one,
				ObjectSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"case": name}}}
		}
		if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "failing"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{
				hook("fail", "/fail", fail), hook("ignore", "/fail", ignore), hook("slow", "/slow", fail), hook("slowignored", "/slow", ignore),
			},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		defer cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "failing", metav1.DeleteOptions{}) //nolint:errcheck // cleanup
		var failed error
		i := 0
		waitUntil(t, 10*time.Second, "the failing webhook", func() bool {
			i++
			_, failed = cs.CoreV1().ConfigMaps("plain").Create(ctx, cm(fmt.Sprintf("f%d", i), map[string]string{"case": "fail"}, nil), metav1.CreateOptions{})
			return failed != nil
		})
		if !apierrors.IsInternalError(failed) || !strings.Contains(failed.Error(), `failed calling webhook "fail.webhooks.example.com"`) {
			t.Errorf("failurePolicy Fail: %v", failed)
		}
		if _, err := cs.CoreV1().ConfigMaps("plain").Create(ctx, cm("ignored", map[string]string{"case": "ignore"}, nil), metav1.CreateOptions{}); err != nil {
			t.Errorf("failurePolicy Ignore: %v", err)
		}
		start := time.Now()
		_, err := cs.CoreV1().ConfigMaps("plain").Create(ctx, cm("slow", map[string]string{"case": "slow"}, nil), metav1.CreateOptions{})
		if took := time.Since(start); err == nil || !apierrors.IsInternalError(err) || took > 4*time.Second {
			t.Errorf("a webhook over its 1 s timeout: %v after %v", err, took)
		}
		if _, err := cs.CoreV1().ConfigMaps("plain").Create(ctx, cm("slowignored", map[string]string{"case": "slowignored"}, nil), metav1.CreateOptions{}); err != nil {
			t.Errorf("a timeout under Ignore: %v", err)
		}
		// v1 refuses webhooks with side effects.
		some := admissionregistrationv1.SideEffectClassSome
		bad := hook("some", "/validate", fail)
		bad.SideEffects = &some
		_, err = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "some"}, Webhooks: []admissionregistrationv1.ValidatingWebhook{bad}}, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"`) {
			t.Errorf("sideEffects Some: %v", err)
		}
	})

	t.Run("matchConditions", func(t *testing.T) {
		if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "conditional"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{
				Name: "conditional.webhooks.example.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: hooks.url("/validate"), CABundle: hooks.caBundle},
				Rules: cmRule(admissionregistrationv1.Create), SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
				MatchConditions: []admissionregistrationv1.MatchCondition{
					{Name: "checked-only", Expression: `object.metadata.name.startsWith("checked-")`},
					{Name: "not-admin", Expression: `request.userInfo.username != "nobody"`},
				},
			}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		defer cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "conditional", metav1.DeleteOptions{}) //nolint:errcheck // cleanup
		i := 0
		waitUntil(t, 10*time.Second, "the conditional webhook", func() bool {
			i++
			_, err := cs.CoreV1().ConfigMaps("plain").Create(ctx, cm(fmt.Sprintf("checked-%d", i), nil, map[string]string{"deny": "1"}), metav1.CreateOptions{})
			return apierrors.IsForbidden(err)
		})
		if _, err := cs.CoreV1().ConfigMaps("plain").Create(ctx, cm("unchecked", nil, map[string]string{"deny": "1"}), metav1.CreateOptions{}); err != nil {
			t.Errorf("a condition that does not hold: %v", err)
		}
		_, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "broken"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{
				Name: "broken.webhooks.example.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: hooks.url("/validate")},
				Rules: cmRule(admissionregistrationv1.Create), SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
				MatchConditions: []admissionregistrationv1.MatchCondition{{Name: "bad", Expression: `object.metadata.name +`}},
			}},
		}, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "webhooks[0].matchConditions[0].expression") {
			t.Errorf("a condition that does not compile: %v", err)
		}
	})
}

var _ rest.WarningHandler = &warningCollector{}
