package cacher

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRevisionBatch: concurrent readers share the revision reads, and each
// gets a revision read after it arrived, never one already in flight.
func TestRevisionBatch(t *testing.T) {
	var rev, reads atomic.Int64
	read := func(context.Context) (int64, error) {
		reads.Add(1)
		r := rev.Load() // the revision as the read starts
		time.Sleep(2 * time.Millisecond)
		return r, nil
	}
	b := &revisionBatch{base: t.Context()}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 20 {
				written := rev.Add(1) // a write acknowledged before the read
				got, err := b.current(t.Context(), read)
				if err != nil || got < written {
					t.Errorf("current = %d, %v after a write at %d", got, err, written)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d reads for 1000 readers", reads.Load())
	if reads.Load() >= 1000/2 {
		t.Errorf("%d reads for 1000 readers: not shared", reads.Load())
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.current(ctx, read); err == nil {
		t.Error("a reader whose context ended got no error")
	}
}
