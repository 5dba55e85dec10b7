package policy

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/apiserver/apiserver/pkg/admission/policy/celenv"
	"github.com/apiserver/apiserver/pkg/cel"
)

// compiled is a policy ready to run; err, when set, is why it cannot
// (each request it matches then fails as its failurePolicy says).
type compiled struct {
	policy      *admissionregistrationv1.ValidatingAdmissionPolicy
	match       *matcher
	conditions  []namedProgram
	variables   []namedProgram
	validations []validation
	annotations []namedProgram
	err         error
	// uses are the request variables some expression reads; the others
	// are not computed.
	uses map[string]bool
}

type namedProgram struct {
	name string
	prg  *cel.Program
}

type validation struct {
	src     admissionregistrationv1.Validation
	prg     *cel.Program
	message *cel.Program
}

// matcher is a MatchResources with its selectors parsed.
type matcher struct {
	src               *admissionregistrationv1.MatchResources
	namespaceSelector labels.Selector
	objectSelector    labels.Selector
}

func newMatcher(m *admissionregistrationv1.MatchResources) (*matcher, error) {
	if m == nil {
		return nil, nil
	}
	out := &matcher{src: m, namespaceSelector: labels.Everything(), objectSelector: labels.Everything()}
	var err error
	if m.NamespaceSelector != nil {
		if out.namespaceSelector, err = metav1.LabelSelectorAsSelector(m.NamespaceSelector); err != nil {
			return nil, fmt.Errorf("namespaceSelector: %w", err)
		}
	}
	if m.ObjectSelector != nil {
		if out.objectSelector, err = metav1.LabelSelectorAsSelector(m.ObjectSelector); err != nil {
			return nil, fmt.Errorf("objectSelector: %w", err)
		}
	}
	return out, nil
}

// compile prepares p.
func compile(p *admissionregistrationv1.ValidatingAdmissionPolicy) *compiled {
	c := &compiled{policy: p}
	env, err := celenv.New(celenv.Types{HasParams: p.Spec.ParamKind != nil})
	if err != nil {
		c.err = err
		return c
	}
	build := func(what, expr string, want *cel.Type) *cel.Program {
		if c.err != nil {
			return nil
		}
		prg, err := env.Compile(strings.TrimSpace(expr), want)
		if err != nil {
			c.err = fmt.Errorf("%s: %w", what, err)
		}
		return prg
	}
	if c.match, err = newMatcher(p.Spec.MatchConstraints); err != nil {
		c.err = err
		return c
	}
	// Each variable is typed by its expression for those after it, and
	// for the conditions and validations.
	for _, v := range p.Spec.Variables {
		prg := build("variable "+v.Name, v.Expression, nil)
		var t *cel.Type
		if prg != nil {
			t = prg.Type()
		}
		env.Declare(v.Name, t)
		c.variables = append(c.variables, namedProgram{v.Name, prg})
	}
	for _, mc := range p.Spec.MatchConditions {
		c.conditions = append(c.conditions, namedProgram{mc.Name, build("matchCondition "+mc.Name, mc.Expression, cel.BoolType)})
	}
	for i, v := range p.Spec.Validations {
		val := validation{src: v, prg: build(fmt.Sprintf("validation %d", i), v.Expression, cel.BoolType)}
		if strings.TrimSpace(v.MessageExpression) != "" {
			val.message = build(fmt.Sprintf("messageExpression %d", i), v.MessageExpression, cel.StringType)
		}
		c.validations = append(c.validations, val)
	}
	for _, a := range p.Spec.AuditAnnotations {
		c.annotations = append(c.annotations, namedProgram{a.Key, build("auditAnnotation "+a.Key, a.ValueExpression, nil)})
	}
	c.uses = map[string]bool{}
	var all []*cel.Program
	for _, list := range [][]namedProgram{c.conditions, c.variables, c.annotations} {
		for _, np := range list {
			all = append(all, np.prg)
		}
	}
	for _, v := range c.validations {
		all = append(all, v.prg, v.message)
	}
	for _, prg := range all {
		for _, name := range []string{"object", "oldObject", "request", "namespaceObject", "authorizer", "authorizer.requestResource"} {
			if prg.References(name) {
				c.uses[name] = true
			}
		}
	}
	return c
}
