// Package flowschema is the flowcontrol.apiserver.k8s.io/v1 FlowSchema
// resource (flowschemas, cluster-scoped) as kube-apiserver 1.31 serves it:
// kube's defaults and validation messages, /status (where the Dangling
// condition is kept), and kube's columns.
package flowschema

import (
	"context"
	"fmt"
	"slices"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Kube's bounds and defaults.
const (
	maxMatchingPrecedence     = 10000
	defaultMatchingPrecedence = 1000
)

// Type is the flowschemas resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: flowcontrolv1.SchemeGroupVersion.WithResource("flowschemas"),
			Kind:                 "FlowSchema",
			ListKind:             "FlowSchemaList",
			Singular:             "flowschema",
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &flowcontrolv1.FlowSchema{} },
		NewList:  func() runtime.Object { return &flowcontrolv1.FlowSchemaList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*flowcontrolv1.FlowSchema)) },
	}
}

// StatusType is the type of flowschemas/status.
func StatusType() rest.Type { return Type().WithStrategy(rest.StatusStrategy{}) }

// Default sets kube's matching precedence, 1000.
func Default(fs *flowcontrolv1.FlowSchema) {
	if fs.Spec.MatchingPrecedence == 0 {
		fs.Spec.MatchingPrecedence = defaultMatchingPrecedence
	}
}

// Strategy is the FlowSchema rest.Strategy: spec and status, a generation
// that moves with the spec.
type Strategy struct{ rest.SpecStatusStrategy }

// Validate checks a new FlowSchema.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(&obj.(*flowcontrolv1.FlowSchema).Spec)
}

// ValidateUpdate checks the new spec.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(&obj.(*flowcontrolv1.FlowSchema).Spec)
}

var (
	distinguishers = []string{string(flowcontrolv1.FlowDistinguisherMethodByNamespaceType), string(flowcontrolv1.FlowDistinguisherMethodByUserType)}
	subjectKinds   = []string{string(flowcontrolv1.SubjectKindGroup), string(flowcontrolv1.SubjectKindServiceAccount), string(flowcontrolv1.SubjectKindUser)}
)

// Validate checks a FlowSchema's spec with kube's messages.
func Validate(spec *flowcontrolv1.FlowSchemaSpec) field.ErrorList {
	var errs field.ErrorList
	fld := field.NewPath("spec")
	switch p := spec.MatchingPrecedence; {
	case p <= 0:
		errs = append(errs, field.Invalid(fld.Child("matchingPrecedence"), p, "must be a positive value"))
	case p > maxMatchingPrecedence:
		errs = append(errs, field.Invalid(fld.Child("matchingPrecedence"), p, fmt.Sprintf("must not be greater than %v", maxMatchingPrecedence)))
	}
	if d := spec.DistinguisherMethod; d != nil && !slices.Contains(distinguishers, string(d.Type)) {
		// kube prints the whole method, in its internal type's Go syntax.
		errs = append(errs, field.NotSupported(fld.Child("distinguisherMethod", "type"),
			core.Printed(fmt.Sprintf("flowcontrol.FlowDistinguisherMethod{Type:%q}", d.Type)), distinguishers))
	}
	if spec.PriorityLevelConfiguration.Name == "" {
		errs = append(errs, field.Required(fld.Child("priorityLevelConfiguration", "name"), "must reference a priority level"))
	}
	for i, rule := range spec.Rules {
		errs = append(errs, validateRule(rule, fld.Child("rules").Index(i))...)
	}
	return errs
}

func validateRule(rule flowcontrolv1.PolicyRulesWithSubjects, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(rule.Subjects) == 0 {
		errs = append(errs, field.Required(fld.Child("subjects"), "subjects must contain at least one value"))
	}
	for i, s := range rule.Subjects {
		errs = append(errs, validateSubject(s, fld.Child("subjects").Index(i))...)
	}
	if len(rule.ResourceRules) == 0 && len(rule.NonResourceRules) == 0 {
		errs = append(errs, field.Required(fld, "at least one of resourceRules and nonResourceRules has to be non-empty"))
	}
	for i, r := range rule.ResourceRules {
		at := fld.Child("resourceRules").Index(i)
		for _, req := range []struct {
			name string
			list []string
			msg  string
		}{
			{"verbs", r.Verbs, "verbs must contain at least one value"},
			{"apiGroups", r.APIGroups, "resource rules must supply at least one api group"},
			{"resources", r.Resources, "resource rules must supply at least one resource"},
		} {
			if len(req.list) == 0 {
				errs = append(errs, field.Required(at.Child(req.name), req.msg))
			}
		}
		if len(r.Namespaces) == 0 && !r.ClusterScope {
			errs = append(errs, field.Required(at.Child("namespaces"), "resource rules that are not cluster scoped must supply at least one namespace"))
		}
	}
	for i, r := range rule.NonResourceRules {
		at := fld.Child("nonResourceRules").Index(i)
		if len(r.Verbs) == 0 {
			errs = append(errs, field.Required(at.Child("verbs"), "verbs must contain at least one value"))
		}
		if len(r.NonResourceURLs) == 0 {
			errs = append(errs, field.Required(at.Child("nonResourceURLs"), "nonResourceURLs must contain at least one value"))
		}
	}
	return errs
}

func validateSubject(s flowcontrolv1.Subject, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch s.Kind {
	case flowcontrolv1.SubjectKindServiceAccount:
		if s.ServiceAccount == nil {
			errs = append(errs, field.Required(fld.Child("serviceAccount"), "serviceAccount is required when subject kind is 'ServiceAccount'"))
			break
		}
		if s.ServiceAccount.Name == "" {
			errs = append(errs, field.Required(fld.Child("serviceAccount", "name"), ""))
		}
		if s.ServiceAccount.Namespace == "" {
			errs = append(errs, field.Required(fld.Child("serviceAccount", "namespace"), "must specify namespace for service account"))
		}
	case flowcontrolv1.SubjectKindUser:
		if s.User == nil {
			errs = append(errs, field.Required(fld.Child("user"), "user is required when subject kind is 'User'"))
		} else if s.User.Name == "" {
			errs = append(errs, field.Required(fld.Child("user", "name"), ""))
		}
	case flowcontrolv1.SubjectKindGroup:
		if s.Group == nil {
			errs = append(errs, field.Required(fld.Child("group"), "group is required when subject kind is 'Group'"))
		} else if s.Group.Name == "" {
			errs = append(errs, field.Required(fld.Child("group", "name"), ""))
		}
	default:
		errs = append(errs, field.NotSupported(fld.Child("kind"), s.Kind, subjectKinds))
	}
	return errs
}

// Table prints FlowSchemas as kube-apiserver does.
func Table() tables.Convertor {
	spec := flowcontrolv1.FlowSchemaSpec{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("PriorityLevel", flowcontrolv1.PriorityLevelConfigurationReference{}.SwaggerDoc()["name"]),
			tables.Column("MatchingPrecedence", spec["matchingPrecedence"]),
			tables.Column("DistinguisherMethod", spec["distinguisherMethod"]),
			tables.AgeColumn(),
			tables.Column("MissingPL", "references a broken or non-existent PriorityLevelConfiguration"),
		},
		// kube lists schemas in the order they are matched in.
		Less: func(a, b runtime.Object) bool {
			x, y := a.(*flowcontrolv1.FlowSchema), b.(*flowcontrolv1.FlowSchema)
			if x.Spec.MatchingPrecedence != y.Spec.MatchingPrecedence {
				return x.Spec.MatchingPrecedence < y.Spec.MatchingPrecedence
			}
			return x.Name < y.Name
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			fs, ok := obj.(*flowcontrolv1.FlowSchema)
			if !ok {
				return nil, fmt.Errorf("not a FlowSchema: %T", obj)
			}
			method := "<none>"
			if d := fs.Spec.DistinguisherMethod; d != nil {
				method = string(d.Type)
			}
			missing := "?"
			for _, c := range fs.Status.Conditions {
				if c.Type == flowcontrolv1.FlowSchemaConditionDangling {
					missing = string(c.Status)
				}
			}
			return []interface{}{fs.Name, fs.Spec.PriorityLevelConfiguration.Name, int64(fs.Spec.MatchingPrecedence), method,
				tables.Age(fs.CreationTimestamp), missing}, nil
		},
	}
}
