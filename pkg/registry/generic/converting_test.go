package generic_test

import (
	"context"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/registry/autoscaling/horizontalpodautoscaler"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// TestConverting: every verb of a served version converts on the way in
// and out of the stored one (autoscaling/v1 over v2), watches included.
// The watch is left with events unread when it is stopped: the goroutine
// check of TestMain fails if that leaks its converter (it did with
// apimachinery's watch.Filter).
func TestConverting(t *testing.T) {
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	stored, err := generic.NewStore(backend, horizontalpodautoscaler.Type(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	c := horizontalpodautoscaler.V1Storage(stored)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	w, err := c.Watch(ctx, "ns", &metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	v1 := &autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "h", Namespace: "ns"}, Spec: autoscalingv1.HorizontalPodAutoscalerSpec{
		MinReplicas: ptr.To[int32](1), MaxReplicas: 3, TargetCPUUtilizationPercentage: ptr.To[int32](60),
		ScaleTargetRef: autoscalingv1.CrossVersionObjectReference{Kind: "Deployment", Name: "d"},
	}}
	created, err := c.Create(ctx, "ns", v1, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := created.(*autoscalingv1.HorizontalPodAutoscaler); *got.Spec.TargetCPUUtilizationPercentage != 60 || got.UID == "" {
		t.Errorf("created: %+v", got)
	}
	obj, err := stored.Get(ctx, "ns", "h", &metav1.GetOptions{})
	if err != nil || *obj.(*autoscalingv2.HorizontalPodAutoscaler).Spec.Metrics[0].Resource.Target.AverageUtilization != 60 {
		t.Errorf("stored: %+v %v", obj, err)
	}
	select {
	case ev := <-w.ResultChan():
		if _, ok := ev.Object.(*autoscalingv1.HorizontalPodAutoscaler); ev.Type != watch.Added || !ok {
			t.Errorf("watch event %s %T", ev.Type, ev.Object)
		}
	case <-ctx.Done():
		t.Fatal("no watch event")
	}
	updated, _, err := c.Update(ctx, "ns", "h", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		h := cur.(*autoscalingv1.HorizontalPodAutoscaler).DeepCopy()
		h.Spec.MaxReplicas = 5
		return h, nil
	}, false, false)
	if err != nil || updated.(*autoscalingv1.HorizontalPodAutoscaler).Spec.MaxReplicas != 5 {
		t.Errorf("updated: %+v %v", updated, err)
	}
	list, err := c.List(ctx, "ns", &metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l := list.(*autoscalingv1.HorizontalPodAutoscalerList)
	if len(l.Items) != 1 || l.ResourceVersion == "" || l.Items[0].Spec.MaxReplicas != 5 {
		t.Errorf("list: %+v", l)
	}
	table, err := c.Table().ConvertToTable(ctx, list, nil)
	if err != nil || len(table.Rows) != 1 || table.Rows[0].Cells[2] != "cpu: <unknown>/60%" {
		t.Errorf("table: %+v %v", table, err)
	}
	if _, err := c.Create(ctx, "ns", &autoscalingv2.HorizontalPodAutoscaler{}, false); err == nil {
		t.Error("an object of the stored version was taken as the served one")
	}
	out, deleted, err := c.Delete(ctx, "ns", "h", &metav1.DeleteOptions{}, false)
	if err != nil || !deleted {
		t.Errorf("delete: %+v %v %v", out, deleted, err)
	}
	if _, err := c.Create(ctx, "ns", v1.DeepCopy(), false); err != nil {
		t.Fatal(err)
	}
	gone, err := c.DeleteCollection(ctx, "ns", &metav1.ListOptions{}, &metav1.DeleteOptions{}, false)
	if err != nil || len(gone.(*autoscalingv1.HorizontalPodAutoscalerList).Items) != 1 {
		t.Errorf("delete collection: %+v %v", gone, err)
	}
}

// A bookmark reaches a typed client as an object of the served type with
// the stored bookmark's resourceVersion: client-go's reflector refuses
// any other type ("Unexpected watch event object type") and restarts.
func TestConvertWatchBookmarks(t *testing.T) {
	in := watch.NewFake()
	c := generic.Converting{NewServed: func() runtime.Object { return &autoscalingv1.HorizontalPodAutoscaler{} }}
	out := generic.ConvertWatch(in, func(obj runtime.Object) (runtime.Object, error) { return obj, nil },
		func(obj runtime.Object) runtime.Object { return generic.ServedBookmark(c, obj) })
	defer out.Stop()
	go in.Action(watch.Bookmark, &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "42",
		Annotations: map[string]string{metav1.InitialEventsAnnotationKey: "true"}}})
	e := <-out.ResultChan()
	got, ok := e.Object.(*autoscalingv1.HorizontalPodAutoscaler)
	if e.Type != watch.Bookmark || !ok || got.ResourceVersion != "42" || got.Annotations[metav1.InitialEventsAnnotationKey] != "true" {
		t.Errorf("bookmark %s %#v", e.Type, e.Object)
	}
}
