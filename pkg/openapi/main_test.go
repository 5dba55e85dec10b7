package openapi

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
		// Idle keep-alive connections of the test servers' clients.
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}
