// Package review declares the create-only review resources, which store
// nothing and answer about the request: authentication.k8s.io/v1
// SelfSubjectReview (who am I) and authorization.k8s.io/v1
// SelfSubjectAccessReview, SubjectAccessReview and
// LocalSubjectAccessReview (may I, may they) and SelfSubjectRulesReview
// (what may I), answered by the server's authorizer as kube-apiserver
// answers them.
package review

import (
	"context"
	"fmt"
	"slices"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/auth/authn"
	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/serviceaccount"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

func info(gv schema.GroupVersion, resource, kind string, namespaced bool) rest.ResourceInfo {
	return rest.ResourceInfo{GroupVersionResource: gv.WithResource(resource), Kind: kind, Namespaced: namespaced, Verbs: []string{"create"}}
}

// Resources are the review resources, answered by a and, for tokens, by
// tokens, for audiences unless a review names others.
func Resources(a authz.Authorizer, tokens authn.Token, audiences []string) []rest.Resource {
	authnGV, authzGV := authenticationv1.SchemeGroupVersion, authorizationv1.SchemeGroupVersion
	return []rest.Resource{
		{Info: info(authnGV, "tokenreviews", "TokenReview", false), Storage: tokenReviews{tokens, audiences}},
		{Info: info(authnGV, "selfsubjectreviews", "SelfSubjectReview", false), Storage: selfSubjectReviews{}},
		{Info: info(authzGV, "selfsubjectaccessreviews", "SelfSubjectAccessReview", false), Storage: selfAccessReviews{a}},
		{Info: info(authzGV, "subjectaccessreviews", "SubjectAccessReview", false), Storage: accessReviews{a}},
		{Info: info(authzGV, "localsubjectaccessreviews", "LocalSubjectAccessReview", true), Storage: localAccessReviews{a}},
		{Info: info(authzGV, "selfsubjectrulesreviews", "SelfSubjectRulesReview", false), Storage: selfRulesReviews{a}},
	}
}

type selfRulesReviews struct{ a authz.Authorizer }

func (selfRulesReviews) New() runtime.Object { return &authorizationv1.SelfSubjectRulesReview{} }

// Create lists the rules the requester holds in spec.namespace, as far as
// the authorizers can list them (kubectl auth can-i --list).
func (s selfRulesReviews) Create(ctx context.Context, _ string, obj runtime.Object, _ bool) (runtime.Object, error) {
	r := obj.(*authorizationv1.SelfSubjectRulesReview)
	u, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	resolver, ok := s.a.(authz.RuleResolver)
	if !ok {
		r.Status = authorizationv1.SubjectRulesReviewStatus{Incomplete: true,
			ResourceRules: []authorizationv1.ResourceRule{}, NonResourceRules: []authorizationv1.NonResourceRule{}}
		return r, nil
	}
	rules, incomplete := resolver.RulesFor(ctx, u, r.Spec.Namespace)
	status := authorizationv1.SubjectRulesReviewStatus{Incomplete: incomplete,
		ResourceRules: []authorizationv1.ResourceRule{}, NonResourceRules: []authorizationv1.NonResourceRule{}}
	for _, rule := range rules {
		if len(rule.NonResourceURLs) > 0 {
			status.NonResourceRules = append(status.NonResourceRules, authorizationv1.NonResourceRule{Verbs: rule.Verbs, NonResourceURLs: rule.NonResourceURLs})
			continue
		}
		status.ResourceRules = append(status.ResourceRules, authorizationv1.ResourceRule{
			Verbs: rule.Verbs, APIGroups: rule.APIGroups, Resources: rule.Resources, ResourceNames: rule.ResourceNames,
		})
	}
	r.Status = status
	return r, nil
}

// requester is the user the request authenticated as.
func requester(ctx context.Context) (*user.Info, error) {
	u, ok := request.UserFrom(ctx)
	if !ok || u == nil {
		return nil, apierrors.NewBadRequest("no user on the request")
	}
	return u, nil
}

type tokenReviews struct {
	tokens    authn.Token
	audiences []string
}

func (tokenReviews) New() runtime.Object { return &authenticationv1.TokenReview{} }

// Create says who the token authenticates, as the authentication filter
// would for a request that carried it: for the review's audiences, or the
// API's when it names none.
func (s tokenReviews) Create(ctx context.Context, _ string, obj runtime.Object, _ bool) (runtime.Object, error) {
	r := obj.(*authenticationv1.TokenReview)
	if r.Spec.Token == "" {
		return nil, apierrors.NewInvalid(authenticationv1.SchemeGroupVersion.WithKind("TokenReview").GroupKind(), r.Name,
			field.ErrorList{field.Required(field.NewPath("spec", "token"), "")})
	}
	audiences := r.Spec.Audiences
	if len(audiences) == 0 {
		audiences = s.audiences
	}
	r.Status = authenticationv1.TokenReviewStatus{}
	var u *user.Info
	var ok bool
	var err error
	if s.tokens != nil {
		u, ok, err = s.tokens.AuthenticateToken(authn.WithAudiences(ctx, audiences), r.Spec.Token)
	}
	// Tokens that carry no audience (a token file's) are the API's only,
	// as kube treats them.
	if ok && !serviceaccount.IsServiceAccount(u.Name) && !slices.ContainsFunc(audiences, func(a string) bool { return slices.Contains(s.audiences, a) }) {
		ok = false
	}
	switch {
	case err != nil:
		r.Status.Error = err.Error()
	case !ok:
		r.Status.Error = "invalid bearer token"
	default:
		r.Status.Authenticated = true
		r.Status.User = userInfo(u)
		if !slices.Contains(r.Status.User.Groups, user.AllAuthenticated) {
			r.Status.User.Groups = append(slices.Clip(r.Status.User.Groups), user.AllAuthenticated)
		}
		r.Status.Audiences = audiences
	}
	return r, nil
}

// userInfo is u as the reviews report it.
func userInfo(u *user.Info) authenticationv1.UserInfo {
	info := authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups}
	if len(u.Extra) > 0 {
		info.Extra = map[string]authenticationv1.ExtraValue{}
		for k, v := range u.Extra {
			info.Extra[k] = v
		}
	}
	return info
}

type selfSubjectReviews struct{}

func (selfSubjectReviews) New() runtime.Object { return &authenticationv1.SelfSubjectReview{} }

// Create answers with the requester's user information.
func (selfSubjectReviews) Create(ctx context.Context, _ string, obj runtime.Object, _ bool) (runtime.Object, error) {
	u, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	r := obj.(*authenticationv1.SelfSubjectReview)
	r.Status.UserInfo = userInfo(u)
	return r, nil
}

type selfAccessReviews struct{ a authz.Authorizer }

func (selfAccessReviews) New() runtime.Object { return &authorizationv1.SelfSubjectAccessReview{} }

// Create asks whether the requester may do what the spec describes.
func (s selfAccessReviews) Create(ctx context.Context, _ string, obj runtime.Object, _ bool) (runtime.Object, error) {
	r := obj.(*authorizationv1.SelfSubjectAccessReview)
	if errs := validateAttributes(r.Spec.ResourceAttributes, r.Spec.NonResourceAttributes); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("SelfSubjectAccessReview").GroupKind(), "", errs)
	}
	u, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	r.Status = decide(ctx, s.a, u, r.Spec.ResourceAttributes, r.Spec.NonResourceAttributes)
	return r, nil
}

type accessReviews struct{ a authz.Authorizer }

func (accessReviews) New() runtime.Object { return &authorizationv1.SubjectAccessReview{} }

// Create asks whether the user the spec names may do what it describes.
func (s accessReviews) Create(ctx context.Context, _ string, obj runtime.Object, _ bool) (runtime.Object, error) {
	r := obj.(*authorizationv1.SubjectAccessReview)
	if errs := validateSubjectSpec(&r.Spec, ""); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("SubjectAccessReview").GroupKind(), "", errs)
	}
	r.Status = decide(ctx, s.a, subject(&r.Spec), r.Spec.ResourceAttributes, r.Spec.NonResourceAttributes)
	return r, nil
}

type localAccessReviews struct{ a authz.Authorizer }

func (localAccessReviews) New() runtime.Object { return &authorizationv1.LocalSubjectAccessReview{} }

// Create is a SubjectAccessReview within the URL's namespace.
func (s localAccessReviews) Create(ctx context.Context, ns string, obj runtime.Object, _ bool) (runtime.Object, error) {
	r := obj.(*authorizationv1.LocalSubjectAccessReview)
	if r.Namespace == "" {
		r.Namespace = ns
	}
	errs := validateSubjectSpec(&r.Spec, ns)
	if r.Namespace != ns {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "namespace"), r.Namespace, "does not match the namespace of the request"))
	}
	if len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("LocalSubjectAccessReview").GroupKind(), "", errs)
	}
	r.Status = decide(ctx, s.a, subject(&r.Spec), r.Spec.ResourceAttributes, r.Spec.NonResourceAttributes)
	return r, nil
}

func subject(spec *authorizationv1.SubjectAccessReviewSpec) *user.Info {
	u := &user.Info{Name: spec.User, UID: spec.UID, Groups: spec.Groups}
	if len(spec.Extra) > 0 {
		u.Extra = map[string][]string{}
		for k, v := range spec.Extra {
			u.Extra[k] = v
		}
	}
	return u
}

// validateAttributes checks that exactly one kind of attributes is given,
// with kube's messages.
func validateAttributes(res *authorizationv1.ResourceAttributes, nonRes *authorizationv1.NonResourceAttributes) field.ErrorList {
	spec := field.NewPath("spec")
	switch {
	case res == nil && nonRes == nil:
		return field.ErrorList{field.Required(spec.Child("resourceAttributes"), "exactly one of nonResourceAttributes or resourceAttributes must be specified")}
	case res != nil && nonRes != nil:
		return field.ErrorList{field.Invalid(spec.Child("nonResourceAttributes"), nonRes, "cannot be specified in combination with resourceAttributes")}
	}
	return nil
}

// validateSubjectSpec checks a SubjectAccessReview's spec; ns is the
// namespace of a local review, whose attributes must be in it.
func validateSubjectSpec(spec *authorizationv1.SubjectAccessReviewSpec, ns string) field.ErrorList {
	errs := validateAttributes(spec.ResourceAttributes, spec.NonResourceAttributes)
	if spec.User == "" && len(spec.Groups) == 0 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "user"), spec.User, "at least one of user or group must be specified"))
	}
	if ns != "" {
		if spec.NonResourceAttributes != nil {
			errs = append(errs, field.Invalid(field.NewPath("spec", "nonResourceAttributes"), spec.NonResourceAttributes, "disallowed on this kind of request"))
		}
		if spec.ResourceAttributes != nil && spec.ResourceAttributes.Namespace != ns {
			errs = append(errs, field.Invalid(field.NewPath("spec", "resourceAttributes", "namespace"), spec.ResourceAttributes.Namespace, "must match metadata.namespace"))
		}
	}
	return errs
}

// decide asks a about u doing what the attributes describe.
func decide(ctx context.Context, a authz.Authorizer, u *user.Info, res *authorizationv1.ResourceAttributes, nonRes *authorizationv1.NonResourceAttributes) authorizationv1.SubjectAccessReviewStatus {
	attrs := authz.Attributes{User: u}
	if res != nil {
		attrs.IsResourceRequest = true
		attrs.Verb, attrs.APIGroup, attrs.APIVersion = res.Verb, res.Group, res.Version
		attrs.Namespace, attrs.Resource, attrs.Subresource, attrs.Name = res.Namespace, res.Resource, res.Subresource, res.Name
	} else {
		attrs.Verb, attrs.Path = nonRes.Verb, nonRes.Path
	}
	d, reason, err := a.Authorize(ctx, attrs)
	status := authorizationv1.SubjectAccessReviewStatus{Allowed: d == authz.DecisionAllow, Denied: d == authz.DecisionDeny, Reason: reason}
	if err != nil {
		status.EvaluationError = fmt.Sprint(err)
	}
	return status
}
