// Package cel compiles and evaluates the CEL expressions users write
// (webhook matchConditions, ValidatingAdmissionPolicies; CRD validation
// rules build on its Options), on cel-go with the standard extension
// libraries kube-apiserver enables (strings, sets, optional types,
// encoders, math) and kube's lists, regex, quantity, url, ip, cidr,
// format and authz libraries. Objects are seen as JSON-shaped values (maps, lists,
// strings, int64, float64, bool), as the API serves them.
package cel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/apiserver/apiserver/pkg/admission"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// PerCallLimit is kube-apiserver's runtime cost limit for one
// evaluation of one expression.
const PerCallLimit = 1_000_000

// Variables are the names an expression may use; each is dynamically
// typed.
type Variables []string

// AdmissionVariables are those of a webhook's matchConditions.
var AdmissionVariables = Variables{"object", "oldObject", "request", "authorizer"}

// BoolType is the type of a condition.
var BoolType = cel.BoolType

// AdmissionEnv is the shared environment of AdmissionVariables.
var AdmissionEnv = sync.OnceValues(func() (*Env, error) { return NewEnv(AdmissionVariables) })

// ProgramOptions are those of every program: kube's per-call cost
// limit, with calls priced as kube prices them.
func ProgramOptions() []cel.ProgramOption {
	return []cel.ProgramOption{
		cel.EvalOptions(cel.OptOptimize),
		cel.CostLimit(PerCallLimit),
		cel.CostTracking(&Costs{}),
		cel.CostTrackerOptions(interpreter.PresenceTestHasCost(false)),
		cel.InterruptCheckFrequency(100),
	}
}

// Type is a CEL type.
type Type = cel.Type

// StringType is the type of a message.
var StringType = cel.StringType

// Env is a compiled environment; it is safe for concurrent use.
type Env struct{ env *cel.Env }

// NewEnv returns an environment that declares vars.
func NewEnv(vars Variables) (*Env, error) {
	typed := make(map[string]*cel.Type, len(vars))
	for _, v := range vars {
		typed[v] = nil
	}
	return NewTypedEnv(typed)
}

// NewTypedEnv returns an environment that declares each of vars with its
// type: nil is dynamic, but for authorizer and
// authorizer.requestResource, which have their library's types. extra
// adds options, such as the provider of the types.
func NewTypedEnv(vars map[string]*cel.Type, extra ...cel.EnvOption) (*Env, error) {
	opts := append(Options(), extra...)
	for v, t := range vars {
		switch {
		case v == "authorizer":
			t = authorizerType
		case v == "authorizer.requestResource":
			t = resourceCheckType
		case t == nil:
			t = cel.DynType
		}
		opts = append(opts, cel.Variable(v, t))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("building the CEL environment: %w", err)
	}
	return &Env{env: env}, nil
}

// Check type-checks expr and returns its type; a CompileError says why it
// does not compile, in kube's words.
func (e *Env) Check(expr string) (*cel.Type, error) {
	ast, iss := e.env.Compile(expr)
	if iss.Err() != nil {
		return nil, &CompileError{Detail: "compilation failed: " + iss.Err().Error()}
	}
	return ast.OutputType(), nil
}

// Program is a compiled expression.
type Program struct {
	prg  cel.Program
	want *cel.Type
	// out is the expression's type.
	out *cel.Type
	// refs are the variables the expression refers to.
	refs map[string]bool
}

// References reports whether the expression uses variable name: a
// caller computes only the variables some expression reads.
func (p *Program) References(name string) bool { return p != nil && p.refs[name] }

// Type is the type of the expression (dyn when unknown until it runs).
func (p *Program) Type() *cel.Type { return p.out }

// CompileError is a compile error, worded as kube-apiserver words it.
type CompileError struct{ Detail string }

func (e *CompileError) Error() string { return e.Detail }

// Compile checks expr, which must evaluate to want (cel.BoolType, say;
// nil accepts any type).
func (e *Env) Compile(expr string, want *cel.Type) (*Program, error) {
	ast, iss := e.env.Compile(expr)
	if iss.Err() != nil {
		return nil, &CompileError{Detail: "compilation failed: " + iss.Err().Error()}
	}
	// As kube, a dyn result is refused where a type is wanted: the
	// expression must say it yields one.
	if want != nil && !ast.OutputType().IsExactType(want) && !ast.OutputType().IsExactType(cel.AnyType) {
		return nil, &CompileError{Detail: "must evaluate to " + typeName(want)}
	}
	prg, err := e.env.Program(ast, ProgramOptions()...)
	if err != nil {
		return nil, &CompileError{Detail: "program instantiation failed: " + err.Error()}
	}
	refs := map[string]bool{}
	for _, r := range ast.NativeRep().ReferenceMap() {
		if r.Name != "" {
			refs[r.Name] = true
		}
	}
	return &Program{prg: prg, want: want, out: ast.OutputType(), refs: refs}, nil
}

func typeName(t *cel.Type) string {
	if t == nil {
		return "dyn"
	}
	return strings.ToLower(t.String())
}

// ErrCostLimit is returned when an evaluation runs over PerCallLimit.
var ErrCostLimit = errors.New("operation cancelled: actual cost limit exceeded")

// Eval evaluates p over vars (name to JSON-shaped value); ctx cancels it.
func (p *Program) Eval(ctx context.Context, vars map[string]any) (ref.Val, error) {
	act := map[string]any{}
	for k, v := range vars {
		if v == nil {
			act[k] = types.NullValue
			continue
		}
		act[k] = v
	}
	out, _, err := p.prg.ContextEval(ctx, act)
	if err != nil {
		if strings.Contains(err.Error(), "cost limit exceeded") {
			return nil, ErrCostLimit
		}
		return nil, err
	}
	return out, nil
}

// EvalBool evaluates a boolean expression.
func (p *Program) EvalBool(ctx context.Context, vars map[string]any) (bool, error) {
	out, err := p.Eval(ctx, vars)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("expression evaluated to %v, not a bool", out.Type())
	}
	return b, nil
}

// ErrorValue is err as a CEL value: an expression that reaches it fails
// with err, one that does not is unaffected.
func ErrorValue(err error) any { return types.WrapErr(err) }

// ObjectValue is obj as expressions see it: its JSON fields as a map
// (nil for no object).
func ObjectValue(obj runtime.Object) any {
	if obj == nil {
		return nil
	}
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u.Object
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil
	}
	return m
}

// RequestValue is the request variable of admission expressions: the
// AdmissionRequest's fields as JSON shows them, without the objects
// (they are object and oldObject).
func RequestValue(a *admission.Attributes) map[string]any {
	gvk := map[string]any{"group": a.Kind.Group, "version": a.Kind.Version, "kind": a.Kind.Kind}
	gvr := map[string]any{"group": a.Resource.Group, "version": a.Resource.Version, "resource": a.Resource.Resource}
	req := map[string]any{
		"uid": "", "kind": gvk, "resource": gvr, "subResource": a.Subresource,
		"requestKind": gvk, "requestResource": gvr, "requestSubResource": a.Subresource,
		"name": a.Name, "namespace": a.Namespace, "operation": string(a.Operation), "dryRun": a.DryRun,
	}
	if u := a.User; u != nil {
		info := map[string]any{"username": u.Name}
		if u.UID != "" {
			info["uid"] = u.UID
		}
		if len(u.Groups) > 0 {
			groups := make([]any, len(u.Groups))
			for i, g := range u.Groups {
				groups[i] = g
			}
			info["groups"] = groups
		}
		if len(u.Extra) > 0 {
			extra := make(map[string]any, len(u.Extra))
			for k, vs := range u.Extra {
				values := make([]any, len(vs))
				for i, v := range vs {
					values[i] = v
				}
				extra[k] = values
			}
			info["extra"] = extra
		}
		req["userInfo"] = info
	}
	return req
}
