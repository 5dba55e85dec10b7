package cel

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/auth/user"
)

func TestCompileAndEval(t *testing.T) {
	env, err := AdmissionEnv()
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{
		"object":    map[string]any{"metadata": map[string]any{"name": "web-1", "labels": map[string]any{"tier": "front"}}, "spec": map[string]any{"replicas": int64(3)}},
		"oldObject": nil,
		"request":   map[string]any{"userInfo": map[string]any{"username": "alice", "groups": []any{"dev"}}},
	}
	tests := []struct {
		expr    string
		want    bool
		compile string
	}{
		{`object.metadata.name.startsWith("web-")`, true, ""},
		{`object.spec.replicas > 2 && "dev" in request.userInfo.groups`, true, ""},
		{`oldObject == null`, true, ""},
		{`has(object.metadata.labels.tier) && object.metadata.labels.tier == "front"`, true, ""},
		{`object.?metadata.?annotations.orValue({}).size() == 0`, true, ""},
		{`sets.contains(["a", "b"], ["a"])`, true, ""},
		{`"a,b".split(",").size() == 2`, true, ""},
		{`object.metadata.name`, false, "must evaluate to bool"},
		{`object.metadata.name ==`, false, "compilation failed: ERROR: <input>:1:24: Syntax error"},
		{`nope == 1`, false, "undeclared reference to 'nope'"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			p, err := env.Compile(tc.expr, BoolType)
			if tc.compile != "" {
				var ce *CompileError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.compile) {
					t.Fatalf("compile error %v, want %q", err, tc.compile)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.EvalBool(context.Background(), vars)
			if err != nil || got != tc.want {
				t.Errorf("eval = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// A runaway expression stops at the per-call cost limit.
func TestCostLimit(t *testing.T) {
	env, err := NewEnv(Variables{"object"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.Compile(`object.all(x, object.all(y, object.all(z, x + y + z >= 0)))`, BoolType)
	if err != nil {
		t.Fatal(err)
	}
	list := make([]any, 200)
	for i := range list {
		list[i] = int64(i)
	}
	if _, err := p.EvalBool(context.Background(), map[string]any{"object": list}); !errors.Is(err, ErrCostLimit) {
		t.Errorf("err = %v, want the cost limit", err)
	}
}

// The request variable has an AdmissionRequest's JSON field names.
func TestRequestValue(t *testing.T) {
	a := &admission.Attributes{Operation: admission.Update, Resource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"},
		Kind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Subresource: "scale", Namespace: "ns", Name: "d", DryRun: true,
		User: &user.Info{Name: "alice", Groups: []string{"dev"}, Extra: map[string][]string{"scopes": {"a"}}}}
	env, err := AdmissionEnv()
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.Compile(`request.userInfo.username == 'alice' && request.userInfo.groups == ['dev'] && request.userInfo.extra.scopes == ['a'] &&
		request.resource.resource == 'deployments' && request.kind.kind == 'Deployment' && request.subResource == 'scale' &&
		request.operation == 'UPDATE' && request.dryRun && request.namespace == 'ns' && request.name == 'd' && !has(request.userInfo.uid)`, BoolType)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := p.EvalBool(context.Background(), map[string]any{"request": RequestValue(a)}); !ok || err != nil {
		t.Errorf("= %v, %v", ok, err)
	}
}

// Calls of kube's libraries are priced by what they read, as kube prices
// them: lowering a 12 MB string costs 1.2 million, over the per-call
// limit, where cel-go alone would charge 1.
func TestLibraryCallsPriced(t *testing.T) {
	env, err := NewEnv(Variables{"object"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.Compile(`object.lowerAscii().size() > 0`, BoolType)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := p.EvalBool(t.Context(), map[string]any{"object": "ABC"}); err != nil || !ok {
		t.Fatalf("short string: %v, %v", ok, err)
	}
	long := strings.Repeat("A", 12_000_000)
	if _, err := p.EvalBool(t.Context(), map[string]any{"object": long}); !errors.Is(err, ErrCostLimit) {
		t.Errorf("err = %v, want the cost limit", err)
	}
}

func TestEstimatedCallCosts(t *testing.T) {
	str := func(max uint64) checker.AstNode { return sized{t: cel.StringType, max: max} }
	c := &Costs{}
	for _, tc := range []struct {
		name           string
		function, over string
		target         checker.AstNode
		args           []checker.AstNode
		want           uint64
	}{
		{"lowerAscii reads the string", "lowerAscii", "", str(1000), nil, 100},
		{"replace reads it twice", "replace", "", str(1000), []checker.AstNode{str(1), str(2)}, 200},
		{"find: string times regex", "find", "", str(999), []checker.AstNode{str(40)}, 100 * 10},
		{"url parses its argument", "url", "", nil, []checker.AstNode{str(300)}, 30},
		{"check is an authorization", "check", "", nil, nil, authzCheck},
		{"accessors are constant", "getHost", "", nil, nil, 1},
		{"an ip inside a CIDR", "ip", "cidr_ip", nil, []checker.AstNode{str(50)}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var target *checker.AstNode
			if tc.target != nil {
				target = &tc.target
			}
			got := c.EstimateCallCost(tc.function, tc.over, target, tc.args)
			if got == nil || got.Max != tc.want {
				t.Errorf("estimate %+v, want max %d", got, tc.want)
			}
		})
	}
}

// sized is an expression of a known size.
type sized struct {
	t   *cel.Type
	max uint64
}

func (s sized) Path() []string    { return nil }
func (s sized) Type() *types.Type { return s.t }
func (s sized) Expr() ast.Expr    { return nil }
func (s sized) ComputedSize() *checker.SizeEstimate {
	return &checker.SizeEstimate{Max: s.max}
}
