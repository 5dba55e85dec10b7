package server

import (
	"sync"

	"k8s.io/klog/v2"
)

// lifecycleSignal is one step of the shutdown sequence. It fires once, logs
// once, and can be waited for by any number of goroutines.
type lifecycleSignal struct {
	name string
	once sync.Once
	ch   chan struct{}
}

func newSignal(name string) *lifecycleSignal {
	return &lifecycleSignal{name: name, ch: make(chan struct{})}
}

// Signal fires the step; later calls do nothing.
func (s *lifecycleSignal) Signal() {
	s.once.Do(func() {
		klog.InfoS("Shutdown step", "step", s.name)
		close(s.ch)
	})
}

// Signaled is closed once the step has fired.
func (s *lifecycleSignal) Signaled() <-chan struct{} { return s.ch }

// fired reports whether the step has fired, without blocking.
func (s *lifecycleSignal) fired() bool {
	select {
	case <-s.ch:
		return true
	default:
		return false
	}
}

// lifecycleSignals are the shutdown steps in the order they fire.
type lifecycleSignals struct {
	// ShutdownInitiated: a signal arrived; /readyz fails from now on so
	// load balancers stop sending new requests.
	ShutdownInitiated *lifecycleSignal
	// AfterShutdownDelayDuration: --shutdown-delay-duration has passed.
	AfterShutdownDelayDuration *lifecycleSignal
	// NotAcceptingNewRequest: the listener is closed.
	NotAcceptingNewRequest *lifecycleSignal
	// InFlightRequestsDrained: every request has finished, or the request
	// timeout cut the rest off.
	InFlightRequestsDrained *lifecycleSignal
	// StorageClosed: etcd clients are closed and any embedded etcd stopped.
	StorageClosed *lifecycleSignal
}

func newLifecycleSignals() lifecycleSignals {
	return lifecycleSignals{
		ShutdownInitiated:          newSignal("ShutdownInitiated"),
		AfterShutdownDelayDuration: newSignal("AfterShutdownDelayDuration"),
		NotAcceptingNewRequest:     newSignal("NotAcceptingNewRequest"),
		InFlightRequestsDrained:    newSignal("InFlightRequestsDrained"),
		StorageClosed:              newSignal("StorageClosed"),
	}
}
