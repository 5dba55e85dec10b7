package controller

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun: every key is synced; a failing key is retried until it
// succeeds, with its failures reported; Run returns when ctx ends.
func TestRun(t *testing.T) {
	q := NewQueue[string]("test", time.Millisecond, 10*time.Millisecond)
	var mu sync.Mutex
	synced, failures := map[string]int{}, 0
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(done)
		Run(ctx, q, func(_ context.Context, key string) error {
			mu.Lock()
			defer mu.Unlock()
			synced[key]++
			if key == "flaky" && synced[key] < 3 {
				return errors.New("not yet")
			}
			return nil
		}, func(string, error) {
			mu.Lock()
			defer mu.Unlock()
			failures++
		})
	}()
	q.Add("a")
	q.Add("flaky")
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		ok := synced["a"] == 1 && synced["flaky"] == 3
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("synced %v", synced)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if failures != 2 || q.NumRequeues("flaky") != 0 {
		t.Errorf("%d failures reported, %d requeues left; want 2 and 0", failures, q.NumRequeues("flaky"))
	}
}

// TestWaitForSync: true once every informer has synced, within a few
// milliseconds of the last; false when ctx ends first.
func TestWaitForSync(t *testing.T) {
	var done atomic.Bool
	time.AfterFunc(20*time.Millisecond, func() { done.Store(true) })
	began := time.Now()
	if !WaitForSync(context.Background(), func() bool { return true }, done.Load) {
		t.Fatal("WaitForSync = false")
	}
	if took := time.Since(began); took > 80*time.Millisecond {
		t.Errorf("took %s to see a sync at 20ms", took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if WaitForSync(ctx, func() bool { return false }) {
		t.Error("WaitForSync = true for an informer that never syncs")
	}
}
