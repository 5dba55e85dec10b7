package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// TestControllerRuntimeLeaderElection: a controller-runtime manager with
// leader election on a Lease becomes leader and reconciles, writing with
// server-side apply (client.Apply).
func TestControllerRuntimeLeaderElection(t *testing.T) {
	p := startBinary(t, "", nil)
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(p.DataDir, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	log.SetLogger(zap.New(zap.WriteTo(testWriter{t})))
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		LeaderElection:          true,
		LeaderElectionID:        "e2e-operator",
		LeaderElectionNamespace: "default",
		LeaseDuration:           ptr.To(4 * time.Second),
		RenewDeadline:           ptr.To(3 * time.Second),
		RetryPeriod:             ptr.To(500 * time.Millisecond),
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := mgr.GetClient()
	err = ctrl.NewControllerManagedBy(mgr).For(&corev1.ConfigMap{}).Complete(reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		if req.Name != "watched" {
			return reconcile.Result{}, nil
		}
		// Server-side apply of the one field this controller owns.
		patch := &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: req.Name, Namespace: req.Namespace},
			Data:       map[string]string{"reconciled": "yes"},
		}
		return reconcile.Result{}, c.Patch(ctx, patch, client.Apply, client.FieldOwner("e2e-operator"), client.ForceOwnership)
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	select {
	case <-mgr.Elected():
	case err := <-done:
		t.Fatalf("manager stopped before it was elected: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the manager was not elected within 30s")
	}
	cs := clientset(t, p)
	lease, err := cs.CoordinationV1().Leases("default").Get(t.Context(), "e2e-operator", metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Fatalf("leader lease = %+v, %v", lease, err)
	}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "watched"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "the controller reconciled", func() bool {
		var cm corev1.ConfigMap
		err := c.Get(t.Context(), types.NamespacedName{Namespace: "default", Name: "watched"}, &cm)
		return err == nil && cm.Data["reconciled"] == "yes"
	})
	var renewed coordinationv1.Lease
	waitUntil(t, 10*time.Second, "the lease renewed", func() bool {
		err := c.Get(t.Context(), types.NamespacedName{Namespace: "default", Name: "e2e-operator"}, &renewed)
		return err == nil && renewed.Spec.RenewTime != nil && renewed.Spec.RenewTime.After(lease.Spec.RenewTime.Time)
	})
}

// testWriter sends a logger's lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
