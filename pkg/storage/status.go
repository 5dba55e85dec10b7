package storage

import (
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// unavailableRetrySeconds is the Retry-After of an unavailable etcd: about
// one election timeout, after which a new leader usually serves.
const unavailableRetrySeconds = 1

// ToStatusError returns the Kubernetes API error for a storage error about
// the object name of resource qualifiedResource: the one place storage
// errors become HTTP statuses. Errors that are not *Error become 500s.
func ToStatusError(err error, qualifiedResource schema.GroupResource, name string) *apierrors.StatusError {
	var se *apierrors.StatusError
	if errors.As(err, &se) {
		return se
	}
	var e *Error
	if !errors.As(err, &e) {
		return apierrors.NewInternalError(err)
	}
	msg := e.Error()
	switch e.Code {
	case ErrCodeNotFound:
		return apierrors.NewNotFound(qualifiedResource, name)
	case ErrCodeAlreadyExists:
		return apierrors.NewAlreadyExists(qualifiedResource, name)
	case ErrCodeConflict:
		return apierrors.NewConflict(qualifiedResource, name, e.Err)
	case ErrCodeResourceExpired:
		return apierrors.NewResourceExpired(msg)
	case ErrCodeTooLargeResourceVersion:
		s := apierrors.NewTimeoutError(msg, 1)
		s.ErrStatus.Details.Causes = []metav1.StatusCause{{
			Type:    metav1.CauseTypeResourceVersionTooLarge,
			Message: "Too large resource version",
		}}
		return s
	case ErrCodeInvalidRequest:
		return apierrors.NewBadRequest(msg)
	case ErrCodeTooLarge:
		return apierrors.NewRequestEntityTooLargeError(msg)
	case ErrCodeUnavailable:
		s := apierrors.NewServiceUnavailable(msg)
		s.ErrStatus.Details = &metav1.StatusDetails{RetryAfterSeconds: unavailableRetrySeconds}
		return s
	case ErrCodeWatchTooSlow:
		return &apierrors.StatusError{ErrStatus: metav1.Status{
			Status:  metav1.StatusFailure,
			Code:    http.StatusTooManyRequests,
			Reason:  metav1.StatusReasonTooManyRequests,
			Message: msg,
			Details: &metav1.StatusDetails{RetryAfterSeconds: 1},
		}}
	default:
		return apierrors.NewInternalError(fmt.Errorf("%s", msg))
	}
}
