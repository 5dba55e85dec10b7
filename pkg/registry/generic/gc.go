package generic

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// setGCFinalizers adds or removes the garbage collector's finalizers on an
// object about to be deleted with opts, as kube-apiserver decides them:
// orphanDependents or propagationPolicy when given, else the one of the two
// finalizers the object already carries (the first, should it carry both),
// else the default policy of every type served here, Background, which
// needs neither.
func setGCFinalizers(obj runtime.Object, opts *metav1.DeleteOptions) error {
	m, err := accessor(obj)
	if err != nil {
		return err
	}
	current := m.GetFinalizers()
	orphan, foreground := gcPolicy(current, opts)
	next := slices.DeleteFunc(slices.Clone(current), func(f string) bool {
		return f == metav1.FinalizerOrphanDependents || f == metav1.FinalizerDeleteDependents
	})
	if orphan {
		next = append(next, metav1.FinalizerOrphanDependents)
	}
	if foreground {
		next = append(next, metav1.FinalizerDeleteDependents)
	}
	if !sameSet(current, next) {
		m.SetFinalizers(next)
	}
	return nil
}

// gcPolicy reports whether dependents are to be orphaned, or deleted before
// their owner (foreground).
func gcPolicy(finalizers []string, opts *metav1.DeleteOptions) (orphan, foreground bool) {
	if opts != nil && opts.OrphanDependents != nil {
		return *opts.OrphanDependents, false
	}
	if opts != nil && opts.PropagationPolicy != nil {
		switch *opts.PropagationPolicy {
		case metav1.DeletePropagationOrphan:
			return true, false
		case metav1.DeletePropagationForeground:
			return false, true
		case metav1.DeletePropagationBackground:
			return false, false
		}
	}
	for _, f := range finalizers {
		switch f {
		case metav1.FinalizerOrphanDependents:
			return true, false
		case metav1.FinalizerDeleteDependents:
			return false, true
		}
	}
	return false, false
}

func sameSet(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}
