package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// TestEnvtest runs controller-runtime's envtest, unmodified, with this
// binary as its kube-apiserver and Debian's etcd: envtest passes
// kube-apiserver's flags, its own serving certificate in --cert-dir, its
// client CA and service account keys; its client must trust the server,
// install a CRD, and create and read objects as its administrator; the
// server writes nothing into envtest's working directory.
func TestEnvtest(t *testing.T) {
	etcd := requireTool(t, "etcd", "Debian's etcd-server")
	assets := t.TempDir()
	for name, target := range map[string]string{"kube-apiserver": binary, "etcd": etcd} {
		if err := os.Symlink(target, filepath.Join(assets, name)); err != nil {
			t.Fatal(err)
		}
	}
	crdDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(crdDir, "widgets.yaml"), []byte(widgetCRD("envtest.example.com")), 0o600); err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets, CRDDirectoryPaths: []string{crdDir}, ErrorIfCRDPathMissing: true}
	_, statErr := os.Stat(".apiserver")
	leftBefore := statErr == nil
	began := time.Now()
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("envtest did not start this apiserver: %v", err)
	}
	started := time.Since(began)
	defer func() {
		began := time.Now()
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
		t.Logf("envtest: control plane up in %s (CRD installed), stopped in %s", started, time.Since(began))
	}()
	// envtest runs it in this directory: with every file it needs given
	// by flags, it writes nothing here.
	if _, err := os.Stat(".apiserver"); err == nil && !leftBefore {
		t.Error("the apiserver left a data directory in envtest's working directory")
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "from-envtest", Namespace: "default"}, Data: map[string]string{"k": "v"}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatalf("creating a ConfigMap through envtest's client: %v", err)
	}
	w := &unstructured.Unstructured{}
	w.SetGroupVersionKind(schema.GroupVersionKind{Group: "envtest.example.com", Version: "v1", Kind: "Widget"})
	w.SetNamespace("default")
	w.SetName("w1")
	w.Object["spec"] = map[string]any{"size": int64(2)}
	firstCR := time.Now()
	if err := c.Create(ctx, w); err != nil {
		t.Fatalf("creating a custom object: %v", err)
	}
	t.Logf("first custom object in %s", time.Since(firstCR))
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(w.GroupVersionKind())
	if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "w1"}, got); err != nil || got.GetUID() == "" {
		t.Errorf("reading the custom object back: %v", err)
	}
	// envtest turns the ServiceAccount plugin off, as no controller makes
	// accounts there: a Pod needs none.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
	if err := c.Create(ctx, pod); err != nil || pod.Status.Phase != corev1.PodPending || len(pod.Spec.Volumes) != 0 {
		t.Errorf("creating a Pod under envtest: %v, phase %q, volumes %v", err, pod.Status.Phase, pod.Spec.Volumes)
	}
}
