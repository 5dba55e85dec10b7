// Package deployment is the apps/v1 Deployment resource (deployments,
// namespaced, short name deploy, category all) as kube-apiserver 1.31
// serves it: kube's defaults of the Deployment and its Pod template, its
// validation (a selector that matches the template and never changes,
// the rollout strategy, the Pod template's containers), a generation that
// moves with the spec, /status, /scale as autoscaling/v1 Scale, and
// kube's printed columns. Rolling Pods out needs kube-controller-manager
// and kubelets, which this server has not: status stays as clients write
// it.
package deployment

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/internal/workload"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Defaults of kube-apiserver 1.31.
const (
	defaultRevisionHistoryLimit    = int32(10)
	defaultProgressDeadlineSeconds = int32(600)
	defaultMaxSurgeUnavailable     = "25%"
)

// Type is the deployments resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: appsv1.SchemeGroupVersion.WithResource("deployments"),
			Kind:                 "Deployment",
			ListKind:             "DeploymentList",
			Singular:             "deployment",
			ShortNames:           []string{"deploy"},
			Categories:           []string{"all"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &appsv1.Deployment{} },
		NewList:  func() runtime.Object { return &appsv1.DeploymentList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*appsv1.Deployment)) },
	}
}

// StatusType is the type of deployments/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// Replicas are what deployments/scale shows and changes.
var Replicas = generic.WorkloadReplicas

// Default sets what kube's defaulting of a Deployment sets on decode.
func Default(d *appsv1.Deployment) {
	spec := &d.Spec
	if spec.Replicas == nil {
		one := int32(1)
		spec.Replicas = &one
	}
	if spec.Strategy.Type == "" {
		spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if spec.Strategy.RollingUpdate == nil {
			spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		quarter := intstr.FromString(defaultMaxSurgeUnavailable)
		if spec.Strategy.RollingUpdate.MaxUnavailable == nil {
			spec.Strategy.RollingUpdate.MaxUnavailable = &quarter
		}
		if spec.Strategy.RollingUpdate.MaxSurge == nil {
			surge := quarter
			spec.Strategy.RollingUpdate.MaxSurge = &surge
		}
	}
	if spec.RevisionHistoryLimit == nil {
		limit := defaultRevisionHistoryLimit
		spec.RevisionHistoryLimit = &limit
	}
	if spec.ProgressDeadlineSeconds == nil {
		deadline := defaultProgressDeadlineSeconds
		spec.ProgressDeadlineSeconds = &deadline
	}
	core.DefaultPodTemplate(&spec.Template)
}

// Strategy is the Deployment rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// Validate checks a new Deployment.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*appsv1.Deployment))
}

// ValidateUpdate checks the new Deployment, and that its selector did not
// change.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	d, o := obj.(*appsv1.Deployment), old.(*appsv1.Deployment)
	return append(Validate(d), workload.ImmutableSelector(d.Spec.Selector, o.Spec.Selector)...)
}

// statusStrategy is the strategy of deployments/status.
type statusStrategy struct{ rest.StatusStrategy }

// ValidateUpdate checks the counts of the status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	st := obj.(*appsv1.Deployment).Status
	fld := field.NewPath("status")
	var errs field.ErrorList
	for _, c := range []struct {
		name string
		v    int32
	}{{"replicas", st.Replicas}, {"updatedReplicas", st.UpdatedReplicas}, {"readyReplicas", st.ReadyReplicas},
		{"availableReplicas", st.AvailableReplicas}, {"unavailableReplicas", st.UnavailableReplicas}} {
		errs = append(errs, workload.NonNegative(c.v, fld.Child(c.name))...)
	}
	return errs
}

// Validate returns the errors of d, as kube's ValidateDeployment.
func Validate(d *appsv1.Deployment) field.ErrorList {
	spec := &d.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	if spec.Replicas != nil {
		errs = append(errs, workload.NonNegative(*spec.Replicas, fld.Child("replicas"))...)
	}
	errs = append(errs, workload.Selector(spec.Selector, spec.Template.Labels, fld)...)
	errs = append(errs, core.PodTemplate(&spec.Template, fld.Child("template"), []corev1.RestartPolicy{corev1.RestartPolicyAlways})...)
	errs = append(errs, validateStrategy(&spec.Strategy, fld.Child("strategy"))...)
	if spec.RevisionHistoryLimit != nil {
		errs = append(errs, workload.NonNegative(*spec.RevisionHistoryLimit, fld.Child("revisionHistoryLimit"))...)
	}
	errs = append(errs, workload.NonNegative(spec.MinReadySeconds, fld.Child("minReadySeconds"))...)
	if p := spec.ProgressDeadlineSeconds; p != nil {
		errs = append(errs, workload.NonNegative(*p, fld.Child("progressDeadlineSeconds"))...)
		if *p <= spec.MinReadySeconds {
			errs = append(errs, field.Invalid(fld.Child("progressDeadlineSeconds"), *p, "must be greater than minReadySeconds"))
		}
	}
	return errs
}

func validateStrategy(s *appsv1.DeploymentStrategy, fld *field.Path) field.ErrorList {
	switch s.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			return field.ErrorList{field.Forbidden(fld.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")}
		}
		return nil
	case appsv1.RollingUpdateDeploymentStrategyType:
	default:
		ru := "(*apps.RollingUpdateDeployment)(nil)"
		if s.RollingUpdate != nil {
			ru = "&apps.RollingUpdateDeployment{...}"
		}
		return field.ErrorList{field.NotSupported(fld, core.Printed(fmt.Sprintf("apps.DeploymentStrategy{Type:%q, RollingUpdate:%s}", s.Type, ru)),
			[]string{string(appsv1.RecreateDeploymentStrategyType), string(appsv1.RollingUpdateDeploymentStrategyType)})}
	}
	ru := s.RollingUpdate
	if ru == nil {
		return nil
	}
	at := fld.Child("rollingUpdate")
	var errs field.ErrorList
	errs = append(errs, validateIntOrPercent(ru.MaxUnavailable, at.Child("maxUnavailable"))...)
	errs = append(errs, validateIntOrPercent(ru.MaxSurge, at.Child("maxSurge"))...)
	if isZero(ru.MaxUnavailable) && isZero(ru.MaxSurge) {
		errs = append(errs, field.Invalid(at.Child("maxUnavailable"), core.Printed(fmt.Sprintf("%#v", *ru.MaxUnavailable)), "may not be 0 when `maxSurge` is 0"))
	}
	if v := ru.MaxUnavailable; v != nil && v.Type == intstr.String && percent(v.StrVal) > 100 {
		errs = append(errs, field.Invalid(at.Child("maxUnavailable"), v.StrVal, "must not be greater than 100%"))
	}
	return errs
}

func isZero(v *intstr.IntOrString) bool {
	return v == nil || (v.Type == intstr.Int && v.IntVal == 0) || (v.Type == intstr.String && percent(v.StrVal) == 0)
}

func percent(s string) int {
	var n int
	if _, err := fmt.Sscanf(s, "%d%%", &n); err != nil {
		return -1
	}
	return n
}

func validateIntOrPercent(v *intstr.IntOrString, fld *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	if v.Type == intstr.Int {
		return workload.NonNegative(v.IntVal, fld)
	}
	if p := percent(v.StrVal); p < 0 || fmt.Sprintf("%d%%", p) != v.StrVal {
		return field.ErrorList{field.Invalid(fld, v.StrVal, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")}
	}
	return nil
}

// Table prints Deployments as kube-apiserver does: NAME, READY,
// UP-TO-DATE, AVAILABLE, AGE, and CONTAINERS, IMAGES, SELECTOR with -o
// wide.
func Table() tables.Convertor {
	doc := appsv1.DeploymentStatus{}.SwaggerDoc()
	spec := appsv1.DeploymentSpec{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Ready", "Number of the pod with ready state"),
			tables.Column("Up-to-date", doc["updatedReplicas"]),
			tables.Column("Available", doc["availableReplicas"]),
			tables.AgeColumn(),
			tables.WideColumn("Containers", "Names of each container in the template."),
			tables.WideColumn("Images", "Images referenced by each container in the template."),
			tables.WideColumn("Selector", spec["selector"]),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			d, ok := obj.(*appsv1.Deployment)
			if !ok {
				return nil, fmt.Errorf("not a Deployment: %T", obj)
			}
			var desired int32
			if d.Spec.Replicas != nil {
				desired = *d.Spec.Replicas
			}
			names, images := workload.Containers(d.Spec.Template.Spec.Containers)
			selector := "<none>"
			if d.Spec.Selector != nil {
				if s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
					selector = s.String()
				}
			}
			return []interface{}{d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, desired), int64(d.Status.UpdatedReplicas),
				int64(d.Status.AvailableReplicas), tables.Age(d.CreationTimestamp), names, images, selector}, nil
		},
	}
}
