package cel

import (
	"context"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/serviceaccount"
	"github.com/apiserver/apiserver/pkg/auth/user"
)

// kube's authz library types: an authorizer for a user, the checks built
// from it, and their decision.
var (
	authorizerType    = cel.OpaqueType("kubernetes.authorization.Authorizer")
	pathCheckType     = cel.OpaqueType("kubernetes.authorization.PathCheck")
	groupCheckType    = cel.OpaqueType("kubernetes.authorization.GroupCheck")
	resourceCheckType = cel.OpaqueType("kubernetes.authorization.ResourceCheck")
	decisionType      = cel.OpaqueType("kubernetes.authorization.Decision")
)

// authorizer asks a for user, within ctx (the request's).
type authorizer struct {
	ctx  context.Context
	a    authz.Authorizer
	user *user.Info
}

// check is a path check, or a resource check being built.
type check struct {
	auth  *authorizer
	attrs authz.Attributes
}

type decision struct {
	allowed bool
	reason  string
	err     error
}

var (
	authorizerKind    = &opaqueKind[*authorizer]{typ: authorizerType, equal: func(a, b *authorizer) bool { return a == b }}
	pathCheckKind     = &opaqueKind[check]{typ: pathCheckType, equal: func(a, b check) bool { return a == b }}
	groupCheckKind    = &opaqueKind[check]{typ: groupCheckType, equal: func(a, b check) bool { return a == b }}
	resourceCheckKind = &opaqueKind[check]{typ: resourceCheckType, equal: func(a, b check) bool { return a == b }}
	decisionKind      = &opaqueKind[decision]{typ: decisionType, equal: func(a, b decision) bool { return a == b }}
)

// Authorizer is the authorizer variable of a request by u: checks ask a
// within ctx. A nil a denies everything, with an error.
func Authorizer(ctx context.Context, a authz.Authorizer, u *user.Info) any {
	return authorizerKind.of(&authorizer{ctx: ctx, a: a, user: u})
}

// RequestResource is the authorizer.requestResource variable: a check of
// the request's own resource, subresource, namespace and name.
func RequestResource(ctx context.Context, a authz.Authorizer, u *user.Info, group, version, resource, subresource, namespace, name string) any {
	return resourceCheckKind.of(check{auth: &authorizer{ctx: ctx, a: a, user: u}, attrs: authz.Attributes{
		IsResourceRequest: true, APIGroup: group, APIVersion: version, Resource: resource, Subresource: subresource, Namespace: namespace, Name: name,
	}})
}

func (c check) decide(verb string) ref.Val {
	if c.auth.a == nil {
		return decisionKind.of(decision{err: errNoAuthorizer})
	}
	attrs := c.attrs
	attrs.User, attrs.Verb = c.auth.user, verb
	if attrs.APIVersion == "" && attrs.IsResourceRequest {
		attrs.APIVersion = "*"
	}
	d, reason, err := c.auth.a.Authorize(c.auth.ctx, attrs)
	return decisionKind.of(decision{allowed: d == authz.DecisionAllow, reason: reason, err: err})
}

type authzError string

func (e authzError) Error() string { return string(e) }

const errNoAuthorizer = authzError("no authorizer")

// authzLibrary is kube's authz library.
func authzLibrary() cel.EnvOption {
	strArg := func(v ref.Val) (string, bool) {
		s, ok := v.(types.String)
		return string(s), ok
	}
	// with builds a check from another by setting one string field.
	with := func(id string, in *opaqueKind[check], inType *cel.Type, out *opaqueKind[check], set func(*authz.Attributes, string)) cel.FunctionOpt {
		return cel.MemberOverload(id, []*cel.Type{inType, cel.StringType}, out.typ, cel.BinaryBinding(func(c, s ref.Val) ref.Val {
			ch, ok := in.from(c)
			str, ok2 := strArg(s)
			if !ok || !ok2 {
				return types.MaybeNoSuchOverloadErr(s)
			}
			set(&ch.attrs, str)
			return out.of(ch)
		}))
	}
	checkVerb := func(id string, kind *opaqueKind[check]) cel.FunctionOpt {
		return cel.MemberOverload(id, []*cel.Type{kind.typ, cel.StringType}, decisionType, cel.BinaryBinding(func(c, v ref.Val) ref.Val {
			ch, ok := kind.from(c)
			verb, ok2 := strArg(v)
			if !ok || !ok2 {
				return types.MaybeNoSuchOverloadErr(v)
			}
			return ch.decide(verb)
		}))
	}
	onDecision := func(name string, out *cel.Type, f func(decision) ref.Val) cel.EnvOption {
		return cel.Function(name, cel.MemberOverload("decision_"+name, []*cel.Type{decisionType}, out, cel.UnaryBinding(func(v ref.Val) ref.Val {
			d, ok := decisionKind.from(v)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			return f(d)
		})))
	}
	fromAuthorizer := func(v ref.Val) (*authorizer, bool) { return authorizerKind.from(v) }
	return cel.Lib(funcs{
		cel.Function("path", cel.MemberOverload("authorizer_path", []*cel.Type{authorizerType, cel.StringType}, pathCheckType,
			cel.BinaryBinding(func(a, p ref.Val) ref.Val {
				auth, ok := fromAuthorizer(a)
				path, ok2 := strArg(p)
				if !ok || !ok2 {
					return types.MaybeNoSuchOverloadErr(p)
				}
				return pathCheckKind.of(check{auth: auth, attrs: authz.Attributes{Path: path}})
			}))),
		cel.Function("group", cel.MemberOverload("authorizer_group", []*cel.Type{authorizerType, cel.StringType}, groupCheckType,
			cel.BinaryBinding(func(a, g ref.Val) ref.Val {
				auth, ok := fromAuthorizer(a)
				group, ok2 := strArg(g)
				if !ok || !ok2 {
					return types.MaybeNoSuchOverloadErr(g)
				}
				return groupCheckKind.of(check{auth: auth, attrs: authz.Attributes{IsResourceRequest: true, APIGroup: group}})
			}))),
		cel.Function("serviceAccount", cel.MemberOverload("authorizer_serviceaccount", []*cel.Type{authorizerType, cel.StringType, cel.StringType}, authorizerType,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				auth, ok := fromAuthorizer(args[0])
				ns, ok2 := strArg(args[1])
				name, ok3 := strArg(args[2])
				if !ok || !ok2 || !ok3 {
					return types.MaybeNoSuchOverloadErr(args[0])
				}
				u := &user.Info{Name: serviceaccount.UserName(ns, name), Groups: append(serviceaccount.Groups(ns), user.AllAuthenticated)}
				return authorizerKind.of(&authorizer{ctx: auth.ctx, a: auth.a, user: u})
			}))),
		cel.Function("resource", with("groupcheck_resource", groupCheckKind, groupCheckType, resourceCheckKind,
			func(a *authz.Attributes, s string) { a.Resource = s })),
		cel.Function("subresource", with("resourcecheck_subresource", resourceCheckKind, resourceCheckType, resourceCheckKind,
			func(a *authz.Attributes, s string) { a.Subresource = s })),
		cel.Function("namespace", with("resourcecheck_namespace", resourceCheckKind, resourceCheckType, resourceCheckKind,
			func(a *authz.Attributes, s string) { a.Namespace = s })),
		cel.Function("name", with("resourcecheck_name", resourceCheckKind, resourceCheckType, resourceCheckKind,
			func(a *authz.Attributes, s string) { a.Name = s })),
		cel.Function("check", checkVerb("pathcheck_check", pathCheckKind), checkVerb("resourcecheck_check", resourceCheckKind)),
		onDecision("allowed", cel.BoolType, func(d decision) ref.Val { return types.Bool(d.allowed) }),
		onDecision("reason", cel.StringType, func(d decision) ref.Val { return types.String(d.reason) }),
		onDecision("errored", cel.BoolType, func(d decision) ref.Val { return types.Bool(d.err != nil) }),
		onDecision("error", cel.StringType, func(d decision) ref.Val {
			if d.err == nil {
				return types.String("")
			}
			return types.String(d.err.Error())
		}),
	})
}
