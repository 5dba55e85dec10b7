package server

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/healthz"
)

// PostStartHookFunc runs once the server is listening. ctx ends when the
// server starts shutting down. An error stops the process.
type PostStartHookFunc func(ctx context.Context) error

type postStartHook struct {
	name string
	fn   PostStartHookFunc
	done atomic.Bool
}

// healthCheck is "poststarthook/<name>", failing until the hook returned.
func (h *postStartHook) healthCheck() healthz.HealthChecker {
	return healthz.NamedCheck("poststarthook/"+h.name, func(*http.Request) error {
		if h.done.Load() {
			return nil
		}
		return healthz.ErrNotFinished
	})
}

func (h *postStartHook) run(ctx context.Context) error {
	klog.V(2).InfoS("Running post-start hook", "hook", h.name)
	if err := h.fn(ctx); err != nil {
		return fmt.Errorf("post-start hook %q failed: %w", h.name, err)
	}
	h.done.Store(true)
	klog.V(2).InfoS("Post-start hook finished", "hook", h.name)
	return nil
}

// AddPostStartHook registers hook under name, which must be unique in the
// chain. It must be called before the server runs.
func (s *GenericAPIServer) AddPostStartHook(name string, hook PostStartHookFunc) error {
	if name == "" || hook == nil {
		return fmt.Errorf("post-start hook needs a name and a function")
	}
	for t := DelegationTarget(s); t != nil; t = t.NextDelegate() {
		for _, h := range t.postStartHooks() {
			if h.name == name {
				return fmt.Errorf("post-start hook %q is already registered", name)
			}
		}
	}
	if s.prepared {
		return fmt.Errorf("post-start hook %q added after the server was prepared", name)
	}
	s.hooks[name] = &postStartHook{name: name, fn: hook}
	s.hookOrder = append(s.hookOrder, name)
	return nil
}
