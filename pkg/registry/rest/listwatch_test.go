package rest

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

type listOnly struct{ namespaces []string }

func (*listOnly) New() runtime.Object     { return &corev1.ConfigMap{} }
func (*listOnly) NewList() runtime.Object { return &corev1.ConfigMapList{} }
func (l *listOnly) List(_ context.Context, ns string, _ *metav1.ListOptions) (runtime.Object, error) {
	l.namespaces = append(l.namespaces, ns)
	return &corev1.ConfigMapList{}, nil
}

type listWatch struct{ listOnly }

func (l *listWatch) Watch(_ context.Context, ns string, _ *metav1.ListOptions) (watch.Interface, error) {
	l.namespaces = append(l.namespaces, ns)
	return watch.NewEmptyWatch(), nil
}

func TestListWatch(t *testing.T) {
	if _, ok := ListWatch(&listOnly{}); ok {
		t.Error("a storage that cannot watch was followed")
	}
	s := &listWatch{}
	lw, ok := ListWatch(s)
	if !ok {
		t.Fatal("a storage that lists and watches was not followed")
	}
	if _, err := lw.ListWithContext(context.Background(), metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := lw.WatchWithContext(context.Background(), metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(s.namespaces) != 2 || s.namespaces[0] != "" || s.namespaces[1] != "" {
		t.Errorf("calls in namespaces %q, want every namespace twice", s.namespaces)
	}
}
