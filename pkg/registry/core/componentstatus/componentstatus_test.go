package componentstatus

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestStatuses: one status per etcd member, healthy or not as its probe
// says, printed as kube prints them.
func TestStatuses(t *testing.T) {
	s := Storage{Members: []Probe{
		func(context.Context) error { return nil },
		func(context.Context) error { return errors.New("connection refused") },
	}}
	obj, err := s.List(t.Context(), "", &metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	list := obj.(*corev1.ComponentStatusList)
	if len(list.Items) != 2 || list.Items[0].Name != "etcd-0" || list.Items[1].Conditions[0].Error != "connection refused" {
		t.Fatalf("list %+v", list.Items)
	}
	cells, _ := Table().Cells(&list.Items[0])
	if cells[1] != "Healthy" || cells[2] != "ok" {
		t.Errorf("healthy cells %v", cells)
	}
	cells, _ = Table().Cells(&list.Items[1])
	if cells[1] != "Unhealthy" || cells[3] != "connection refused" {
		t.Errorf("unhealthy cells %v", cells)
	}
	if _, err := s.Get(t.Context(), "", "scheduler", nil); !apierrors.IsNotFound(err) {
		t.Errorf("get of another component: %v", err)
	}
	if s.Declaration().Warning != "v1 ComponentStatus is deprecated in v1.19+" {
		t.Error("no deprecation warning")
	}
}
