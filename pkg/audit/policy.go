package audit

import (
	"fmt"
	"os"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/apiserver/apiserver/pkg/auth/authz"
)

// Level is how much of a request is recorded.
type Level string

// The levels, from nothing to everything.
const (
	LevelNone            Level = "None"
	LevelMetadata        Level = "Metadata"
	LevelRequest         Level = "Request"
	LevelRequestResponse Level = "RequestResponse"
)

var levels = []Level{LevelNone, LevelMetadata, LevelRequest, LevelRequestResponse}

// Less reports whether l records less than other.
func (l Level) Less(other Level) bool {
	return slices.Index(levels, l) < slices.Index(levels, other)
}

// Stage is a point of a request's life at which an event is recorded.
type Stage string

// The stages.
const (
	StageRequestReceived  Stage = "RequestReceived"
	StageResponseStarted  Stage = "ResponseStarted"
	StageResponseComplete Stage = "ResponseComplete"
	StagePanic            Stage = "Panic"
)

var stages = []Stage{StageRequestReceived, StageResponseStarted, StageResponseComplete, StagePanic}

// Policy is audit.k8s.io/v1 Policy: the first rule that matches a request
// gives its level; a request no rule matches is not recorded.
type Policy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Rules             []PolicyRule `json:"rules"`
	OmitStages        []Stage      `json:"omitStages,omitempty"`
	OmitManagedFields bool         `json:"omitManagedFields,omitempty"`
}

// PolicyRule matches requests by user, group, verb and what they address.
// Empty lists match everything.
type PolicyRule struct {
	Level             Level            `json:"level"`
	Users             []string         `json:"users,omitempty"`
	UserGroups        []string         `json:"userGroups,omitempty"`
	Verbs             []string         `json:"verbs,omitempty"`
	Resources         []GroupResources `json:"resources,omitempty"`
	Namespaces        []string         `json:"namespaces,omitempty"`
	NonResourceURLs   []string         `json:"nonResourceURLs,omitempty"`
	OmitStages        []Stage          `json:"omitStages,omitempty"`
	OmitManagedFields *bool            `json:"omitManagedFields,omitempty"`
}

// GroupResources names resources of one API group: "pods", "pods/log",
// "*/status", "pods/*" or "*"; none means every resource of the group.
type GroupResources struct {
	Group         string   `json:"group,omitempty"`
	Resources     []string `json:"resources,omitempty"`
	ResourceNames []string `json:"resourceNames,omitempty"`
}

// LoadPolicy reads and validates a policy file (YAML or JSON). Unknown
// fields are errors: a misspelt rule would otherwise record nothing.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Policy
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if p.APIVersion != "audit.k8s.io/v1" || p.Kind != "Policy" {
		return nil, fmt.Errorf("%s: want apiVersion audit.k8s.io/v1 and kind Policy, got %q %q", path, p.APIVersion, p.Kind)
	}
	if errs := p.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w", path, errs.ToAggregate())
	}
	return &p, nil
}

// Validate returns every error of the policy, with kube's field paths.
func (p *Policy) Validate() field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateStages(field.NewPath("omitStages"), p.OmitStages)...)
	for i, r := range p.Rules {
		path := field.NewPath("rules").Index(i)
		switch {
		case r.Level == "":
			errs = append(errs, field.Required(path.Child("level"), ""))
		case !slices.Contains(levels, r.Level):
			errs = append(errs, field.NotSupported(path.Child("level"), r.Level, levels))
		}
		errs = append(errs, validateStages(path.Child("omitStages"), r.OmitStages)...)
		if len(r.NonResourceURLs) > 0 && (len(r.Resources) > 0 || len(r.Namespaces) > 0) {
			errs = append(errs, field.Invalid(path.Child("nonResourceURLs"), r.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
		}
		for j, u := range r.NonResourceURLs {
			if !strings.HasPrefix(u, "/") && u != "*" {
				errs = append(errs, field.Invalid(path.Child("nonResourceURLs").Index(j), u, "non-resource URL rules must begin with a '/' character"))
			}
			if i := strings.Index(u, "*"); i >= 0 && i != len(u)-1 {
				errs = append(errs, field.Invalid(path.Child("nonResourceURLs").Index(j), u, "non-resource URL wildcards '*' must be the final character of the rule"))
			}
		}
		for j, gr := range r.Resources {
			if len(gr.ResourceNames) > 0 && slices.ContainsFunc(gr.Resources, func(res string) bool { return strings.Contains(res, "*") }) {
				errs = append(errs, field.Invalid(path.Child("resources").Index(j).Child("resourceNames"), gr.ResourceNames, "using resourceNames with a wildcard resource is not allowed"))
			}
		}
	}
	return errs
}

func validateStages(path *field.Path, ss []Stage) field.ErrorList {
	var errs field.ErrorList
	for i, s := range ss {
		if !slices.Contains(stages, s) {
			errs = append(errs, field.NotSupported(path.Index(i), s, stages))
		}
	}
	return errs
}

// Decision is what the policy says of one request.
type Decision struct {
	Level             Level
	OmitStages        []Stage
	OmitManagedFields bool
}

// Omits reports whether stage s is not recorded.
func (d Decision) Omits(s Stage) bool { return slices.Contains(d.OmitStages, s) }

// Evaluate returns the decision of the first rule that matches a request
// with attrs (its authenticated user, not an impersonated one).
func (p *Policy) Evaluate(attrs authz.Attributes) Decision {
	for i := range p.Rules {
		r := &p.Rules[i]
		if r.matches(attrs) {
			d := Decision{Level: r.Level, OmitStages: append(slices.Clone(p.OmitStages), r.OmitStages...), OmitManagedFields: p.OmitManagedFields}
			if r.OmitManagedFields != nil {
				d.OmitManagedFields = *r.OmitManagedFields
			}
			return d
		}
	}
	return Decision{Level: LevelNone}
}

func (r *PolicyRule) matches(a authz.Attributes) bool {
	if len(r.Users) > 0 && (a.User == nil || !slices.Contains(r.Users, a.User.Name)) {
		return false
	}
	if len(r.UserGroups) > 0 && (a.User == nil || !slices.ContainsFunc(a.User.Groups, func(g string) bool { return slices.Contains(r.UserGroups, g) })) {
		return false
	}
	if len(r.Verbs) > 0 && !slices.Contains(r.Verbs, a.Verb) {
		return false
	}
	if len(r.NonResourceURLs) > 0 {
		return !a.IsResourceRequest && slices.ContainsFunc(r.NonResourceURLs, func(u string) bool { return urlMatches(u, a.Path) })
	}
	if len(r.Namespaces) == 0 && len(r.Resources) == 0 {
		return true
	}
	if !a.IsResourceRequest {
		return false
	}
	if len(r.Namespaces) > 0 && !slices.Contains(r.Namespaces, a.Namespace) {
		return false
	}
	if len(r.Resources) == 0 {
		return true
	}
	return slices.ContainsFunc(r.Resources, func(gr GroupResources) bool { return gr.matches(a) })
}

func urlMatches(rule, path string) bool {
	if rule == "*" || rule == path {
		return true
	}
	prefix, wild := strings.CutSuffix(rule, "*")
	return wild && strings.HasPrefix(path, prefix)
}

func (gr *GroupResources) matches(a authz.Attributes) bool {
	if gr.Group != a.APIGroup {
		return false
	}
	if len(gr.Resources) == 0 {
		return true
	}
	combined := a.Resource
	if a.Subresource != "" {
		combined += "/" + a.Subresource
	}
	for _, res := range gr.Resources {
		ok := res == "*" || res == combined ||
			(a.Subresource != "" && (res == "*/"+a.Subresource || res == a.Resource+"/*"))
		if !ok {
			continue
		}
		if len(gr.ResourceNames) == 0 || slices.Contains(gr.ResourceNames, a.Name) {
			return true
		}
	}
	return false
}
