package request

import (
	"context"
	"sync"
)

// Warnings collects the warnings a request's handling raises (admission
// webhooks and policies, for one) for its response's Warning headers.
// It is safe for concurrent use: validating webhooks run in parallel.
type Warnings struct {
	mu   sync.Mutex
	msgs []string
}

// Add records msg once; repeats and empty messages are dropped.
func (w *Warnings) Add(msg string) {
	if w == nil || msg == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.msgs {
		if m == msg {
			return
		}
	}
	w.msgs = append(w.msgs, msg)
}

// Take returns the recorded warnings and forgets them, so that a response
// writes each once.
func (w *Warnings) Take() []string {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

type warningsKey struct{}

// WithWarnings returns ctx carrying w.
func WithWarnings(ctx context.Context, w *Warnings) context.Context {
	return context.WithValue(ctx, warningsKey{}, w)
}

// WarningsFrom returns the recorder of ctx, or nil (whose methods do
// nothing) when the request has none.
func WarningsFrom(ctx context.Context) *Warnings {
	w, _ := ctx.Value(warningsKey{}).(*Warnings)
	return w
}

// AddWarning records msg in the recorder of ctx, if any.
func AddWarning(ctx context.Context, msg string) { WarningsFrom(ctx).Add(msg) }
