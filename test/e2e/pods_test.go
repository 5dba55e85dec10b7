package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// fakeKubelet answers a kubelet's containerLogs path over TLS, as a node's
// kubelet would, so that the server's way there is exercised; nothing
// else of a kubelet is needed for that.
func fakeKubelet(t *testing.T) (host string, port int32) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/containerLogs/") {
			fmt.Fprintf(w, "log of %s tail=%s\n", r.URL.Path, r.URL.Query().Get("tailLines"))
			return
		}
		http.NotFound(w, r)
	}))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	h, p, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, int32(n)
}

// TestPods: every kubectl 1.27–1.33 runs, lists, describes, debugs and
// deletes Pods as against kube-apiserver without kubelets: a Pod stays
// Pending, gets its account's token mounted and kube's tolerations,
// logs of an unscheduled Pod are empty and exec refuses; a Pod bound to
// a node waits for its kubelet to end it until forced; drain evicts.
func TestPods(t *testing.T) {
	p := startBinary(t, "", nil)
	cs := clientset(t, p)
	ctx := context.Background()
	host, port := fakeKubelet(t)
	eachKubectl(t, p, func(t *testing.T, k kubectl, name string) {
		ns := "pods-" + name
		k.run("create", "namespace", ns)
		waitUntil(t, 10*time.Second, "the default ServiceAccount", func() bool {
			_, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
			return err == nil
		})
		k.run("-n", ns, "run", "web", "--image=nginx:1.27", "--labels=app=web", "--port=80")
		out := strings.Join(strings.Fields(k.run("-n", ns, "get", "pods", "-o", "wide")), " ")
		expectContains(t, "get pods -o wide", out, "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES", "web 0/1 Pending 0")
		desc := strings.Join(strings.Fields(k.run("-n", ns, "describe", "pod", "web")), " ")
		expectContains(t, "describe pod", desc, "Status: Pending", "Service Account: default", "QoS Class: BestEffort",
			"node.kubernetes.io/not-ready:NoExecute op=Exists for 300s", "/var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-")
		if out, err := k.try("-n", ns, "logs", "web"); err != nil || out != "" {
			t.Errorf("logs of an unscheduled Pod: %v %q", err, out)
		}
		if out, err := k.try("-n", ns, "exec", "web", "--", "ls"); err == nil || !strings.Contains(out, "pod web does not have a host assigned") {
			t.Errorf("exec in an unscheduled Pod: %v\n%s", err, out)
		}
		k.run("-n", ns, "debug", "web", "--image=busybox", "-c", "dbg")
		if out := k.run("-n", ns, "get", "pod", "web", "-o", "jsonpath={.spec.ephemeralContainers[0].name} {.spec.ephemeralContainers[0].imagePullPolicy}"); out != "dbg Always" {
			t.Errorf("ephemeral container after kubectl debug: %q", out)
		}
		if out, err := k.stdinTry(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bad"},"spec":{"containers":[{"name":"c","image":" x"}],"activeDeadlineSeconds":0}}`, "-n", ns, "create", "-f", "-"); err == nil ||
			!strings.Contains(out, `The Pod "bad" is invalid: `) || !strings.Contains(out, "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive") ||
			!strings.Contains(out, `spec.containers[0].image: Invalid value: " x": must not have leading or trailing whitespace`) {
			t.Errorf("an invalid Pod: %v\n%s", err, out)
		}
		if out, err := k.try("-n", ns, "set", "env", "pod/web", "A=B"); err == nil || !strings.Contains(out, "pod updates may not change fields other than") {
			t.Errorf("changing a Pod's env: %v\n%s", err, out)
		}
		k.run("-n", ns, "delete", "pod", "web")

		// On a node: logs come from its kubelet; deletion waits for it.
		node := "node-" + name
		k.stdin(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"`+node+`"}}`, "create", "-f", "-")
		k.run("patch", "node", node, "--subresource=status", "--type=merge", "-p",
			fmt.Sprintf(`{"status":{"addresses":[{"type":"InternalIP","address":%q}],"daemonEndpoints":{"kubeletEndpoint":{"Port":%d}}}}`, host, port))
		k.run("-n", ns, "run", "bound", "--image=nginx", `--overrides={"spec":{"nodeName":"`+node+`"}}`)
		if out := strings.TrimSpace(k.run("-n", ns, "logs", "bound", "--tail=3")); out != "log of /containerLogs/"+ns+"/bound/bound tail=3" {
			t.Errorf("logs through the node's kubelet: %q", out)
		}
		k.run("-n", ns, "delete", "pod", "bound", "--wait=false")
		if out := strings.Join(strings.Fields(k.run("-n", ns, "get", "pod", "bound")), " "); !strings.Contains(out, "bound 0/1 Terminating") {
			t.Errorf("a deleted Pod on a node: %s", out)
		}
		k.run("-n", ns, "delete", "pod", "bound", "--force", "--grace-period=0")
		if out, _ := k.try("-n", ns, "get", "pod", "bound"); !strings.Contains(out, `pods "bound" not found`) {
			t.Errorf("a force-deleted Pod: %s", out)
		}

		// kubectl drain evicts what runs on the node.
		k.run("-n", ns, "run", "drained", "--image=nginx", `--overrides={"spec":{"nodeName":"`+node+`"}}`)
		k.run("-n", ns, "patch", "pod", "drained", "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Running"}}`)
		out = k.run("drain", node, "--force", "--grace-period=0", "--timeout=30s")
		expectContains(t, "drain", out, "evicting pod "+ns+"/drained", "node/"+node+" drained")
		if out, _ := k.try("-n", ns, "get", "pod", "drained"); !strings.Contains(out, `pods "drained" not found`) {
			t.Errorf("a drained Pod: %s", out)
		}
	})
}

// TestPodBindingAndEviction: a scheduler's binding through client-go puts
// a Pod on a node once; eviction honours the PodDisruptionBudget.
func TestPodBindingAndEviction(t *testing.T) {
	p := startBinary(t, "", nil, "--disable-admission-plugins=ServiceAccount")
	cs := clientset(t, p)
	ctx := context.Background()
	const ns = "default"
	pod := func(name string) *corev1.Pod {
		created, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "guarded"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return created
	}
	// With the ServiceAccount plugin off (as envtest runs), no account is
	// needed and no token mounted.
	first := pod("first")
	if first.Spec.ServiceAccountName != "" || len(first.Spec.Volumes) != 0 {
		t.Errorf("without the ServiceAccount plugin: account %q, volumes %v", first.Spec.ServiceAccountName, first.Spec.Volumes)
	}
	bind := func(name, node string) error {
		return cs.CoreV1().Pods(ns).Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: name}, Target: corev1.ObjectReference{Name: node}}, metav1.CreateOptions{})
	}
	if err := bind("first", "n1"); err != nil {
		t.Fatal(err)
	}
	if err := bind("first", "n2"); !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `pod first is already assigned to node "n1"`) {
		t.Errorf("a second binding: %v", err)
	}
	got, err := cs.CoreV1().Pods(ns).Get(ctx, "first", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.NodeName != "n1" || len(got.Status.Conditions) != 1 || got.Status.Conditions[0].Type != corev1.PodScheduled {
		t.Errorf("bound Pod: node %q, conditions %v", got.Spec.NodeName, got.Status.Conditions)
	}
	got.Status.Phase = corev1.PodRunning
	got.Status.Conditions = append(got.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pdb, err := cs.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "guard"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "guarded"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	evict := func(name string) error {
		return cs.PolicyV1().Evictions(ns).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, DeleteOptions: &metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}})
	}
	// The budget's controller has not seen it yet.
	if err := evict("first"); !apierrors.IsTooManyRequests(err) || !strings.Contains(err.Error(), "Cannot evict pod as it would violate the pod's disruption budget.") {
		t.Errorf("eviction under an unprocessed budget: %v", err)
	}
	pdb.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.Generation, DisruptionsAllowed: 1, CurrentHealthy: 2, DesiredHealthy: 1, ExpectedPods: 2}
	if _, err := cs.PolicyV1().PodDisruptionBudgets(ns).UpdateStatus(ctx, pdb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := evict("first"); err != nil {
		t.Fatalf("eviction the budget allows: %v", err)
	}
	if _, err := cs.CoreV1().Pods(ns).Get(ctx, "first", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the evicted Pod: %v", err)
	}
	after, err := cs.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "guard", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, recorded := after.Status.DisruptedPods["first"]; after.Status.DisruptionsAllowed != 0 || !recorded {
		t.Errorf("budget after the eviction: %+v", after.Status)
	}
	// None left: the next ready Pod stays.
	second := pod("second")
	if err := bind(second.Name, "n1"); err != nil {
		t.Fatal(err)
	}
	second, _ = cs.CoreV1().Pods(ns).Get(ctx, "second", metav1.GetOptions{})
	second.Status.Phase = corev1.PodRunning
	second.Status.Conditions = append(second.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, second, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = evict("second")
	var status apierrors.APIStatus
	if !apierrors.IsTooManyRequests(err) || !asStatus(err, &status) || len(status.Status().Details.Causes) != 1 ||
		status.Status().Details.Causes[0].Message != "The disruption budget guard needs 1 healthy pods and has 2 currently" {
		t.Errorf("eviction past the budget: %v", err)
	}
	watchPods(t, cs, ns)
}

func asStatus(err error, out *apierrors.APIStatus) bool {
	s, ok := err.(apierrors.APIStatus) //nolint:errorlint // client-go returns *StatusError itself
	*out = s
	return ok
}

// watchPods: a field-selected watch sees a Pod scheduled, as kubelets
// watch for theirs.
func watchPods(t *testing.T, cs *kubernetes.Clientset, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := cs.CoreV1().Pods("").Watch(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=n9"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "watched"},
		Spec: corev1.PodSpec{NodeName: "n9", Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-w.ResultChan():
		if p, ok := ev.Object.(*corev1.Pod); !ok || p.Name != "watched" {
			t.Errorf("watch event: %v %T", ev.Type, ev.Object)
		}
	case <-ctx.Done():
		t.Error("no watch event for a Pod on the node")
	}
}

// TestFlowControl: kube's bootstrap configuration is there, listed and
// described by every kubectl as kube-apiserver lists it, and a FlowSchema
// naming a missing level is marked Dangling until the level exists.
func TestFlowControl(t *testing.T) {
	p := startBinary(t, "", nil)
	eachKubectl(t, p, func(t *testing.T, k kubectl, name string) {
		var out string
		waitUntil(t, 10*time.Second, "the bootstrap FlowSchemas", func() bool {
			out, _ = k.try("get", "flowschemas")
			return strings.Contains(out, "catch-all")
		})
		rows := strings.Split(strings.TrimSpace(out), "\n")
		if len(rows) != 14 || !strings.HasPrefix(strings.Join(strings.Fields(rows[1]), " "), "exempt exempt 1 <none>") ||
			!strings.HasPrefix(strings.Join(strings.Fields(rows[13]), " "), "catch-all catch-all 10000 ByUser") {
			t.Errorf("get flowschemas:\n%s", out)
		}
		out = strings.Join(strings.Fields(k.run("get", "prioritylevelconfigurations", "workload-low")), " ")
		expectContains(t, "get prioritylevelconfigurations", out, "NAME TYPE NOMINALCONCURRENCYSHARES QUEUES HANDSIZE QUEUELENGTHLIMIT AGE", "workload-low Limited 100 128 6 50")
		expectContains(t, "describe flowschema", k.run("describe", "flowschema", "global-default"), "Matching Precedence:  9900")
		fs := "fs-" + name
		k.stdin(`{"apiVersion":"flowcontrol.apiserver.k8s.io/v1","kind":"FlowSchema","metadata":{"name":"`+fs+`"},"spec":{"priorityLevelConfiguration":{"name":"`+fs+`"},"matchingPrecedence":500}}`, "create", "-f", "-")
		missing := func(want string) func() bool {
			return func() bool {
				return k.run("get", "flowschema", fs, "-o", "jsonpath={.status.conditions[?(@.type==\"Dangling\")].status}") == want
			}
		}
		waitUntil(t, 10*time.Second, "a dangling FlowSchema", missing("True"))
		k.stdin(`{"apiVersion":"flowcontrol.apiserver.k8s.io/v1","kind":"PriorityLevelConfiguration","metadata":{"name":"`+fs+`"},"spec":{"type":"Limited","limited":{"limitResponse":{"type":"Reject"}}}}`, "create", "-f", "-")
		waitUntil(t, 10*time.Second, "the FlowSchema's level found", missing("False"))
		if out, err := k.stdinTry(`{"apiVersion":"flowcontrol.apiserver.k8s.io/v1","kind":"PriorityLevelConfiguration","metadata":{"name":"bad"},"spec":{"type":"Limited"}}`, "create", "-f", "-"); err == nil ||
			!strings.Contains(out, `The PriorityLevelConfiguration "bad" is invalid: spec.limited: Required value: must not be empty when type is Limited`) {
			t.Errorf("an invalid level: %v\n%s", err, out)
		}
		k.run("delete", "flowschema", fs)
		k.run("delete", "prioritylevelconfiguration", fs)
	})
}
