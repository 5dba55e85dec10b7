// Package job is the batch/v1 Job resource (jobs, namespaced, category
// all) as kube-apiserver 1.31 serves it: kube's defaults, the selector
// and Pod labels generated from the Job's UID unless manualSelector is
// set, validation with kube's messages (restart policy OnFailure or
// Never, counts, immutable fields), /status and kube's columns. Running
// Pods needs kube-controller-manager and kubelets, which this server has
// not.
package job

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/internal/workload"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Labels the server puts on a Job's Pod template, and the one its
// generated selector selects.
const (
	ControllerUIDLabel       = "batch.kubernetes.io/controller-uid"
	JobNameLabel             = "batch.kubernetes.io/job-name"
	legacyControllerUIDLabel = "controller-uid"
	legacyJobNameLabel       = "job-name"
	defaultBackoffLimit      = int32(6)
)

// Type is the jobs resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: batchv1.SchemeGroupVersion.WithResource("jobs"),
			Kind:                 "Job",
			ListKind:             "JobList",
			Singular:             "job",
			Categories:           []string{"all"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &batchv1.Job{} },
		NewList:  func() runtime.Object { return &batchv1.JobList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*batchv1.Job)) },
	}
}

// StatusType is the type of jobs/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// Default sets what kube's defaulting of a Job sets on decode.
func Default(j *batchv1.Job) {
	DefaultSpec(&j.Spec)
	if len(j.Labels) == 0 && len(j.Spec.Template.Labels) > 0 {
		j.Labels = maps.Clone(j.Spec.Template.Labels)
	}
}

// DefaultSpec sets the defaults of a Job's spec: one completion and one
// Pod at a time when neither is given, six retries, NonIndexed, not
// suspended, and the Pod template's defaults.
func DefaultSpec(spec *batchv1.JobSpec) {
	one := int32(1)
	if spec.Completions == nil && spec.Parallelism == nil {
		spec.Completions = &one
		spec.Parallelism = &one
	}
	if spec.Parallelism == nil {
		spec.Parallelism = &one
	}
	if spec.BackoffLimit == nil {
		limit := defaultBackoffLimit
		if spec.BackoffLimitPerIndex != nil {
			limit = int32(^uint32(0) >> 1)
		}
		spec.BackoffLimit = &limit
	}
	if spec.CompletionMode == nil {
		mode := batchv1.NonIndexedCompletion
		spec.CompletionMode = &mode
	}
	if spec.Suspend == nil {
		no := false
		spec.Suspend = &no
	}
	if spec.PodReplacementPolicy == nil {
		policy := batchv1.TerminatingOrFailed
		if spec.PodFailurePolicy != nil {
			policy = batchv1.Failed
		}
		spec.PodReplacementPolicy = &policy
	}
	if spec.ManualSelector == nil {
		no := false
		spec.ManualSelector = &no
	}
	core.DefaultPodTemplate(&spec.Template)
}

// Strategy is the Job rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// PrepareForCreate clears the status, starts the generation at 1 and,
// unless the client chose its own selector, selects the Job's Pods by its
// UID, as kube.
func (s Strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	s.SpecStatusStrategy.PrepareForCreate(ctx, obj)
	j := obj.(*batchv1.Job)
	if j.Spec.ManualSelector != nil && *j.Spec.ManualSelector {
		return
	}
	uid := string(j.UID)
	if j.Spec.Template.Labels == nil {
		j.Spec.Template.Labels = map[string]string{}
	}
	for k, v := range map[string]string{ControllerUIDLabel: uid, legacyControllerUIDLabel: uid, JobNameLabel: j.Name, legacyJobNameLabel: j.Name} {
		j.Spec.Template.Labels[k] = v
	}
	if j.Spec.Selector == nil {
		j.Spec.Selector = &metav1.LabelSelector{}
	}
	if j.Spec.Selector.MatchLabels == nil {
		j.Spec.Selector.MatchLabels = map[string]string{}
	}
	j.Spec.Selector.MatchLabels[ControllerUIDLabel] = uid
	if len(j.Labels) == 0 {
		j.Labels = maps.Clone(j.Spec.Template.Labels)
	}
}

// Validate checks a new Job.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	j := obj.(*batchv1.Job)
	errs := ValidateSpec(&j.Spec, field.NewPath("spec"))
	if j.Spec.ManualSelector == nil || !*j.Spec.ManualSelector {
		want := &metav1.LabelSelector{MatchLabels: map[string]string{ControllerUIDLabel: string(j.UID)}}
		if !reflect.DeepEqual(j.Spec.Selector, want) {
			errs = append(errs, field.Invalid(field.NewPath("spec", "selector"), core.Printed(workload.PrintSelector(j.Spec.Selector)), "`selector` not auto-generated"))
		}
	}
	return errs
}

// ValidateUpdate checks the new Job and what may not change.
func (Strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	j, o := obj.(*batchv1.Job), old.(*batchv1.Job)
	fld := field.NewPath("spec")
	errs := ValidateSpec(&j.Spec, fld)
	immutable := func(name string, a, b any, shown any) {
		if !reflect.DeepEqual(a, b) {
			errs = append(errs, field.Invalid(fld.Child(name), shown, "field is immutable"))
		}
	}
	if j.Spec.Completions != nil {
		immutable("completions", j.Spec.Completions, o.Spec.Completions, *j.Spec.Completions)
	} else {
		immutable("completions", j.Spec.Completions, o.Spec.Completions, core.Printed("null"))
	}
	immutable("selector", j.Spec.Selector, o.Spec.Selector, core.Printed(workload.PrintSelector(j.Spec.Selector)))
	if j.Spec.CompletionMode != nil {
		immutable("completionMode", j.Spec.CompletionMode, o.Spec.CompletionMode, string(*j.Spec.CompletionMode))
	}
	immutable("podFailurePolicy", j.Spec.PodFailurePolicy, o.Spec.PodFailurePolicy, core.Printed("podFailurePolicy"))
	// kube prints its whole internal PodTemplateSpec here; the path and
	// the reason are what clients act on.
	immutable("template", j.Spec.Template, o.Spec.Template, core.Printed("core.PodTemplateSpec{...}"))
	return errs
}

// ValidateSpec returns the errors of a Job's spec at fld, as kube's
// ValidateJobSpec (a CronJob's jobTemplate uses it too).
func ValidateSpec(spec *batchv1.JobSpec, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, c := range []struct {
		name string
		v    *int32
	}{{"parallelism", spec.Parallelism}, {"completions", spec.Completions}, {"backoffLimit", spec.BackoffLimit}} {
		if c.v != nil {
			errs = append(errs, workload.NonNegative(*c.v, fld.Child(c.name))...)
		}
	}
	if d := spec.ActiveDeadlineSeconds; d != nil && *d < 0 {
		errs = append(errs, field.Invalid(fld.Child("activeDeadlineSeconds"), *d, "must be greater than or equal to 0"))
	}
	if ttl := spec.TTLSecondsAfterFinished; ttl != nil {
		errs = append(errs, workload.NonNegative(*ttl, fld.Child("ttlSecondsAfterFinished"))...)
	}
	if m := spec.CompletionMode; m != nil && *m != batchv1.NonIndexedCompletion && *m != batchv1.IndexedCompletion {
		errs = append(errs, field.NotSupported(fld.Child("completionMode"), *m, []batchv1.CompletionMode{batchv1.NonIndexedCompletion, batchv1.IndexedCompletion}))
	}
	if spec.Selector != nil {
		errs = append(errs, workload.Selector(spec.Selector, spec.Template.Labels, fld)...)
	}
	errs = append(errs, core.PodTemplate(&spec.Template, fld.Child("template"), nil)...)
	if p := spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyOnFailure && p != corev1.RestartPolicyNever {
		errs = append(errs, field.Required(fld.Child("template", "spec", "restartPolicy"), `valid values: "OnFailure", "Never"`))
	}
	return errs
}

// statusStrategy is the strategy of jobs/status.
type statusStrategy struct{ rest.StatusStrategy }

// ValidateUpdate checks the counts of the status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	st := obj.(*batchv1.Job).Status
	fld := field.NewPath("status")
	var errs field.ErrorList
	for _, c := range []struct {
		name string
		v    int32
	}{{"active", st.Active}, {"succeeded", st.Succeeded}, {"failed", st.Failed}} {
		errs = append(errs, workload.NonNegative(c.v, fld.Child(c.name))...)
	}
	return errs
}

// Table prints Jobs as kube-apiserver does: NAME, STATUS, COMPLETIONS,
// DURATION, AGE, and CONTAINERS, IMAGES, SELECTOR with -o wide.
func Table() tables.Convertor {
	spec := batchv1.JobSpec{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Status", "Status of the job."),
			tables.Column("Completions", batchv1.JobStatus{}.SwaggerDoc()["succeeded"]),
			tables.Column("Duration", "Time required to complete the job."),
			tables.AgeColumn(),
			tables.WideColumn("Containers", "Names of each container in the template."),
			tables.WideColumn("Images", "Images referenced by each container in the template."),
			tables.WideColumn("Selector", spec["selector"]),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			j, ok := obj.(*batchv1.Job)
			if !ok {
				return nil, fmt.Errorf("not a Job: %T", obj)
			}
			names, images := workload.Containers(j.Spec.Template.Spec.Containers)
			selector := "<none>"
			if j.Spec.Selector != nil {
				if s, err := metav1.LabelSelectorAsSelector(j.Spec.Selector); err == nil {
					selector = s.String()
				}
			}
			return []interface{}{j.Name, status(j), completions(j), durationOf(j), tables.Age(j.CreationTimestamp), names, images, selector}, nil
		},
	}
}

func status(j *batchv1.Job) string {
	has := func(t batchv1.JobConditionType) bool {
		for _, c := range j.Status.Conditions {
			if c.Type == t && c.Status == corev1.ConditionTrue {
				return true
			}
		}
		return false
	}
	switch {
	case has(batchv1.JobComplete):
		return "Complete"
	case has(batchv1.JobFailed):
		return "Failed"
	case j.DeletionTimestamp != nil:
		return "Terminating"
	case has(batchv1.JobSuspended):
		return "Suspended"
	case has(batchv1.JobFailureTarget):
		return "FailureTarget"
	}
	return "Running"
}

func completions(j *batchv1.Job) string {
	switch {
	case j.Spec.Completions != nil:
		return fmt.Sprintf("%d/%d", j.Status.Succeeded, *j.Spec.Completions)
	case j.Spec.Parallelism != nil && *j.Spec.Parallelism > 1:
		return fmt.Sprintf("%d/1 of %d", j.Status.Succeeded, *j.Spec.Parallelism)
	}
	return fmt.Sprintf("%d/1", j.Status.Succeeded)
}

func durationOf(j *batchv1.Job) string {
	switch {
	case j.Status.StartTime == nil:
		return ""
	case j.Status.CompletionTime == nil:
		return duration.HumanDuration(time.Since(j.Status.StartTime.Time))
	}
	return duration.HumanDuration(j.Status.CompletionTime.Sub(j.Status.StartTime.Time))
}
