package etcd3

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/apiserver/apiserver/pkg/storage"
)

// unavailableErrors are etcd's answers that mean "not now": no leader, a
// proposal that timed out, an overloaded or stopping member. A retry may
// succeed.
var unavailableErrors = []error{
	rpctypes.ErrNoLeader,
	rpctypes.ErrNotLeader,
	rpctypes.ErrLeaderChanged,
	rpctypes.ErrNotCapable,
	rpctypes.ErrStopped,
	rpctypes.ErrTimeout,
	rpctypes.ErrTimeoutDueToLeaderFail,
	rpctypes.ErrTimeoutDueToConnectionLost,
	rpctypes.ErrTimeoutWaitAppliedIndex,
	rpctypes.ErrUnhealthy,
	rpctypes.ErrTooManyRequests,
}

// interpretError turns an error of an etcd call about key (at revision rv,
// if the call asked for one) into a *storage.Error. A caller's cancellation
// stays the context's error.
func interpretError(err error, key string, rv int64) error {
	if err == nil {
		return nil
	}
	var se *storage.Error
	if errors.As(err, &se) {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("etcd request for %s: %w", key, err)
	case errors.Is(err, context.DeadlineExceeded):
		return storage.Errorf(storage.ErrCodeUnavailable, key, 0, "etcd did not answer before the deadline: %w", err)
	case errors.Is(err, rpctypes.ErrCompacted):
		return storage.Errorf(storage.ErrCodeResourceExpired, key, rv, "too old resource version: %w", err)
	case errors.Is(err, rpctypes.ErrFutureRev):
		return storage.Errorf(storage.ErrCodeTooLargeResourceVersion, key, rv, "too large resource version: %w", err)
	case errors.Is(err, rpctypes.ErrNoSpace):
		return storage.Errorf(storage.ErrCodeInternal, key, 0,
			"etcd is out of space and refuses writes until compacted, defragmented and its NOSPACE alarm disarmed: %w", err)
	case errors.Is(err, rpctypes.ErrRequestTooLarge):
		return storage.Errorf(storage.ErrCodeTooLarge, key, 0, "etcd rejected the request: %w", err)
	}
	for _, u := range unavailableErrors {
		if errors.Is(err, u) {
			return storage.Errorf(storage.ErrCodeUnavailable, key, 0, "etcd is unavailable: %w", err)
		}
	}
	code, msg := grpcCode(err)
	switch code {
	case codes.Unavailable, codes.DeadlineExceeded:
		return storage.Errorf(storage.ErrCodeUnavailable, key, 0, "etcd is unavailable: %w", err)
	case codes.ResourceExhausted:
		if strings.Contains(msg, "larger than max") {
			return storage.Errorf(storage.ErrCodeTooLarge, key, 0, "etcd rejected the request: %w", err)
		}
		return storage.Errorf(storage.ErrCodeUnavailable, key, 0, "etcd is overloaded: %w", err)
	}
	return storage.Errorf(storage.ErrCodeInternal, key, rv, "etcd request failed: %w", err)
}

// grpcCode returns the gRPC code and message of an etcd or gRPC error.
func grpcCode(err error) (codes.Code, string) {
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		return ee.Code(), ee.Error()
	}
	s, _ := status.FromError(err)
	return s.Code(), s.Message()
}
