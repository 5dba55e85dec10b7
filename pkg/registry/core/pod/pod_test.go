package pod

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/registry/core/node"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/policy/poddisruptionbudget"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// stores serves Pods, their subresources' types, PodDisruptionBudgets
// and Nodes over one real etcd.
type stores struct {
	pods, status, ephemeral, assign, budgets, budgetStatus, nodes *generic.Store
}

func newStores(t *testing.T) *stores {
	t.Helper()
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	mk := func(typ rest.Type, sub string) *generic.Store {
		s, err := generic.NewStore(backend, typ, nil, sub)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return &stores{
		pods: mk(Type(), ""), status: mk(StatusType(), "status"), ephemeral: mk(EphemeralContainersType(), "ephemeralcontainers"),
		assign: mk(AssignType(), "binding"), budgets: mk(poddisruptionbudget.Type(), ""),
		budgetStatus: mk(poddisruptionbudget.StatusType(), "status"), nodes: mk(node.Type(), ""),
	}
}

// decode reads a manifest as the server does: JSON, then defaults.
func decode(t *testing.T, manifest string) *corev1.Pod {
	t.Helper()
	var p corev1.Pod
	if err := json.Unmarshal([]byte(manifest), &p); err != nil {
		t.Fatal(err)
	}
	p.Namespace = "default"
	Default(&p)
	return &p
}

func (s *stores) create(t *testing.T, manifest string) *corev1.Pod {
	t.Helper()
	obj, err := s.pods.Create(t.Context(), "default", decode(t, manifest), false)
	if err != nil {
		t.Fatalf("creating %s: %v", manifest, err)
	}
	return obj.(*corev1.Pod)
}

func (s *stores) get(t *testing.T, name string) (*corev1.Pod, error) {
	t.Helper()
	obj, err := s.pods.Get(t.Context(), "default", name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Pod), nil
}

// causes prints an Invalid error's causes as kubectl prints them.
func causes(err error) []string {
	st, ok := err.(apierrors.APIStatus) //nolint:errorlint // the store returns *StatusError itself
	if !ok || st.Status().Details == nil {
		return []string{"not a Status: " + err.Error()}
	}
	var out []string
	for _, c := range st.Status().Details.Causes {
		out = append(out, c.Field+": "+c.Message)
	}
	return out
}

// TestInvalid: kube-apiserver 1.31's causes for the same manifests,
// recorded with the reference script, in its order.
func TestInvalid(t *testing.T) {
	s := newStores(t)
	tests := []struct {
		manifest string
		want     []string
	}{
		{`{"metadata":{"name":"bad"},"spec":{"containers":[{"name":"Bad_Name","image":" x","ports":[{"containerPort":0}]}],"restartPolicy":"Sometimes","activeDeadlineSeconds":0,"nodeName":"A_B"}}`, []string{
			"spec.containers[0].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
			"spec.containers[0].ports[0].containerPort: Required value",
			"spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
			"spec.nodeName: Invalid value: \"A_B\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
			"spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive",
			"spec.containers[0].image: Invalid value: \" x\": must not have leading or trailing whitespace",
		}},
		{`{"metadata":{"name":"bad"},"spec":{"containers":[]}}`, []string{"spec.containers: Required value"}},
		{`{"metadata":{"name":"bad"},"spec":{"containers":[{"name":"c","image":"x"}],"ephemeralContainers":[{"name":"d","image":"x"}]}}`,
			[]string{"spec.ephemeralContainers: Forbidden: cannot be set on create"}},
	}
	for _, tt := range tests {
		_, err := s.pods.Create(t.Context(), "default", decode(t, tt.manifest), false)
		if !apierrors.IsInvalid(err) {
			t.Errorf("%s: %v, want Invalid", tt.manifest, err)
			continue
		}
		if got := causes(err); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tt.manifest, got, tt.want)
		}
	}
}

func TestDefaultsAndQOS(t *testing.T) {
	tests := []struct {
		resources string
		want      corev1.PodQOSClass
	}{
		{`{}`, corev1.PodQOSBestEffort},
		{`{"limits":{"cpu":"100m"}}`, corev1.PodQOSBurstable},
		{`{"limits":{"cpu":"1","memory":"1Gi"}}`, corev1.PodQOSGuaranteed},
		{`{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m"}}`, corev1.PodQOSBurstable},
		{`{"requests":{"memory":"1Gi"}}`, corev1.PodQOSBurstable},
		{`{"limits":{"ephemeral-storage":"1Gi"}}`, corev1.PodQOSBestEffort},
	}
	for _, tt := range tests {
		p := decode(t, `{"spec":{"containers":[{"name":"c","image":"x","resources":`+tt.resources+`}]}}`)
		if got := QOSClass(p); got != tt.want {
			t.Errorf("%s: QoS %s, want %s", tt.resources, got, tt.want)
		}
	}
	p := decode(t, `{"spec":{"serviceAccount":"old","containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"1"}}}],"ephemeralContainers":[{"name":"e","image":"y:1"}]},"status":{"podIP":"10.0.0.5"}}`)
	if p.Spec.ServiceAccountName != "old" || p.Spec.DeprecatedServiceAccount != "old" || !*p.Spec.EnableServiceLinks ||
		p.Spec.Containers[0].Resources.Requests.Cpu().String() != "1" || p.Spec.EphemeralContainers[0].ImagePullPolicy != corev1.PullIfNotPresent ||
		len(p.Status.PodIPs) != 1 || p.Status.PodIPs[0].IP != "10.0.0.5" {
		t.Errorf("defaults: %+v %+v", p.Spec, p.Status)
	}
}

// TestUpdate: a spec changes only where kube lets it; the status and the
// ephemeral containers through their own subresources.
func TestUpdate(t *testing.T) {
	s := newStores(t)
	s.create(t, `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x"}],"tolerations":[{"key":"k","operator":"Exists"}]}}`)
	update := func(st *generic.Store, change func(p *corev1.Pod)) (*corev1.Pod, error) {
		obj, _, err := st.Update(t.Context(), "default", "p", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			p := cur.(*corev1.Pod).DeepCopy()
			change(p)
			return p, nil
		}, false, false)
		if err != nil {
			return nil, err
		}
		return obj.(*corev1.Pod), nil
	}
	if p, err := update(s.pods, func(p *corev1.Pod) {
		p.Spec.Containers[0].Image = "y"
		p.Spec.ActiveDeadlineSeconds = ptr.To[int64](10)
		p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "j", Operator: corev1.TolerationOpExists})
		p.Status.Phase = corev1.PodRunning
	}); err != nil || p.Spec.Containers[0].Image != "y" || p.Status.Phase != corev1.PodPending {
		t.Errorf("allowed update: %v", err)
	}
	tests := []struct {
		change func(p *corev1.Pod)
		want   string
	}{
		{func(p *corev1.Pod) { p.Spec.RestartPolicy = corev1.RestartPolicyNever }, "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"},
		{func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](20) }, "spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value"},
		{func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = nil }, "spec.activeDeadlineSeconds: Invalid value: \"null\": must not update from a positive integer to nil value"},
		{func(p *corev1.Pod) { p.Spec.Tolerations = p.Spec.Tolerations[1:] }, "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"},
	}
	for _, tt := range tests {
		_, err := update(s.pods, tt.change)
		if got := strings.Join(causes(err), "\n"); !strings.HasPrefix(got, tt.want) {
			t.Errorf("update: %s, want %s", got, tt.want)
		}
	}
	if p, err := update(s.status, func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodRunning
		p.Spec.Containers[0].Image = "ignored"
	}); err != nil || p.Status.Phase != corev1.PodRunning || p.Spec.Containers[0].Image != "y" {
		t.Errorf("status update: %v", err)
	}
	if _, err := update(s.status, func(p *corev1.Pod) { p.Status.PodIPs = []corev1.PodIP{{IP: "x"}} }); !strings.Contains(strings.Join(causes(err), ""),
		`status.podIPs[0]: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`) {
		t.Errorf("invalid pod IP: %v", err)
	}
	debug := corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox"}}
	if p, err := update(s.ephemeral, func(p *corev1.Pod) {
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{debug}
		p.Spec.Containers[0].Image = "ignored"
	}); err != nil || len(p.Spec.EphemeralContainers) != 1 || p.Spec.Containers[0].Image != "y" {
		t.Errorf("ephemeral container: %v", err)
	}
	for _, tt := range []struct {
		change func(p *corev1.Pod)
		want   string
	}{
		{func(p *corev1.Pod) { p.Spec.EphemeralContainers = nil }, "spec.ephemeralContainers: Forbidden: existing ephemeral containers \"dbg\" may not be removed\n"},
		{func(p *corev1.Pod) { p.Spec.EphemeralContainers[0].Image = "other" }, "spec.ephemeralContainers: Forbidden: existing ephemeral containers \"dbg\" may not be changed\n"},
		{func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "c", Image: "i", Ports: []corev1.ContainerPort{{ContainerPort: 80}},
			}})
		}, "spec.ephemeralContainers[1].name: Duplicate value: \"c\"\nspec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container"},
	} {
		_, err := update(s.ephemeral, tt.change)
		if got := strings.Join(causes(err), "\n"); !strings.HasPrefix(got, tt.want) {
			t.Errorf("ephemeral update: %q, want %q", got, tt.want)
		}
	}
}

// TestGracefulDeletion: a Pod on no node goes at once; one on a node
// waits for its kubelet, a later delete may only shorten the wait, and a
// zero grace period removes it.
func TestGracefulDeletion(t *testing.T) {
	s := newStores(t)
	s.create(t, `{"metadata":{"name":"unscheduled"},"spec":{"containers":[{"name":"c","image":"x"}]}}`)
	if _, deleted, err := s.pods.Delete(t.Context(), "default", "unscheduled", &metav1.DeleteOptions{}, false); err != nil || !deleted {
		t.Errorf("deleting an unscheduled Pod: deleted %v, %v", deleted, err)
	}
	s.create(t, `{"metadata":{"name":"running"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"x"}]}}`)
	grace := func() int64 {
		p, err := s.get(t, "running")
		if err != nil {
			t.Fatal(err)
		}
		if p.DeletionTimestamp == nil {
			return -1
		}
		return *p.DeletionGracePeriodSeconds
	}
	steps := []struct {
		opts      *metav1.DeleteOptions
		wantGrace int64
	}{
		{&metav1.DeleteOptions{}, 30},
		{&metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](60)}, 30},
		{&metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](5)}, 5},
	}
	for _, st := range steps {
		if _, deleted, err := s.pods.Delete(t.Context(), "default", "running", st.opts, false); err != nil || deleted {
			t.Fatalf("graceful delete: deleted %v, %v", deleted, err)
		}
		if g := grace(); g != st.wantGrace {
			t.Errorf("after a delete with %v: grace %d, want %d", st.opts.GracePeriodSeconds, g, st.wantGrace)
		}
	}
	if _, deleted, err := s.pods.Delete(t.Context(), "default", "running", &metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}, false); err != nil || !deleted {
		t.Errorf("forced delete: deleted %v, %v", deleted, err)
	}
}

// TestBinding: a Pod is put on a node once, as kube answers.
func TestBinding(t *testing.T) {
	s := newStores(t)
	s.create(t, `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x"}]}}`)
	b := BindingStorage{Pods: s.assign}
	bind := func(name, target, kind string) error {
		_, err := b.CreateNamed(t.Context(), "default", "p", &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{"a": "b"}},
			Target:     corev1.ObjectReference{Name: target, Kind: kind},
		}, false)
		return err
	}
	tests := []struct {
		name, target, kind string
		want               string
	}{
		{"other", "n1", "", "name in URL does not match name in Binding object"},
		{"p", "n1", "Pod", `target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"`},
		{"p", "", "", "target.name: Required value"},
		{"p", "n1", "", ""},
		{"p", "n2", "", `Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "n1"`},
	}
	for _, tt := range tests {
		err := bind(tt.name, tt.target, tt.kind)
		if (err == nil) != (tt.want == "") || (err != nil && err.Error() != tt.want) {
			t.Errorf("binding %s to %s: %v, want %q", tt.name, tt.target, err, tt.want)
		}
	}
	p, _ := s.get(t, "p")
	if p.Spec.NodeName != "n1" || p.Annotations["a"] != "b" || len(p.Status.Conditions) != 1 || p.Status.Conditions[0].Type != corev1.PodScheduled {
		t.Errorf("bound Pod: %+v", p)
	}
}

// TestEviction: kube's eviction against one PodDisruptionBudget.
func TestEviction(t *testing.T) {
	s := newStores(t)
	e := EvictionStorage{Pods: s.pods, Status: s.status, Budgets: s.budgets, BudgetStatus: s.budgetStatus}
	running := func(name string, ready bool) {
		s.create(t, `{"metadata":{"name":"`+name+`","labels":{"app":"a"}},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"x"}]}}`)
		_, _, err := s.status.Update(t.Context(), "default", name, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			p := cur.(*corev1.Pod).DeepCopy()
			p.Status.Phase = corev1.PodRunning
			if ready {
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
			}
			return p, nil
		}, false, false)
		if err != nil {
			t.Fatal(err)
		}
	}
	evict := func(name string) error {
		_, err := e.CreateNamed(t.Context(), "default", name, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name},
			DeleteOptions: &metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}}, false)
		return err
	}
	budget := func(name string, status policyv1.PodDisruptionBudgetStatus) {
		obj, err := s.budgets.Create(t.Context(), "default", &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "a"}}}}, false)
		if err != nil {
			t.Fatal(err)
		}
		status.ObservedGeneration = obj.(*policyv1.PodDisruptionBudget).Generation
		_, _, err = s.budgetStatus.Update(t.Context(), "default", name, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			b := cur.(*policyv1.PodDisruptionBudget).DeepCopy()
			b.Status = status
			return b, nil
		}, false, false)
		if err != nil {
			t.Fatal(err)
		}
	}
	// No budget: evicted.
	running("free", true)
	if err := evict("free"); err != nil {
		t.Fatalf("eviction without a budget: %v", err)
	}
	if _, err := s.get(t, "free"); !apierrors.IsNotFound(err) {
		t.Errorf("evicted Pod: %v", err)
	}
	budget("b1", policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 0, CurrentHealthy: 1, DesiredHealthy: 1})
	running("ready", true)
	err := evict("ready")
	if !apierrors.IsTooManyRequests(err) || strings.Join(causesOf(err), "") != "DisruptionBudget: The disruption budget b1 needs 1 healthy pods and has 1 currently" {
		t.Errorf("eviction past the budget: %v %q", err, causesOf(err))
	}
	// Not ready, budget met: goes without counting.
	running("unready", false)
	if err := evict("unready"); err != nil {
		t.Errorf("eviction of an unready Pod under a met budget: %v", err)
	}
	budget("b2", policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 1})
	if err := evict("ready"); err == nil || err.Error() != "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support." {
		t.Errorf("two budgets: %v", err)
	}
	if err := evict("nope"); !apierrors.IsNotFound(err) {
		t.Errorf("eviction of a missing Pod: %v", err)
	}
	if _, err := e.CreateNamed(t.Context(), "default", "ready", &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, false); !apierrors.IsBadRequest(err) {
		t.Errorf("name mismatch: %v", err)
	}
}

func causesOf(err error) []string {
	st, ok := err.(apierrors.APIStatus) //nolint:errorlint // *StatusError itself
	if !ok || st.Status().Details == nil {
		return nil
	}
	var out []string
	for _, c := range st.Status().Details.Causes {
		out = append(out, string(c.Type)+": "+c.Message)
	}
	return out
}

// TestConnect: log, exec and proxy answer as kube-apiserver does with no
// kubelet, and reach one where a Node names it.
func TestConnect(t *testing.T) {
	s := newStores(t)
	kubelet := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.URL.Path + "?" + r.URL.RawQuery)) //nolint:errcheck // test server
	}))
	defer kubelet.Close()
	k := &Kubelets{Pods: s.pods, Nodes: s.nodes, Transport: kubelet.Client().Transport}
	s.create(t, `{"metadata":{"name":"two"},"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"x"}]}}`)
	s.create(t, `{"metadata":{"name":"lost"},"spec":{"nodeName":"gone","containers":[{"name":"c","image":"x"}]}}`)
	s.create(t, `{"metadata":{"name":"onnode"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"x"}]}}`)
	host, port, _ := strings.Cut(strings.TrimPrefix(kubelet.URL, "https://"), ":")
	portNum, _ := strconv.Atoi(port)
	if _, err := s.nodes.Create(t.Context(), "", &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Status: corev1.NodeStatus{
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: host}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(portNum)}},
	}}, false); err != nil {
		t.Fatal(err)
	}
	serve := func(c rest.Connecter, name, target string, header http.Header) (int, string) {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		for k, v := range header {
			r.Header[k] = v
		}
		h, err := c.Connect(t.Context(), "default", name, r)
		if err != nil {
			st := err.(apierrors.APIStatus).Status() //nolint:errorlint // *StatusError itself
			return int(st.Code), st.Message
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	logs, exec := LogStorage{Kubelets: k}, StreamStorage{Kubelets: k, Kind: "PodExecOptions"}
	upgrade := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}}
	tests := []struct {
		c          rest.Connecter
		pod, url   string
		header     http.Header
		code       int
		wantPrefix string
	}{
		{logs, "nope", "/log", nil, 404, `pods "nope" not found`},
		{logs, "two", "/log", nil, 400, "a container name must be specified for pod two, choose one of: [a b]"},
		{logs, "two", "/log?container=z", nil, 400, "container z is not valid for pod two"},
		{logs, "two", "/log?container=a", nil, 204, ""},
		{logs, "two", "/log?container=a&tailLines=-1", nil, 422, "PodLogOptions \"two\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0"},
		{logs, "lost", "/log", nil, 404, `pods "gone" not found`},
		{logs, "onnode", "/log?tailLines=2&follow=true&bogus=1", nil, 200, "/containerLogs/default/onnode/c?follow=true&tailLines=2"},
		{exec, "two", "/exec?container=a", nil, 400, "pod two does not have a host assigned"},
		{exec, "onnode", "/exec", nil, 400, "Upgrade request required"},
		{exec, "onnode", "/exec?command=ls", upgrade, 200, "/exec/default/onnode/c?command=ls"},
		{ProxyStorage{Pods: s.pods}, "onnode", "/api/v1/namespaces/default/pods/onnode/proxy/x", nil, 400, "address not allowed"},
	}
	for _, tt := range tests {
		code, body := serve(tt.c, tt.pod, tt.url, tt.header)
		if code != tt.code || !strings.HasPrefix(body, tt.wantPrefix) {
			t.Errorf("%s %s: %d %q, want %d %q", tt.pod, tt.url, code, body, tt.code, tt.wantPrefix)
		}
	}
}
