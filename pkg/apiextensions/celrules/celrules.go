package celrules

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kube-openapi/pkg/validation/strfmt"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	kubecel "github.com/apiserver/apiserver/pkg/cel"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
)

const (
	// RuntimeBudget bounds all the rules of one object, as kube's.
	RuntimeBudget = 10_000_000
	// maxMessageBytes bounds an evaluated messageExpression, as kube's.
	maxMessageBytes = 5 * 1024
)

// Validator is the compiled rules of one schema; nil validates nothing.
// It is safe for concurrent use.
type Validator struct{ root *node }

type node struct {
	schema     *apiextensionsv1.JSONSchemaProps
	rules      []*rule
	properties map[string]*node
	additional *node
	items      *node
	// mapKeys are the keys of a list-type=map list's items, which
	// correlate old and new items.
	mapKeys []string
	// converts marks a node whose subtree holds values CEL types other
	// than JSON does: numbers (a JSON integer there is a double) and
	// strings of format byte, duration, date and date-time (bytes,
	// durations and timestamps). They are converted before evaluation.
	converts bool
}

type rule struct {
	src apiextensionsv1.ValidationRule
	// compileErr is why the rule does not compile here (a definition
	// stored before, or by another server): each validation reports it.
	compileErr string
	prg        cel.Program
	message    cel.Program
	transition bool
}

// Compile compiles the rules of schema s, whose path is fldPath (the
// version's openAPIV3Schema). The errors are kube's for rules that do not
// compile.
func Compile(fldPath *field.Path, s *apiextensionsv1.JSONSchemaProps) (*Validator, field.ErrorList) {
	return compile(fldPath, s, nil)
}

// Check is Compile for a schema being written: it also estimates each
// expression's worst-case cost as kube-apiserver does and refuses the
// schema over SchemaCostLimit and, when perExpression is set (a schema
// not unchanged by an update), an expression over ExpressionCostLimit.
func Check(fldPath *field.Path, s *apiextensionsv1.JSONSchemaProps, perExpression bool) field.ErrorList {
	costs := &costCheck{perExpression: perExpression, total: totalCost{schemas: fldPath}}
	_, errs := compile(fldPath, s, costs)
	return append(errs, costs.total.errors()...)
}

func compile(fldPath *field.Path, s *apiextensionsv1.JSONSchemaProps, costs *costCheck) (*Validator, field.ErrorList) {
	if s == nil || !hasRules(s) {
		return nil, nil
	}
	p, err := newProvider()
	if err != nil {
		return nil, field.ErrorList{field.InternalError(fldPath, err)}
	}
	p.typeOf(s, typePrefix+"self", true)
	base, err := cel.NewEnv(append(kubecel.Options(), cel.CustomTypeProvider(p))...)
	if err != nil {
		return nil, field.ErrorList{field.InternalError(fldPath, err)}
	}
	c := compiler{provider: p, base: base, costs: costs}
	one := uint64(1)
	root := c.node(s, typePrefix+"self", fldPath, true, true, &one)
	return &Validator{root: root}, c.errs
}

type compiler struct {
	provider *provider
	base     *cel.Env
	errs     field.ErrorList
	// costs, when set, estimates what each expression costs.
	costs *costCheck
}

type costCheck struct {
	perExpression bool
	total         totalCost
	// node and card are the bounds of the node whose rules are being
	// compiled and the number of times it may appear (nil: unbounded).
	node *bounds
	card *uint64
	// before and after are the cost errors of the rule being compiled,
	// which kube reports before and after its other errors.
	before, after field.ErrorList
}

// estimate adds an expression's cost to the total and refuses it over
// the per-expression limit; a rule's cost counts every time it may run.
func (k *costCheck) estimate(env *cel.Env, a *cel.Ast, p *field.Path, rule bool) {
	est, err := env.EstimateCost(a, &kubecel.Costs{Sizes: sizes{root: k.node}})
	if err != nil {
		k.before = append(k.before, field.InternalError(p, fmt.Errorf("cost estimation failed: %w", err)))
		return
	}
	what, cost, list := "estimated messageExpression cost", est.Max, &k.after
	if rule {
		what, cost, list = "estimated rule cost", ruleCost(est.Max, k.card, k.node), &k.before
	}
	if k.perExpression && cost > ExpressionCostLimit {
		*list = append(*list, field.Forbidden(p, costExceeded(what, cost, ExpressionCostLimit)))
	}
	k.total.add(p, cost)
}

// node compiles the rules of schema node s and below; card is the
// number of times the node may appear in an object (nil: unbounded).
func (c *compiler) node(s *apiextensionsv1.JSONSchemaProps, name string, fldPath *field.Path, root, correlatable bool, card *uint64) *node {
	n := &node{schema: s, converts: s.Type == "number" || (s.Type == "string" && celFormats[s.Format])}
	if len(s.XValidations) > 0 {
		t := c.provider.typeOf(s, name, root)
		if c.costs != nil {
			c.costs.node, c.costs.card = boundsOf(s, root || s.XEmbeddedResource), card
		}
		for i, r := range s.XValidations {
			before := len(c.errs)
			compiled := c.rule(r, t, correlatable, fldPath.Child("x-kubernetes-validations").Index(i))
			if len(c.errs) > before {
				compiled = &rule{src: r, compileErr: c.errs[before].Detail}
			}
			if compiled != nil {
				n.rules = append(n.rules, compiled)
			}
			if c.costs != nil {
				own := append(append(c.costs.before, c.errs[before:]...), c.costs.after...)
				c.errs = append(c.errs[:before], own...)
				c.costs.before, c.costs.after = nil, nil
			}
		}
	}
	childCard := childCardinality(s, card)
	keys := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		prop := s.Properties[k]
		child := c.node(&prop, name+"."+k, fldPath.Child("properties").Key(k), false, correlatable, childCard)
		if child.converts || len(child.rules) > 0 || child.hasChildren() {
			if n.properties == nil {
				n.properties = map[string]*node{}
			}
			n.properties[k] = child
			n.converts = n.converts || child.converts
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		child := c.node(s.AdditionalProperties.Schema, name+".@elem", fldPath.Child("additionalProperties"), false, correlatable, childCard)
		n.additional, n.converts = child, n.converts || child.converts
	}
	if s.Items != nil && s.Items.Schema != nil {
		isMap := s.XListType != nil && *s.XListType == "map"
		child := c.node(s.Items.Schema, name+".@idx", fldPath.Child("items"), false, correlatable && isMap, childCard)
		n.items, n.converts = child, n.converts || child.converts
		if isMap {
			n.mapKeys = s.XListMapKeys
		}
	}
	return n
}

func (n *node) hasChildren() bool {
	return len(n.properties) > 0 || (n.additional != nil && (n.additional.converts || len(n.additional.rules) > 0 || n.additional.hasChildren())) ||
		(n.items != nil && (n.items.converts || len(n.items.rules) > 0 || n.items.hasChildren()))
}

// rule compiles one rule for a node of type t.
func (c *compiler) rule(r apiextensionsv1.ValidationRule, t *types.Type, correlatable bool, p *field.Path) *rule {
	if strings.TrimSpace(r.Rule) == "" {
		return nil // refused by the shape checks
	}
	oldType := t
	if r.OptionalOldSelf != nil && *r.OptionalOldSelf {
		oldType = types.NewOptionalType(t)
	}
	env, err := c.base.Extend(cel.Variable("self", t), cel.Variable("oldSelf", oldType))
	if err != nil {
		c.errs = append(c.errs, field.InternalError(p.Child("rule"), err))
		return nil
	}
	checked, iss := env.Compile(r.Rule)
	if iss.Err() != nil {
		c.errs = append(c.errs, field.Invalid(p.Child("rule"), ruleValue(r), "compilation failed: "+iss.Err().Error()))
		return nil
	}
	if !checked.OutputType().IsExactType(types.BoolType) {
		c.errs = append(c.errs, field.Invalid(p.Child("rule"), ruleValue(r), "cel expression must evaluate to a bool"))
		return nil
	}
	if c.costs != nil {
		c.costs.estimate(env, checked, p.Child("rule"), true)
	}
	out := &rule{src: r, transition: usesOldSelf(checked.NativeRep())}
	if out.transition && !correlatable {
		c.errs = append(c.errs, field.Invalid(p.Child("rule"), r.Rule,
			"oldSelf cannot be used on the uncorrelatable portion of the schema within "+p.Root().String()))
		return nil
	}
	if r.OptionalOldSelf != nil && *r.OptionalOldSelf && !out.transition {
		c.errs = append(c.errs, field.Invalid(p.Child("optionalOldSelf"), true, "may not be set if oldSelf is not used in rule"))
	}
	if out.prg, err = env.Program(checked, kubecel.ProgramOptions()...); err != nil {
		c.errs = append(c.errs, field.InternalError(p.Child("rule"), err))
		return nil
	}
	if strings.TrimSpace(r.MessageExpression) != "" {
		msg, iss := env.Compile(r.MessageExpression)
		switch {
		case iss.Err() != nil:
			c.errs = append(c.errs, field.Invalid(p.Child("messageExpression"), ruleValue(r), "messageExpression compilation failed: "+iss.Err().Error()))
		case !msg.OutputType().IsExactType(types.StringType):
			c.errs = append(c.errs, field.Invalid(p.Child("messageExpression"), ruleValue(r), "messageExpression must evaluate to a string"))
		default:
			if c.costs != nil {
				c.costs.estimate(env, msg, p.Child("messageExpression"), false)
			}
			if out.message, err = env.Program(msg, kubecel.ProgramOptions()...); err != nil {
				c.errs = append(c.errs, field.InternalError(p.Child("messageExpression"), err))
			}
		}
	}
	return out
}

// ruleValue is a rule as kube-apiserver prints it in a compile error: its
// internal type in Go syntax (a pointer prints as an address there too).
type ruleValue apiextensionsv1.ValidationRule

// MarshalJSON refuses, as kube's internal types do, so that an error
// prints the value with String.
func (ruleValue) MarshalJSON() ([]byte, error) {
	return nil, errors.New("an internal type is not serialized")
}

func (r ruleValue) String() string {
	reason := "(*apiextensions.FieldValueErrorReason)(nil)"
	if r.Reason != nil {
		reason = fmt.Sprintf("(*apiextensions.FieldValueErrorReason)(%p)", r.Reason)
	}
	optional := "(*bool)(nil)"
	if r.OptionalOldSelf != nil {
		optional = fmt.Sprintf("(*bool)(%p)", r.OptionalOldSelf)
	}
	return fmt.Sprintf("apiextensions.ValidationRule{Rule:%q, Message:%q, MessageExpression:%q, Reason:%s, FieldPath:%q, OptionalOldSelf:%s}",
		r.Rule, r.Message, r.MessageExpression, reason, r.FieldPath, optional)
}

// usesOldSelf reports whether a checked expression refers to oldSelf.
func usesOldSelf(a *ast.AST) bool {
	for _, ref := range a.ReferenceMap() {
		if ref.Name == "oldSelf" {
			return true
		}
	}
	return false
}

func hasRules(s *apiextensionsv1.JSONSchemaProps) bool {
	if len(s.XValidations) > 0 {
		return true
	}
	for k := range s.Properties {
		p := s.Properties[k]
		if hasRules(&p) {
			return true
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil && hasRules(s.AdditionalProperties.Schema) {
		return true
	}
	return s.Items != nil && s.Items.Schema != nil && hasRules(s.Items.Schema)
}

// Validate runs the rules on obj, on create (old nil) or update.
func (v *Validator) Validate(ctx context.Context, obj, old map[string]any) field.ErrorList {
	if v == nil || v.root == nil {
		return nil
	}
	var oldVal any
	if old != nil {
		oldVal = old
	}
	e := evaluation{ctx: ctx, budget: RuntimeBudget}
	e.validate(v.root, nil, obj, oldVal, unchanged(obj, oldVal))
	return e.errs
}

type evaluation struct {
	ctx    context.Context
	budget int64
	errs   field.ErrorList
	out    bool
}

// unchanged reports whether an update keeps a value as it was.
func unchanged(val, old any) bool { return old != nil && reflect.DeepEqual(val, old) }

// validate runs the rules of n and below on val. ratchet says the value
// is unchanged by the update (or, out of a list whose items are not
// correlated, that the list is): as kube's ratcheting, a rule that does
// not use oldSelf then only warns of its failure.
func (e *evaluation) validate(n *node, p *field.Path, val, old any, ratchet bool) {
	if e.out || val == nil || n == nil {
		return
	}
	if len(n.rules) > 0 {
		self, oldSelf := val, old
		if n.converts {
			self, oldSelf = celValues(n, val), celValues(n, old)
		}
		for _, r := range n.rules {
			if e.out {
				return
			}
			e.run(n, r, p, self, oldSelf, ratchet)
		}
	}
	switch v := val.(type) {
	case map[string]any:
		oldMap, _ := old.(map[string]any)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if c := n.properties[k]; c != nil {
				e.validate(c, p.Child(k), v[k], oldMap[k], unchanged(v[k], oldMap[k]))
			} else if n.additional != nil {
				e.validate(n.additional, p.Key(k), v[k], oldMap[k], unchanged(v[k], oldMap[k]))
			}
		}
	case []any:
		if n.items == nil {
			return
		}
		oldItems := correlate(n.mapKeys, old)
		for i, item := range v {
			if oldItems == nil {
				e.validate(n.items, p.Index(i), item, nil, ratchet)
				continue
			}
			oldItem := oldItems[itemKey(n.mapKeys, item)]
			e.validate(n.items, p.Index(i), item, oldItem, unchanged(item, oldItem))
		}
	}
}

// correlate indexes the old items of a map list by their keys.
func correlate(keys []string, old any) map[string]any {
	list, ok := old.([]any)
	if !ok || len(keys) == 0 {
		return nil
	}
	out := make(map[string]any, len(list))
	for _, item := range list {
		out[itemKey(keys, item)] = item
	}
	return out
}

func itemKey(keys []string, item any) string {
	m, _ := item.(map[string]any)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%T:%v", m[k], m[k])
	}
	return strings.Join(parts, "\x00")
}

// run evaluates one rule; ratchet turns its failure into a warning,
// unless it uses oldSelf.
func (e *evaluation) run(n *node, r *rule, p *field.Path, self, oldSelf any, ratchet bool) {
	if r.compileErr != "" {
		e.errs = append(e.errs, field.Invalid(p, typeName(n.schema), "rule compile error: "+r.compileErr))
		return
	}
	optional := r.src.OptionalOldSelf != nil && *r.src.OptionalOldSelf
	if r.transition && oldSelf == nil && !optional {
		return // transition rules need an old value
	}
	vars := map[string]any{"self": self}
	switch {
	case optional && oldSelf == nil:
		vars["oldSelf"] = types.OptionalNone
	case optional:
		vars["oldSelf"] = types.OptionalOf(types.DefaultTypeAdapter.NativeToValue(oldSelf))
	case oldSelf != nil:
		vars["oldSelf"] = oldSelf
	}
	typ := typeName(n.schema)
	ruleText := ruleString(r.src)
	out, details, err := r.prg.ContextEval(e.ctx, vars)
	if details == nil || details.ActualCost() == nil {
		e.errs = append(e.errs, field.InternalError(p, fmt.Errorf("runtime cost could not be calculated for validation rule: %v, no further validation rules will be run", ruleText)))
		e.out = true
		return
	}
	if cost := *details.ActualCost(); cost > math.MaxInt64 || int64(cost) > e.budget {
		e.errs = append(e.errs, field.Invalid(p, typ, "validation failed due to running out of cost budget, no further validation rules will be run"))
		e.out = true
		return
	} else {
		e.budget -= int64(cost)
	}
	if err != nil {
		switch msg := err.Error(); {
		case strings.HasPrefix(msg, "no such overload"):
			e.errs = append(e.errs, field.Invalid(p, typ, fmt.Sprintf("'%v': call arguments did not match a supported operator, function or macro signature for rule: %v", err, ruleText)))
		case strings.HasPrefix(msg, "operation cancelled: actual cost limit exceeded"):
			e.errs = append(e.errs, field.Invalid(p, typ, fmt.Sprintf("'%v': no further validation rules will be run due to call cost exceeds limit for rule: %v", err, ruleText)))
			e.out = true
		default:
			e.errs = append(e.errs, field.Invalid(p, typ, fmt.Sprintf("%v evaluating rule: %v", err, ruleText)))
		}
		return
	}
	if out == types.True {
		return
	}
	msg := ""
	if r.message != nil {
		msg = e.message(r, vars)
		if e.out {
			return
		}
	}
	if msg == "" {
		msg = "failed rule: " + ruleText
		if strings.TrimSpace(r.src.Message) != "" {
			msg = strings.TrimSpace(r.src.Message)
		}
	}
	at := p
	if r.src.FieldPath != "" {
		at = appendFieldPath(p, r.src.FieldPath)
	}
	reason := apiextensionsv1.FieldValueInvalid
	if r.src.Reason != nil {
		reason = *r.src.Reason
	}
	var fe *field.Error
	switch reason {
	case apiextensionsv1.FieldValueForbidden:
		fe = field.Forbidden(at, msg)
	case apiextensionsv1.FieldValueRequired:
		fe = field.Required(at, msg)
	case apiextensionsv1.FieldValueDuplicate:
		fe = field.Duplicate(at, msg)
	default:
		fe = field.Invalid(at, typ, msg)
	}
	if ratchet && !r.transition {
		request.AddWarning(e.ctx, fe.Error())
		return
	}
	e.errs = append(e.errs, fe)
}

// message evaluates a rule's messageExpression; "" falls back to the
// message.
func (e *evaluation) message(r *rule, vars map[string]any) string {
	out, details, err := r.message.ContextEval(e.ctx, vars)
	if details != nil && details.ActualCost() != nil {
		e.budget -= int64(*details.ActualCost())
	}
	if err != nil {
		return ""
	}
	s, ok := out.Value().(string)
	s = strings.TrimSpace(s)
	if !ok || s == "" || len(s) > maxMessageBytes || strings.Contains(s, "\n") {
		return ""
	}
	return s
}

func ruleString(r apiextensionsv1.ValidationRule) string {
	if m := strings.TrimSpace(r.Message); m != "" {
		return m
	}
	return strings.TrimSpace(r.Rule)
}

// appendFieldPath adds a rule's fieldPath (".spec.x", ".m['key']",
// "[2]") to p.
func appendFieldPath(p *field.Path, fp string) *field.Path {
	for fp != "" {
		switch {
		case strings.HasPrefix(fp, "."):
			fp = fp[1:]
			end := strings.IndexAny(fp, ".[")
			if end < 0 {
				end = len(fp)
			}
			p, fp = p.Child(fp[:end]), fp[end:]
		case strings.HasPrefix(fp, "['"):
			end := strings.Index(fp, "']")
			if end < 0 {
				return p.Child(fp)
			}
			p, fp = p.Key(fp[2:end]), fp[end+2:]
		case strings.HasPrefix(fp, "["):
			end := strings.Index(fp, "]")
			i, err := strconv.Atoi(fp[1:max(end, 1)])
			if end < 0 || err != nil {
				return p.Child(fp)
			}
			p, fp = p.Index(i), fp[end+1:]
		default:
			fp = "." + fp
		}
	}
	return p
}

// celFormats are the string formats CEL types as other than strings.
var celFormats = map[string]bool{"byte": true, "duration": true, "date": true, "date-time": true}

// celValues copies the parts of v whose CEL type differs from their JSON
// one, converted: integers of number-typed schemas as doubles, formatted
// strings as bytes, durations and timestamps. A string that does not
// parse is left as it is (the schema's format validation refuses it).
func celValues(n *node, v any) any {
	if n == nil || !n.converts || v == nil {
		return v
	}
	switch x := v.(type) {
	case int64:
		if n.schema.Type == "number" {
			return float64(x)
		}
	case string:
		if out, ok := formatted(n.schema.Format, x); ok {
			return out
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			switch {
			case n.properties[k] != nil:
				out[k] = celValues(n.properties[k], val)
			case n.additional != nil:
				out[k] = celValues(n.additional, val)
			default:
				out[k] = val
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = celValues(n.items, val)
		}
		return out
	}
	return v
}

// formatted is s, of format f, as CEL sees it.
func formatted(f, s string) (any, bool) {
	switch f {
	case "byte":
		b, err := base64.StdEncoding.DecodeString(s)
		return b, err == nil
	case "duration":
		d, err := strfmt.ParseDuration(s)
		return d, err == nil
	case "date":
		t, err := time.Parse(time.DateOnly, s)
		return t, err == nil
	case "date-time":
		t, err := strfmt.ParseDateTime(s)
		return time.Time(t), err == nil
	}
	return nil, false
}
