package request

import (
	"context"
	"slices"
	"sync"
	"testing"
)

func TestWarnings(t *testing.T) {
	w := &Warnings{}
	ctx := WithWarnings(context.Background(), w)
	var wg sync.WaitGroup
	for _, msg := range []string{"a", "b", "a", ""} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			AddWarning(ctx, msg)
		}()
	}
	wg.Wait()
	got := w.Take()
	slices.Sort(got)
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("warnings %q", got)
	}
	if got := w.Take(); got != nil {
		t.Errorf("taken twice: %q", got)
	}
	// Without a recorder nothing happens.
	AddWarning(context.Background(), "lost")
	if WarningsFrom(context.Background()).Take() != nil {
		t.Error("a nil recorder returned warnings")
	}
}
