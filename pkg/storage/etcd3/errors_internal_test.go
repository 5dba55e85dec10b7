package etcd3

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/apiserver/apiserver/pkg/storage"
)

func TestInterpretError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want storage.ErrorCode // 0: not a storage error
	}{
		{"deadline", context.DeadlineExceeded, storage.ErrCodeUnavailable},
		{"wrapped deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), storage.ErrCodeUnavailable},
		{"grpc deadline", status.Error(codes.DeadlineExceeded, "slow"), storage.ErrCodeUnavailable},
		{"grpc unavailable", status.Error(codes.Unavailable, "connection refused"), storage.ErrCodeUnavailable},
		{"no leader", rpctypes.ErrNoLeader, storage.ErrCodeUnavailable},
		{"timed out", rpctypes.ErrTimeout, storage.ErrCodeUnavailable},
		{"leader failed", rpctypes.ErrTimeoutDueToLeaderFail, storage.ErrCodeUnavailable},
		{"too many requests", rpctypes.ErrTooManyRequests, storage.ErrCodeUnavailable},
		{"compacted", rpctypes.ErrCompacted, storage.ErrCodeResourceExpired},
		{"future revision", rpctypes.ErrFutureRev, storage.ErrCodeTooLargeResourceVersion},
		{"request too large", rpctypes.ErrRequestTooLarge, storage.ErrCodeTooLarge},
		{"message too large", status.Error(codes.ResourceExhausted, "trying to send message larger than max (3 vs. 2)"), storage.ErrCodeTooLarge},
		{"no space", rpctypes.ErrNoSpace, storage.ErrCodeInternal},
		{"other", errors.New("boom"), storage.ErrCodeInternal},
		{"storage error kept", storage.NewError(storage.ErrCodeNotFound, "k", 0, nil), storage.ErrCodeNotFound},
		{"caller cancelled", context.Canceled, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := interpretError(tc.err, "/registry/k", 0)
			if got := storage.Code(err); got != tc.want {
				t.Errorf("code of %v = %v; want %v", err, got, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("%v does not wrap %v", err, tc.err)
			}
			if tc.want == 0 && !errors.Is(err, context.Canceled) {
				t.Errorf("%v is not the caller's cancellation", err)
			}
		})
	}
}

// TestExactProgress: only etcd releases with the fix of etcd issue 15220
// are trusted to report watch progress.
func TestExactProgress(t *testing.T) {
	for v, want := range map[string]bool{
		"3.4.23": false, "3.4.31": true, "3.5.12": false, "3.5.13": true,
		"3.6.0": true, "3.3.27": false, "4.0.0": true, "": false, "garbage": false,
	} {
		if got := exactProgress(v); got != want {
			t.Errorf("exactProgress(%q) = %v, want %v", v, got, want)
		}
	}
}
