package server

import (
	"net/http"
	"sync/atomic"

	"github.com/apiserver/apiserver/pkg/healthz"
)

// DelegationTarget is a link of the server chain: what the server in front
// of it needs to fall through to it and to run it.
type DelegationTarget interface {
	// UnprotectedHandler serves the link's own paths and falls through to
	// the next link; the handler chain (authentication, timeouts, ...) wraps
	// only the top of the chain, once.
	UnprotectedHandler() http.Handler
	// ListedPaths are the paths served by this link and those behind it.
	ListedPaths() []string
	// HealthChecks are the extra checks this link and those behind it need
	// on every health endpoint.
	HealthChecks() []healthz.HealthChecker
	// NextDelegate is the link behind this one; nil at the end.
	NextDelegate() DelegationTarget

	postStartHooks() []*postStartHook
	prepareRun()
	destroy()
}

// emptyDelegate ends a chain. It serves the index of the chain's paths: with
// 200 at "/", and with 404 for any path no server handles.
type emptyDelegate struct {
	paths atomic.Pointer[func() []string]
}

// NewEmptyDelegate returns the end of a chain.
func NewEmptyDelegate() DelegationTarget { return &emptyDelegate{} }

func (d *emptyDelegate) UnprotectedHandler() http.Handler {
	return indexHandler{paths: func() []string {
		if p := d.paths.Load(); p != nil {
			return (*p)()
		}
		return nil
	}}
}

func (d *emptyDelegate) ListedPaths() []string                 { return nil }
func (d *emptyDelegate) HealthChecks() []healthz.HealthChecker { return nil }
func (d *emptyDelegate) NextDelegate() DelegationTarget        { return nil }
func (d *emptyDelegate) postStartHooks() []*postStartHook      { return nil }
func (d *emptyDelegate) prepareRun()                           {}
func (d *emptyDelegate) destroy()                              {}

// setIndex makes the index list what the whole chain serves; the top of the
// chain calls it when it is prepared.
func (d *emptyDelegate) setIndex(paths func() []string) { d.paths.Store(&paths) }

// chainEnd walks to the last link of the chain.
func chainEnd(t DelegationTarget) DelegationTarget {
	for t.NextDelegate() != nil {
		t = t.NextDelegate()
	}
	return t
}
