package authn

import (
	"context"
	"errors"
	"net/http"

	"github.com/apiserver/apiserver/pkg/auth/user"
)

// Request authenticates an HTTP request. ok is false when the request
// carries no credential of this kind; err is set when it carries one that
// is not valid, which must fail the request rather than fall back to
// anonymous.
type Request interface {
	AuthenticateRequest(r *http.Request) (u *user.Info, ok bool, err error)
}

// Union tries each authenticator in order and returns the first user found.
// If none finds one, it returns the errors of those that rejected a
// credential.
type Union []Request

// AuthenticateRequest implements Request.
func (u Union) AuthenticateRequest(r *http.Request) (*user.Info, bool, error) {
	return first(u, func(a Request) (*user.Info, bool, error) { return a.AuthenticateRequest(r) })
}

// first returns the user of the first authenticator that finds one, or
// the errors of those that rejected a credential.
func first[A any](authenticators []A, authenticate func(A) (*user.Info, bool, error)) (*user.Info, bool, error) {
	var errs []error
	for _, a := range authenticators {
		info, ok, err := authenticate(a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			return info, true, nil
		}
	}
	return nil, false, errors.Join(errs...)
}

// Token authenticates a bearer token, for requests (Bearer) and for
// TokenReview. ok is false when the token is not of this kind; err is set
// when it is but does not verify.
type Token interface {
	AuthenticateToken(ctx context.Context, token string) (u *user.Info, ok bool, err error)
}

// TokenUnion tries each token authenticator in order, as Union.
type TokenUnion []Token

// AuthenticateToken implements Token.
func (u TokenUnion) AuthenticateToken(ctx context.Context, token string) (*user.Info, bool, error) {
	return first(u, func(a Token) (*user.Info, bool, error) { return a.AuthenticateToken(ctx, token) })
}

// Bearer authenticates the token of a request's "Authorization: Bearer"
// header. A token that no authenticator knows is an error, as in
// kube-apiserver: the request gets 401, not anonymous access.
type Bearer struct{ Token Token }

// AuthenticateRequest implements Request.
func (b Bearer) AuthenticateRequest(r *http.Request) (*user.Info, bool, error) {
	token, ok := BearerToken(r)
	if !ok {
		return nil, false, nil
	}
	u, ok, err := b.Token.AuthenticateToken(r.Context(), token)
	if !ok && err == nil {
		err = errInvalidBearer
	}
	return u, ok, err
}

var errInvalidBearer = errors.New("invalid bearer token")

type audiencesKey struct{}

// WithAudiences says, for a TokenReview, which audiences a token must be
// meant for instead of the API's.
func WithAudiences(ctx context.Context, audiences []string) context.Context {
	return context.WithValue(ctx, audiencesKey{}, audiences)
}

// AudiencesFrom returns the audiences WithAudiences set.
func AudiencesFrom(ctx context.Context) ([]string, bool) {
	a, ok := ctx.Value(audiencesKey{}).([]string)
	return a, ok
}
