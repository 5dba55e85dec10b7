package pod

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// AssignType is the type of the writes a binding makes: the Pod is
// computed from the stored one, spec and status together, so the strategy
// trusts it.
func AssignType() rest.Type { return Type().WithStrategy(assignStrategy{}) }

type assignStrategy struct{ rest.PlainStrategy }

// PodUpdater reads and writes Pods, as the generic store does.
type PodUpdater interface {
	rest.Getter
	rest.Updater
}

// BindingStorage serves pods/binding: a scheduler's POST of a Binding
// puts the Pod on a node, once.
type BindingStorage struct {
	// Pods writes with AssignType.
	Pods PodUpdater
}

var _ rest.NamedCreater = BindingStorage{}

// New returns an empty Binding.
func (BindingStorage) New() runtime.Object { return &corev1.Binding{} }

var bindingResource = schema.GroupResource{Resource: "pods/binding"}

// CreateNamed assigns the Pod ns/name to the binding's node, as kube: a
// Pod being deleted, already on a node, or with scheduling gates left is a
// conflict.
func (b BindingStorage) CreateNamed(ctx context.Context, ns, name string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
	binding, ok := obj.(*corev1.Binding)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a Binding: %T", obj))
	}
	if binding.Name != name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Binding object")
	}
	var errs field.ErrorList
	if k := binding.Target.Kind; k != "" && k != "Node" {
		errs = append(errs, field.NotSupported(field.NewPath("target", "kind"), k, []string{"Node", "<empty>"}))
	}
	if binding.Target.Name == "" {
		errs = append(errs, field.Required(field.NewPath("target", "name"), ""))
	}
	if len(errs) > 0 {
		// kube answers these as a 500 without a reason.
		return nil, rest.InternalError(errs.ToAggregate().Error())
	}
	_, _, err := b.Pods.Update(ctx, ns, name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, name)
		}
		p := current.(*corev1.Pod).DeepCopy()
		if binding.UID != "" && binding.UID != p.UID {
			return nil, apierrors.NewConflict(bindingResource, name,
				fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", binding.UID, p.UID)) //nolint:staticcheck // kube's message
		}
		if err := assignable(p); err != nil {
			return nil, apierrors.NewConflict(bindingResource, name, err)
		}
		p.Spec.NodeName = binding.Target.Name
		for k, v := range binding.Annotations {
			if p.Annotations == nil {
				p.Annotations = map[string]string{}
			}
			p.Annotations[k] = v
		}
		setCondition(&p.Status, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue})
		return p, nil
	}, dryRun, false)
	if err != nil {
		return nil, err
	}
	return created(), nil
}

// created is the answer of a binding or an eviction.
func created() *metav1.Status {
	return &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess, Code: http.StatusCreated}
}

func assignable(p *corev1.Pod) error {
	switch {
	case p.DeletionTimestamp != nil:
		return fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", p.Name)
	case p.Spec.NodeName != "":
		return fmt.Errorf("pod %v is already assigned to node %q", p.Name, p.Spec.NodeName)
	case len(p.Spec.SchedulingGates) > 0:
		return errors.New("pod " + p.Name + " has non-empty .spec.schedulingGates")
	}
	return nil
}

// setCondition sets c in s, as kube's UpdatePodCondition: the transition
// time moves only when the status does.
func setCondition(s *corev1.PodStatus, c corev1.PodCondition) {
	now := metav1.NewTime(time.Now())
	for i := range s.Conditions {
		old := &s.Conditions[i]
		if old.Type != c.Type {
			continue
		}
		c.LastTransitionTime = old.LastTransitionTime
		if old.Status != c.Status {
			c.LastTransitionTime = now
		}
		c.LastProbeTime = old.LastProbeTime
		*old = c
		return
	}
	c.LastTransitionTime = now
	s.Conditions = append(s.Conditions, c)
}
