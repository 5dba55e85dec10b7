package authn

import (
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
	var errs []error
	for _, a := range u {
		info, ok, err := a.AuthenticateRequest(r)
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
