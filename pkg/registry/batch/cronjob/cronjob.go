// Package cronjob is the batch/v1 CronJob resource (cronjobs, namespaced,
// short name cj, category all) as kube-apiserver 1.31 serves it: kube's
// defaults, the schedule parsed as kube parses it (five fields, or a
// macro such as @hourly; a time zone in timeZone only), validation of the
// Job template with kube's messages, /status and kube's columns.
// Creating Jobs on schedule needs kube-controller-manager, which this
// server has not.
package cronjob

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/robfig/cron/v3"

	"github.com/apiserver/apiserver/pkg/registry/batch/job"
	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/internal/workload"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Defaults of kube-apiserver 1.31.
const (
	defaultSuccessfulJobsHistoryLimit = int32(3)
	defaultFailedJobsHistoryLimit     = int32(1)
)

// Type is the cronjobs resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: batchv1.SchemeGroupVersion.WithResource("cronjobs"),
			Kind:                 "CronJob",
			ListKind:             "CronJobList",
			Singular:             "cronjob",
			ShortNames:           []string{"cj"},
			Categories:           []string{"all"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &batchv1.CronJob{} },
		NewList:  func() runtime.Object { return &batchv1.CronJobList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*batchv1.CronJob)) },
	}
}

// StatusType is the type of cronjobs/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// Default sets what kube's defaulting of a CronJob sets: Allow, not
// suspended, three successful and one failed Job kept, and the defaults
// of the Pod template (not of the Job: those come as each Job is made).
func Default(c *batchv1.CronJob) {
	spec := &c.Spec
	if spec.ConcurrencyPolicy == "" {
		spec.ConcurrencyPolicy = batchv1.AllowConcurrent
	}
	if spec.Suspend == nil {
		no := false
		spec.Suspend = &no
	}
	if spec.SuccessfulJobsHistoryLimit == nil {
		n := defaultSuccessfulJobsHistoryLimit
		spec.SuccessfulJobsHistoryLimit = &n
	}
	if spec.FailedJobsHistoryLimit == nil {
		n := defaultFailedJobsHistoryLimit
		spec.FailedJobsHistoryLimit = &n
	}
	core.DefaultPodTemplate(&spec.JobTemplate.Spec.Template)
}

// Strategy is the CronJob rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// Validate checks a new CronJob.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*batchv1.CronJob))
}

// ValidateUpdate checks the new CronJob.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*batchv1.CronJob))
}

var concurrencyPolicies = []batchv1.ConcurrencyPolicy{batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent}

// Validate returns the errors of c, as kube's ValidateCronJob.
func Validate(c *batchv1.CronJob) field.ErrorList {
	spec := &c.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	if spec.Schedule == "" {
		errs = append(errs, field.Required(fld.Child("schedule"), ""))
	} else {
		errs = append(errs, validateSchedule(spec.Schedule, fld.Child("schedule"))...)
	}
	if tz := spec.TimeZone; tz != nil {
		if _, err := time.LoadLocation(*tz); err != nil || *tz == "" || strings.EqualFold(*tz, "Local") {
			msg := "unknown time zone " + *tz
			if err != nil {
				msg = err.Error()
			}
			errs = append(errs, field.Invalid(fld.Child("timeZone"), *tz, msg))
		}
	}
	if d := spec.StartingDeadlineSeconds; d != nil && *d < 0 {
		errs = append(errs, field.Invalid(fld.Child("startingDeadlineSeconds"), *d, "must be greater than or equal to 0"))
	}
	switch {
	case spec.ConcurrencyPolicy == "":
		errs = append(errs, field.Required(fld.Child("concurrencyPolicy"), ""))
	case !slices.Contains(concurrencyPolicies, spec.ConcurrencyPolicy):
		errs = append(errs, field.NotSupported(fld.Child("concurrencyPolicy"), spec.ConcurrencyPolicy, concurrencyPolicies))
	}
	for _, l := range []struct {
		name string
		v    *int32
	}{{"successfulJobsHistoryLimit", spec.SuccessfulJobsHistoryLimit}, {"failedJobsHistoryLimit", spec.FailedJobsHistoryLimit}} {
		if l.v != nil {
			errs = append(errs, workload.NonNegative(*l.v, fld.Child(l.name))...)
		}
	}
	return append(errs, job.ValidateSpec(&spec.JobTemplate.Spec, fld.Child("jobTemplate", "spec"))...)
}

// validateSchedule parses a schedule as kube does (robfig/cron's standard
// parser), refusing a time zone inside it.
func validateSchedule(schedule string, fld *field.Path) field.ErrorList {
	if strings.Contains(schedule, "TZ") {
		return field.ErrorList{field.Invalid(fld, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")}
	}
	if _, err := cron.ParseStandard(schedule); err != nil {
		return field.ErrorList{field.Invalid(fld, schedule, err.Error())}
	}
	return nil
}

// statusStrategy is the strategy of cronjobs/status.
type statusStrategy struct{ rest.StatusStrategy }

// Table prints CronJobs as kube-apiserver does: NAME, SCHEDULE, TIMEZONE,
// SUSPEND, ACTIVE, LAST SCHEDULE, AGE, and CONTAINERS, IMAGES, SELECTOR
// with -o wide.
func Table() tables.Convertor {
	spec := batchv1.CronJobSpec{}.SwaggerDoc()
	status := batchv1.CronJobStatus{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Schedule", spec["schedule"]),
			tables.Column("Timezone", spec["timeZone"]),
			{Name: "Suspend", Type: "boolean", Description: spec["suspend"]},
			{Name: "Active", Type: "integer", Description: status["active"]},
			tables.Column("Last Schedule", status["lastScheduleTime"]),
			tables.AgeColumn(),
			tables.WideColumn("Containers", "Names of each container in the template."),
			tables.WideColumn("Images", "Images referenced by each container in the template."),
			tables.WideColumn("Selector", batchv1.JobSpec{}.SwaggerDoc()["selector"]),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			c, ok := obj.(*batchv1.CronJob)
			if !ok {
				return nil, fmt.Errorf("not a CronJob: %T", obj)
			}
			tz := "<none>"
			if c.Spec.TimeZone != nil {
				tz = *c.Spec.TimeZone
			}
			last := "<none>"
			if c.Status.LastScheduleTime != nil {
				last = tables.Age(*c.Status.LastScheduleTime)
			}
			suspend := "False"
			if c.Spec.Suspend != nil && *c.Spec.Suspend {
				suspend = "True"
			}
			names, images := workload.Containers(c.Spec.JobTemplate.Spec.Template.Spec.Containers)
			selector := "<none>"
			if sel := c.Spec.JobTemplate.Spec.Selector; sel != nil {
				if s, err := metav1.LabelSelectorAsSelector(sel); err == nil {
					selector = s.String()
				}
			}
			return []interface{}{c.Name, c.Spec.Schedule, tz, suspend, int64(len(c.Status.Active)), last,
				tables.Age(c.CreationTimestamp), names, images, selector}, nil
		},
	}
}
