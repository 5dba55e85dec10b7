package generic

import (
	"context"
	"fmt"
	"reflect"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Replicas reads and writes what the scale subresource of one type shows.
type Replicas struct {
	// SpecPath is where the desired replicas are in the object
	// (spec.replicas), so that managedFields map onto the Scale's.
	SpecPath []string
	// Get returns the desired and observed replicas of obj, and its label
	// selector as a string.
	Get func(obj runtime.Object) (spec, status int32, selector string)
	// Set sets the desired replicas of obj.
	Set func(obj runtime.Object, replicas int32) error
	// ManagedFields shows, on the Scale, who manages the replicas: kube
	// does for custom resources, not for its own workloads.
	ManagedFields bool
}

// ScaleStorage serves <object>/scale as an autoscaling/v1 Scale over the
// objects of Store, as kube-apiserver serves it for Deployments and for
// custom resources.
type ScaleStorage struct {
	Store    *Store
	Replicas Replicas
}

// New returns an empty Scale, what bodies decode into.
func (s ScaleStorage) New() runtime.Object { return &autoscalingv1.Scale{} }

// managed maps the object's managedFields to the Scale's (who manages the
// replicas) and back, as kube-apiserver does.
func (s ScaleStorage) managed(m metav1.Object) *managedfields.ScaleHandler {
	gv := s.Store.Info().GroupVersion()
	p := make([]any, len(s.Replicas.SpecPath))
	for i, e := range s.Replicas.SpecPath {
		p[i] = e
	}
	return managedfields.NewScaleHandler(m.GetManagedFields(), gv, managedfields.ResourcePathMappings{
		gv.String(): fieldpath.MakePathOrDie(p...),
	})
}

// scaleOf is the Scale of obj, with the managedFields of its replicas.
func (s ScaleStorage) scaleOf(obj runtime.Object) (*autoscalingv1.Scale, error) {
	m, err := accessor(obj)
	if err != nil {
		return nil, err
	}
	spec, status, selector := s.Replicas.Get(obj)
	sc := &autoscalingv1.Scale{
		TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v1", Kind: "Scale"},
		ObjectMeta: metav1.ObjectMeta{
			Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
			ResourceVersion: m.GetResourceVersion(), CreationTimestamp: m.GetCreationTimestamp(),
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: spec},
		Status: autoscalingv1.ScaleStatus{Replicas: status, Selector: selector},
	}
	if s.Replicas.ManagedFields {
		if entries, err := s.managed(m).ToSubresource(); err == nil {
			sc.ManagedFields = entries
		}
	}
	return sc, nil
}

// Get returns the Scale of the object.
func (s ScaleStorage) Get(ctx context.Context, ns, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	obj, err := s.Store.Get(ctx, ns, name, opts)
	if err != nil {
		return nil, err
	}
	return s.scaleOf(obj)
}

// Update applies the Scale that update computes from the current one to
// the replicas of the object. A Scale carrying a resourceVersion must match
// the object's.
func (s ScaleStorage) Update(ctx context.Context, ns, name string, update rest.UpdateFunc, dryRun, _ bool) (runtime.Object, bool, error) {
	gr := s.Store.Info().GroupResource()
	updated, _, err := s.Store.Update(ctx, ns, name, func(ctx context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(gr, name)
		}
		obj := current.DeepCopyObject()
		cur, err := s.scaleOf(obj)
		if err != nil {
			return nil, err
		}
		next, err := update(ctx, cur)
		if err != nil {
			return nil, err
		}
		scale, ok := next.(*autoscalingv1.Scale)
		if !ok {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("expected a Scale, got %T", next))
		}
		m, err := accessor(obj)
		if err != nil {
			return nil, err
		}
		if scale.ResourceVersion != "" && scale.ResourceVersion != m.GetResourceVersion() {
			return nil, apierrors.NewConflict(gr, name,
				fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
		}
		if err := s.Replicas.Set(obj, scale.Spec.Replicas); err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		if scale.ManagedFields != nil {
			entries, err := s.managed(m).ToParent(scale.ManagedFields)
			if err != nil {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("managedFields of the scale: %v", err))
			}
			m.SetManagedFields(entries)
		}
		return obj, nil
	}, dryRun, false)
	if err != nil {
		return nil, false, err
	}
	sc, err := s.scaleOf(updated)
	return sc, false, err
}

// WorkloadReplicas are the Replicas of a workload type whose object has
// spec.replicas (*int32), status.replicas (int32) and spec.selector (a
// *metav1.LabelSelector), as Deployments, ReplicaSets and StatefulSets
// have; fields are found by name.
var WorkloadReplicas = Replicas{
	SpecPath: []string{"spec", "replicas"},
	Get: func(obj runtime.Object) (int32, int32, string) {
		spec, status := specAndStatus(obj)
		var desired int32
		if p, ok := spec.FieldByName("Replicas").Interface().(*int32); ok && p != nil {
			desired = *p
		}
		selector := ""
		if s, ok := spec.FieldByName("Selector").Interface().(*metav1.LabelSelector); ok && s != nil {
			selector = metav1.FormatLabelSelector(s)
		}
		observed, _ := status.FieldByName("Replicas").Interface().(int32)
		return desired, observed, selector
	},
	Set: func(obj runtime.Object, replicas int32) error {
		spec, _ := specAndStatus(obj)
		f := spec.FieldByName("Replicas")
		if !f.IsValid() || f.Type() != reflect.TypeOf((*int32)(nil)) {
			return fmt.Errorf("%T has no spec.replicas", obj)
		}
		f.Set(reflect.ValueOf(&replicas))
		return nil
	},
}

func specAndStatus(obj runtime.Object) (spec, status reflect.Value) {
	v := reflect.ValueOf(obj).Elem()
	return v.FieldByName("Spec"), v.FieldByName("Status")
}
