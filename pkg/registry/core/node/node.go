// Package node is the core/v1 Node resource (nodes, cluster-scoped, short
// name no) as kube-apiserver 1.31 serves it: status written with the
// Node, as kubelets register them, kube's defaults (podCIDRs from
// podCIDR, allocatable from capacity, and the not-ready taint kube's
// TaintNodesByCondition admission puts on a new Node), validation with
// kube's messages, /status, and kube's columns. No kubelet runs here:
// Nodes are whatever clients write.
package node

import (
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the nodes resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("nodes"),
			Kind:                 "Node",
			ListKind:             "NodeList",
			Singular:             "node",
			ShortNames:           []string{"no"},
			Verbs:                rest.DefaultVerbs,
		},
		New:              func() runtime.Object { return &corev1.Node{} },
		NewList:          func() runtime.Object { return &corev1.NodeList{} },
		Strategy:         Strategy{},
		Attrs:            Attrs,
		SelectableFields: []string{"spec.unschedulable"},
		Table:            Table(),
		Defaults:         func(obj runtime.Object) { Default(obj.(*corev1.Node)) },
	}
}

// StatusType is the type of nodes/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// Attrs returns the labels of a Node and its selectable fields:
// metadata.name and spec.unschedulable.
func Attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return nil, nil, fmt.Errorf("not a Node: %T", obj)
	}
	return n.Labels, fields.Set{"metadata.name": n.Name, "spec.unschedulable": fmt.Sprint(n.Spec.Unschedulable)}, nil
}

// Default fills podCIDR and podCIDRs from each other and allocatable
// from capacity, as kube.
func Default(n *corev1.Node) {
	if n.Spec.PodCIDR != "" && len(n.Spec.PodCIDRs) == 0 {
		n.Spec.PodCIDRs = []string{n.Spec.PodCIDR}
	}
	if n.Spec.PodCIDR == "" && len(n.Spec.PodCIDRs) > 0 {
		n.Spec.PodCIDR = n.Spec.PodCIDRs[0]
	}
	if n.Status.Allocatable == nil && n.Status.Capacity != nil {
		n.Status.Allocatable = n.Status.Capacity.DeepCopy()
	}
}

// notReady is the taint kube's TaintNodesByCondition admission plugin
// puts on every new Node until its kubelet reports it ready.
var notReady = corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule}

// Strategy is the Node rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// PrepareForCreate keeps the status (kubelets register with it) and adds
// the not-ready taint.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	n := obj.(*corev1.Node)
	if !slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.MatchTaint(&notReady) }) {
		n.Spec.Taints = append(n.Spec.Taints, notReady)
	}
}

// PrepareForUpdate keeps the status.
func (Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	obj.(*corev1.Node).Status = old.(*corev1.Node).Status
}

// Validate checks a new Node.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.Node))
}

// ValidateUpdate checks the new Node; its pod CIDRs and provider ID are
// set once.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validateUpdate(obj.(*corev1.Node), old.(*corev1.Node))
}

func validateUpdate(n, o *corev1.Node) field.ErrorList {
	errs := Validate(n)
	if len(o.Spec.PodCIDRs) > 0 && !reflect.DeepEqual(n.Spec.PodCIDRs, o.Spec.PodCIDRs) {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "podCIDRs"), `node updates may not change podCIDR except from "" to valid`))
	}
	if o.Spec.ProviderID != "" && n.Spec.ProviderID != o.Spec.ProviderID {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "providerID"), `node updates may not change providerID except from "" to valid`))
	}
	return errs
}

var effects = []string{string(corev1.TaintEffectNoSchedule), string(corev1.TaintEffectPreferNoSchedule), string(corev1.TaintEffectNoExecute)}

// Validate returns the errors of n, as kube's ValidateNode (which reports
// taints under metadata, as here).
func Validate(n *corev1.Node) field.ErrorList {
	var errs field.ErrorList
	taints := field.NewPath("metadata", "taints")
	for i, t := range n.Spec.Taints {
		at := taints.Index(i)
		for _, msg := range validation.IsQualifiedName(t.Key) {
			errs = append(errs, field.Invalid(at.Child("key"), t.Key, msg))
		}
		if t.Value != "" {
			for _, msg := range validation.IsValidLabelValue(t.Value) {
				errs = append(errs, field.Invalid(at.Child("value"), t.Value, msg))
			}
		}
		if !slices.Contains(effects, string(t.Effect)) {
			errs = append(errs, field.NotSupported(at.Child("effect"), t.Effect, effects))
		}
		for _, prev := range n.Spec.Taints[:i] {
			if prev.Key == t.Key && prev.Effect == t.Effect {
				errs = append(errs, field.Duplicate(at, core.Printed(fmt.Sprintf("core.Taint{Key:%q, Value:%q, Effect:%q, TimeAdded:<nil>}", t.Key, t.Value, t.Effect))))
				errs[len(errs)-1].Detail = "taints must be unique by key and effect pair"
				break
			}
		}
	}
	cidrs := field.NewPath("spec", "podCIDRs")
	for i, c := range n.Spec.PodCIDRs {
		if _, err := netip.ParsePrefix(c); err != nil {
			errs = append(errs, field.Invalid(cidrs.Index(i), c, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
		}
	}
	if len(n.Spec.PodCIDRs) > 2 {
		errs = append(errs, field.Invalid(cidrs, core.Printed(fmt.Sprintf("%#v", n.Spec.PodCIDRs)), "may specify no more than one CIDR for each IP family"))
	}
	return errs
}

// statusStrategy is the strategy of nodes/status.
type statusStrategy struct{ rest.PlainStrategy }

// PrepareForUpdate keeps the old spec.
func (statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	obj.(*corev1.Node).Spec = old.(*corev1.Node).Spec
}

// ValidateUpdate checks the Node.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validateUpdate(obj.(*corev1.Node), old.(*corev1.Node))
}

// Table prints Nodes as kube-apiserver does: NAME, STATUS, ROLES, AGE,
// VERSION, and INTERNAL-IP, EXTERNAL-IP, OS-IMAGE, KERNEL-VERSION,
// CONTAINER-RUNTIME with -o wide.
func Table() tables.Convertor {
	info := corev1.NodeSystemInfo{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Status", "The status of the node"),
			tables.Column("Roles", "The roles of the node"),
			tables.AgeColumn(),
			tables.Column("Version", info["kubeletVersion"]),
			tables.WideColumn("Internal-IP", corev1.NodeStatus{}.SwaggerDoc()["addresses"]),
			tables.WideColumn("External-IP", corev1.NodeStatus{}.SwaggerDoc()["addresses"]),
			tables.WideColumn("OS-Image", info["osImage"]),
			tables.WideColumn("Kernel-Version", info["kernelVersion"]),
			tables.WideColumn("Container-Runtime", info["containerRuntimeVersion"]),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			n, ok := obj.(*corev1.Node)
			if !ok {
				return nil, fmt.Errorf("not a Node: %T", obj)
			}
			unknown := func(s string) string {
				if s == "" {
					return "<unknown>"
				}
				return s
			}
			ni := n.Status.NodeInfo
			return []interface{}{n.Name, status(n), roles(n), tables.Age(n.CreationTimestamp), ni.KubeletVersion,
				address(n, corev1.NodeInternalIP), address(n, corev1.NodeExternalIP), unknown(ni.OSImage), unknown(ni.KernelVersion),
				unknown(ni.ContainerRuntimeVersion)}, nil
		},
	}
}

func status(n *corev1.Node) string {
	s := "Unknown"
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			switch c.Status {
			case corev1.ConditionTrue:
				s = "Ready"
			case corev1.ConditionFalse:
				s = "NotReady"
			}
		}
	}
	if n.Spec.Unschedulable {
		s += ",SchedulingDisabled"
	}
	return s
}

// roles are the node-role.kubernetes.io/<role> labels and
// kubernetes.io/role, sorted, or <none>.
func roles(n *corev1.Node) string {
	var out []string
	for k, v := range n.Labels {
		switch {
		case strings.HasPrefix(k, "node-role.kubernetes.io/"):
			if role := strings.TrimPrefix(k, "node-role.kubernetes.io/"); role != "" {
				out = append(out, role)
			}
		case k == "kubernetes.io/role" && v != "":
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return "<none>"
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ",")
}

func address(n *corev1.Node, t corev1.NodeAddressType) string {
	for _, a := range n.Status.Addresses {
		if a.Type == t {
			return a.Address
		}
	}
	return "<none>"
}
