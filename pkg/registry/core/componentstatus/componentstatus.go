// Package componentstatus is the core/v1 ComponentStatus resource
// (componentstatuses, cluster-scoped, short name cs, get and list only,
// deprecated) as kube-apiserver 1.31 serves it: computed on each read,
// never stored. It lists the etcd members the server uses, as etcd-N;
// kube-apiserver also probes a scheduler and controller manager on the
// same host, which this server neither runs nor reaches for.
package componentstatus

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Warning is kube's deprecation warning for the resource.
const Warning = "v1 ComponentStatus is deprecated in v1.19+"

// probeTimeout bounds each member's health check.
const probeTimeout = 2 * time.Second

// Info names the resource.
var Info = rest.ResourceInfo{
	GroupVersionResource: corev1.SchemeGroupVersion.WithResource("componentstatuses"),
	Kind:                 "ComponentStatus",
	ListKind:             "ComponentStatusList",
	Singular:             "componentstatus",
	ShortNames:           []string{"cs"},
	Verbs:                []string{"get", "list"},
}

// Type describes the resource's objects, for what derives from the types
// (OpenAPI); the resource is served by Storage.
func Type() rest.Type {
	return rest.Type{
		Info:     Info,
		New:      func() runtime.Object { return &corev1.ComponentStatus{} },
		NewList:  func() runtime.Object { return &corev1.ComponentStatusList{} },
		Strategy: rest.PlainStrategy{},
	}
}

// Probe checks one etcd member: nil when healthy.
type Probe func(ctx context.Context) error

// Storage computes the statuses of the etcd members, one Probe each.
type Storage struct{ Members []Probe }

// Declaration declares the resource.
func (s Storage) Declaration() rest.Resource {
	return rest.Resource{Info: Info, Storage: s, Table: Table(), Warning: Warning}
}

// New returns an empty ComponentStatus.
func (Storage) New() runtime.Object { return &corev1.ComponentStatus{} }

// NewList returns an empty list.
func (Storage) NewList() runtime.Object { return &corev1.ComponentStatusList{} }

// Get checks one member.
func (s Storage) Get(ctx context.Context, _, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	for i, probe := range s.Members {
		if name == memberName(i) {
			return status(ctx, name, probe), nil
		}
	}
	return nil, apierrors.NewNotFound(Info.GroupResource(), name)
}

// List checks every member.
func (s Storage) List(ctx context.Context, _ string, _ *metav1.ListOptions) (runtime.Object, error) {
	list := &corev1.ComponentStatusList{}
	for i, probe := range s.Members {
		list.Items = append(list.Items, *status(ctx, memberName(i), probe))
	}
	return list, nil
}

func memberName(i int) string { return fmt.Sprintf("etcd-%d", i) }

func status(ctx context.Context, name string, probe Probe) *corev1.ComponentStatus {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cond := corev1.ComponentCondition{Type: corev1.ComponentHealthy, Status: corev1.ConditionTrue, Message: "ok"}
	if err := probe(ctx); err != nil {
		cond.Status, cond.Message, cond.Error = corev1.ConditionFalse, "", err.Error()
	}
	return &corev1.ComponentStatus{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ComponentStatus"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Conditions: []corev1.ComponentCondition{cond},
	}
}

// Table prints statuses as kube-apiserver does: NAME, STATUS, MESSAGE,
// ERROR.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Status", "Status of the component conditions"),
			tables.Column("Message", "Message of the component conditions"),
			tables.Column("Error", "Error of the component conditions"),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			cs, ok := obj.(*corev1.ComponentStatus)
			if !ok {
				return nil, fmt.Errorf("not a ComponentStatus: %T", obj)
			}
			var statuses, messages, errs []string
			for _, c := range cs.Conditions {
				if c.Type != corev1.ComponentHealthy {
					continue
				}
				switch c.Status {
				case corev1.ConditionTrue:
					statuses = append(statuses, "Healthy")
				case corev1.ConditionFalse:
					statuses = append(statuses, "Unhealthy")
				default:
					statuses = append(statuses, "Unknown")
				}
				messages = append(messages, c.Message)
				errs = append(errs, c.Error)
			}
			return []interface{}{cs.Name, strings.Join(statuses, ","), strings.Join(messages, ","), strings.Join(errs, ",")}, nil
		},
	}
}
