package server_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: every
// goroutine the server starts must end with it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The race detector's and klog's own background flushers.
		goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
	)
}
