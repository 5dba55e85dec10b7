package e2e

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
)

// TestEventsAPI: client-go's events.k8s.io/v1 recorder (what
// controller-runtime recommends) writes events that read the same through
// core/v1 and events.k8s.io/v1, kubectl lists them under both names, and
// a write through events.k8s.io/v1 is validated as kube-apiserver 1.31
// validates it.
func TestEventsAPI(t *testing.T) {
	p := startBinary(t, "", nil)
	cs := clientset(t, p)
	ctx := t.Context()
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: cs.EventsV1()})
	broadcaster.StartRecordingToSink(ctx.Done())
	defer broadcaster.Shutdown()
	recorder := broadcaster.NewRecorder(scheme.Scheme, "e2e-operator")
	cm, err := cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "watched"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	recorder.Eventf(cm, nil, corev1.EventTypeNormal, "Reconciled", "Reconcile", "reconciled %s", cm.Name)
	waitUntil(t, 20*time.Second, "the recorded event", func() bool {
		list, err := cs.EventsV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "regarding.name=watched"})
		return err == nil && len(list.Items) == 1 && list.Items[0].Note == "reconciled watched" && list.Items[0].ReportingController == "e2e-operator"
	})
	core, err := cs.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=watched"})
	if err != nil || len(core.Items) != 1 || core.Items[0].Message != "reconciled watched" || core.Items[0].Action != "Reconcile" {
		t.Fatalf("through core/v1: %+v, %v", core, err)
	}
	k := kubectl{t: t, bin: kubectls(t)["kubectl"], kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
	for _, resource := range []string{"events", "events.events.k8s.io"} {
		if out := k.run("get", resource); !strings.Contains(out, "Reconciled") || !strings.Contains(out, "configmap/watched") {
			t.Errorf("kubectl get %s:\n%s", resource, out)
		}
	}
	if out, err := k.stdinTry(`{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e1"}}`, "create", "-f", "-"); err == nil ||
		!strings.Contains(out, "The Event \"e1\" is invalid: \n* eventTime: Required value\n* type: Invalid value: \"\": has invalid value: ") {
		t.Errorf("an empty events.k8s.io event: %v\n%s", err, out)
	}
}
