package storage

import (
	"errors"
	"fmt"
)

// ErrorCode says what went wrong in a storage call. The HTTP layer turns each
// code into one Kubernetes Status (see ToStatusError).
type ErrorCode int

const (
	// ErrCodeNotFound: the key does not exist.
	ErrCodeNotFound ErrorCode = iota + 1
	// ErrCodeAlreadyExists: Create found the key already present.
	ErrCodeAlreadyExists
	// ErrCodeConflict: a precondition (UID or resourceVersion) did not hold.
	ErrCodeConflict
	// ErrCodeResourceExpired: the requested revision, continue token or watch
	// start has been compacted away (HTTP 410 Gone, reason Expired).
	ErrCodeResourceExpired
	// ErrCodeTooLargeResourceVersion: the caller asked for a revision the
	// backend has not reached yet.
	ErrCodeTooLargeResourceVersion
	// ErrCodeInvalidObject: an object could not be encoded or decoded, or
	// carries fields storage does not accept (such as a resourceVersion on
	// create).
	ErrCodeInvalidObject
	// ErrCodeInvalidRequest: the call itself is malformed: a key segment that
	// could escape its key range, inconsistent list options, a bad continue
	// token.
	ErrCodeInvalidRequest
	// ErrCodeTooLarge: the encoded object is larger than etcd accepts.
	ErrCodeTooLarge
	// ErrCodeUnavailable: etcd did not answer in time, has no leader or
	// cannot be reached. The call may be retried.
	ErrCodeUnavailable
	// ErrCodeWatchTooSlow: a watch consumer fell too far behind and its watch
	// was closed; it should watch again from the last resourceVersion it saw.
	ErrCodeWatchTooSlow
	// ErrCodeInternal: any other failure of the backend.
	ErrCodeInternal
)

var codeNames = map[ErrorCode]string{
	ErrCodeNotFound:                "not found",
	ErrCodeAlreadyExists:           "already exists",
	ErrCodeConflict:                "conflict",
	ErrCodeResourceExpired:         "resource expired",
	ErrCodeTooLargeResourceVersion: "resource version too large",
	ErrCodeInvalidObject:           "invalid object",
	ErrCodeInvalidRequest:          "invalid request",
	ErrCodeTooLarge:                "request too large",
	ErrCodeUnavailable:             "storage unavailable",
	ErrCodeWatchTooSlow:            "watch consumer too slow",
	ErrCodeInternal:                "internal storage error",
}

// String names the code in lower case, as it appears in error messages.
func (c ErrorCode) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("storage error code %d", int(c))
}

// Error is the error every storage call returns. Key is the etcd key the
// call was about (or the list prefix); ResourceVersion is the revision
// involved, when one is (the current revision for a conflict, the requested
// one for an expired or too-large revision); Err is the cause.
//
// Compare with errors.Is against the sentinels (ErrNotFound, ...) or use the
// IsX helpers; use errors.As to read Key and ResourceVersion.
type Error struct {
	Code            ErrorCode
	Key             string
	ResourceVersion int64
	Err             error
}

// NewError returns an *Error; err may be nil.
func NewError(code ErrorCode, key string, rv int64, err error) *Error {
	return &Error{Code: code, Key: key, ResourceVersion: rv, Err: err}
}

// Errorf returns an *Error whose cause is fmt.Errorf(format, args...), so a
// %w verb keeps the underlying error reachable.
func Errorf(code ErrorCode, key string, rv int64, format string, args ...any) *Error {
	return &Error{Code: code, Key: key, ResourceVersion: rv, Err: fmt.Errorf(format, args...)}
}

// Error reads "<code>: key <key>[ at resourceVersion <rv>]: <cause>".
func (e *Error) Error() string {
	msg := e.Code.String()
	if e.Key != "" {
		msg += ": key " + e.Key
	}
	if e.ResourceVersion != 0 {
		msg += fmt.Sprintf(" at resourceVersion %d", e.ResourceVersion)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's code, so that
// errors.Is(err, storage.ErrNotFound) works for every not-found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Key == "" && t.Err == nil && t.ResourceVersion == 0
}

// Sentinels for errors.Is; each matches every *Error of its code.
var (
	ErrNotFound                = &Error{Code: ErrCodeNotFound}
	ErrAlreadyExists           = &Error{Code: ErrCodeAlreadyExists}
	ErrConflict                = &Error{Code: ErrCodeConflict}
	ErrResourceExpired         = &Error{Code: ErrCodeResourceExpired}
	ErrTooLargeResourceVersion = &Error{Code: ErrCodeTooLargeResourceVersion}
	ErrInvalidObject           = &Error{Code: ErrCodeInvalidObject}
	ErrInvalidRequest          = &Error{Code: ErrCodeInvalidRequest}
	ErrTooLarge                = &Error{Code: ErrCodeTooLarge}
	ErrUnavailable             = &Error{Code: ErrCodeUnavailable}
	ErrWatchTooSlow            = &Error{Code: ErrCodeWatchTooSlow}
	ErrInternal                = &Error{Code: ErrCodeInternal}
)

// Code returns the code of the first *Error in err's chain, or 0.
func Code(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// IsNotFound reports whether err is a not-found error.
func IsNotFound(err error) bool { return Code(err) == ErrCodeNotFound }

// IsAlreadyExists reports whether err is an already-exists error.
func IsAlreadyExists(err error) bool { return Code(err) == ErrCodeAlreadyExists }

// IsConflict reports whether err is a failed precondition.
func IsConflict(err error) bool { return Code(err) == ErrCodeConflict }

// IsResourceExpired reports whether err is about a compacted revision.
func IsResourceExpired(err error) bool { return Code(err) == ErrCodeResourceExpired }

// IsInvalidObject reports whether err is about an object storage rejects.
func IsInvalidObject(err error) bool { return Code(err) == ErrCodeInvalidObject }

// IsInvalidRequest reports whether err is about a malformed call.
func IsInvalidRequest(err error) bool { return Code(err) == ErrCodeInvalidRequest }

// IsTooLarge reports whether err is about an object too large for etcd.
func IsTooLarge(err error) bool { return Code(err) == ErrCodeTooLarge }

// IsUnavailable reports whether err means etcd could not serve the call in
// time. Such calls may be retried.
func IsUnavailable(err error) bool { return Code(err) == ErrCodeUnavailable }

// IsRetryable reports whether the same call may succeed if made again
// unchanged: etcd was unavailable.
func IsRetryable(err error) bool { return IsUnavailable(err) }
