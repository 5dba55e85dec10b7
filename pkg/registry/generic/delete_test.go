package generic_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Plain deletes racing with updates of the same object never answer 409:
// the delete reads the object again and decides again (issue 10).
func TestDeleteRacingUpdatesNeverConflicts(t *testing.T) {
	s := newStore(t, nil)
	ctx := t.Context()
	const rounds, updaters = 20, 4
	var conflicts, deletes atomic.Int64
	for round := range rounds {
		if _, err := s.Create(ctx, "ns", cm("hot"), false); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for u := range updaters {
			wg.Go(func() {
				// Bounded, so that a delete that fails leaves no updater
				// running forever.
				for i := range 200 {
					_, _, err := s.Update(ctx, "ns", "hot", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
						if cur == nil {
							return nil, apierrors.NewNotFound(corev1.Resource("configmaps"), "hot")
						}
						c := cur.DeepCopyObject().(*corev1.ConfigMap)
						c.Data = map[string]string{"k": fmt.Sprintf("%d-%d-%d", round, u, i)}
						return c, nil
					}, false, false)
					if apierrors.IsNotFound(err) {
						return
					}
					if err != nil {
						t.Errorf("update: %v", err)
						return
					}
				}
			})
		}
		_, deleted, err := s.Delete(ctx, "ns", "hot", &metav1.DeleteOptions{}, false)
		switch {
		case apierrors.IsConflict(err):
			conflicts.Add(1)
		case err != nil:
			t.Errorf("delete: %v", err)
		case deleted:
			deletes.Add(1)
		}
		wg.Wait()
		_, _, _ = s.Delete(ctx, "ns", "hot", &metav1.DeleteOptions{}, false)
	}
	if conflicts.Load() != 0 {
		t.Errorf("%d of %d plain deletes answered 409", conflicts.Load(), rounds)
	}
	if deletes.Load() != rounds {
		t.Errorf("%d of %d deletes deleted", deletes.Load(), rounds)
	}
}

// A resourceVersion precondition still fails exactly when it does not
// hold.
func TestDeletePreconditions(t *testing.T) {
	s := newStore(t, nil)
	ctx := t.Context()
	obj, err := s.Create(ctx, "ns", cm("c"), false)
	if err != nil {
		t.Fatal(err)
	}
	rv := obj.(*corev1.ConfigMap).ResourceVersion
	changed := cm("c")
	changed.Data["k"] = "w"
	if _, _, err := s.Update(ctx, "ns", "c", replace(changed), false, false); err != nil {
		t.Fatal(err)
	}
	stale := &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}}
	if _, _, err := s.Delete(ctx, "ns", "c", stale, false); !apierrors.IsConflict(err) {
		t.Errorf("delete with a stale resourceVersion = %v, want 409", err)
	}
	cur, _ := s.Get(ctx, "ns", "c", &metav1.GetOptions{})
	fresh := cur.(*corev1.ConfigMap).ResourceVersion
	if _, deleted, err := s.Delete(ctx, "ns", "c", &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &fresh}}, false); err != nil || !deleted {
		t.Errorf("delete with the current resourceVersion = %v, %v", deleted, err)
	}
}

// An update that removes the last finalizer of an object being deleted
// deletes it and answers the object, not a Status, as kube-apiserver does.
func TestLastFinalizerAnswersTheObject(t *testing.T) {
	s := newStore(t, nil)
	ctx := t.Context()
	held := cm("held")
	held.Finalizers = []string{"example.com/hold"}
	if _, err := s.Create(ctx, "ns", held, false); err != nil {
		t.Fatal(err)
	}
	if _, deleted, err := s.Delete(ctx, "ns", "held", &metav1.DeleteOptions{}, false); err != nil || deleted {
		t.Fatalf("delete of a held object: deleted %v, %v", deleted, err)
	}
	out, _, err := s.Update(ctx, "ns", "held", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		c := cur.DeepCopyObject().(*corev1.ConfigMap)
		c.Finalizers = nil
		return c, nil
	}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := out.(*corev1.ConfigMap)
	if !ok || got.Name != "held" || got.DeletionTimestamp == nil || len(got.Finalizers) != 0 {
		t.Errorf("answer = %#v, want the ConfigMap as deleted", out)
	}
	if _, err := s.Get(ctx, "ns", "held", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the object outlived its last finalizer: %v", err)
	}
}

// A delete sets or clears the garbage collector's finalizers as its
// propagation policy says, as kube-apiserver's store does: the explicit
// option first, then the finalizer the object carries, then Background
// (neither). An object left with no finalizer is deleted at once.
func TestDeletePropagationFinalizers(t *testing.T) {
	s := newStore(t, nil)
	policy := func(p metav1.DeletionPropagation) *metav1.DeleteOptions {
		return &metav1.DeleteOptions{PropagationPolicy: &p}
	}
	tests := []struct {
		name       string
		finalizers []string
		opts       *metav1.DeleteOptions
		// want is nil when the object is deleted now.
		want []string
	}{
		{name: "background", opts: policy(metav1.DeletePropagationBackground)},
		{name: "default", opts: &metav1.DeleteOptions{}},
		{name: "foreground", opts: policy(metav1.DeletePropagationForeground), want: []string{metav1.FinalizerDeleteDependents}},
		{name: "orphan", opts: policy(metav1.DeletePropagationOrphan), want: []string{metav1.FinalizerOrphanDependents}},
		{name: "orphanDependents", opts: &metav1.DeleteOptions{OrphanDependents: new(true)}, want: []string{metav1.FinalizerOrphanDependents}},
		{name: "orphanDependents false clears orphan", finalizers: []string{metav1.FinalizerOrphanDependents},
			opts: &metav1.DeleteOptions{OrphanDependents: new(false)}},
		{name: "the object's own orphan finalizer", finalizers: []string{metav1.FinalizerOrphanDependents},
			opts: &metav1.DeleteOptions{}, want: []string{metav1.FinalizerOrphanDependents}},
		{name: "background clears a foreground finalizer", finalizers: []string{metav1.FinalizerDeleteDependents},
			opts: policy(metav1.DeletePropagationBackground)},
		{name: "foreground replaces orphan, other finalizers kept", finalizers: []string{"example.com/a", metav1.FinalizerOrphanDependents},
			opts: policy(metav1.DeletePropagationForeground), want: []string{"example.com/a", metav1.FinalizerDeleteDependents}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("cm-%d", i)
			obj := cm(name)
			obj.Finalizers = tt.finalizers
			if _, err := s.Create(t.Context(), "ns", obj, false); err != nil {
				t.Fatal(err)
			}
			out, deleted, err := s.Delete(t.Context(), "ns", name, tt.opts, false)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if !deleted {
					t.Fatalf("not deleted: %+v", out)
				}
				return
			}
			got, ok := out.(*corev1.ConfigMap)
			if deleted || !ok {
				t.Fatalf("deleted = %v, answer %T; want the object kept", deleted, out)
			}
			if got.DeletionTimestamp == nil || fmt.Sprint(got.Finalizers) != fmt.Sprint(tt.want) {
				t.Errorf("finalizers = %v, deletionTimestamp %v; want %v and a deletionTimestamp", got.Finalizers, got.DeletionTimestamp, tt.want)
			}
		})
	}
}
