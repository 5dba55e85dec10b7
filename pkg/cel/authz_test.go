package cel

import (
	"context"
	"testing"

	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/user"
)

// rules allows alice to get pods in default and /healthz, and a service
// account to list deployments; it denies the rest with a reason.
type rules struct{}

func (rules) Authorize(_ context.Context, a authz.Attributes) (authz.Decision, string, error) {
	switch {
	case a.User.Name == "alice" && a.Verb == "get" && a.Resource == "pods" && a.Namespace == "default" && a.APIGroup == "":
		return authz.DecisionAllow, "", nil
	case a.User.Name == "alice" && a.Verb == "get" && a.Path == "/healthz":
		return authz.DecisionAllow, "", nil
	case a.User.Name == "system:serviceaccount:ns:sa" && a.Verb == "list" && a.APIGroup == "apps" && a.Resource == "deployments":
		return authz.DecisionAllow, "", nil
	case a.User.Name == "alice" && a.Resource == "configmaps" && a.Name == "cm" && a.Subresource == "":
		return authz.DecisionAllow, "", nil
	}
	return authz.DecisionNoOpinion, "no", nil
}

// kube's documented examples of its authz library.
func TestAuthzLibrary(t *testing.T) {
	env, err := NewEnv(Variables{"authorizer", "authorizer.requestResource"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	alice := &user.Info{Name: "alice"}
	vars := map[string]any{
		"authorizer":                 Authorizer(ctx, rules{}, alice),
		"authorizer.requestResource": RequestResource(ctx, rules{}, alice, "", "v1", "configmaps", "", "default", "cm"),
	}
	for _, expr := range []string{
		`authorizer.group('').resource('pods').namespace('default').check('get').allowed()`,
		`!authorizer.group('').resource('pods').namespace('other').check('get').allowed()`,
		`authorizer.path('/healthz').check('get').allowed()`,
		`authorizer.serviceAccount('ns', 'sa').group('apps').resource('deployments').check('list').allowed()`,
		`authorizer.group('').resource('secrets').check('get').reason() == 'no'`,
		`!authorizer.group('').resource('secrets').check('get').errored() && authorizer.group('').resource('secrets').check('get').error() == ''`,
		`authorizer.group('').resource('configmaps').name('cm').check('update').allowed()`,
		`!authorizer.group('').resource('configmaps').subresource('status').name('cm').check('update').allowed()`,
		`authorizer.requestResource.check('delete').allowed()`,
	} {
		p, err := env.Compile(expr, BoolType)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if ok, err := p.EvalBool(ctx, vars); err != nil || !ok {
			t.Errorf("%s = %v, %v", expr, ok, err)
		}
	}
	// Without an authorizer every check errs.
	p, err := env.Compile(`authorizer.path('/healthz').check('get').errored()`, BoolType)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := p.EvalBool(ctx, map[string]any{"authorizer": Authorizer(ctx, nil, alice)}); err != nil || !ok {
		t.Errorf("no authorizer: %v, %v", ok, err)
	}
}
