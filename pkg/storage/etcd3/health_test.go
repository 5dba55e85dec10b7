package etcd3_test

import (
	"sync"
	"testing"
	"time"

	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// With etcd frozen, no probe that starts more than half the timeout after
// the freeze answers healthy: callers arriving while a probe waits on etcd
// share its outcome instead of taking the previous result (issue 10).
func TestHealthNeverStaleDuringFreeze(t *testing.T) {
	e := etcdtest.StartExternal(t)
	client := etcdtest.NewClient(t, e.Config)
	const timeout = time.Second
	check := etcd3.NewHealthCheck("etcd", client, e.Config.Prefix, timeout)
	if err := check.Check(nil); err != nil {
		t.Fatalf("healthy etcd: %v", err)
	}
	e.Freeze(t)
	frozen := time.Now()
	type answer struct {
		start, end time.Time
		err        error
	}
	var mu sync.Mutex
	var answers []answer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Since(frozen) < 3*timeout {
				start := time.Now()
				err := check.Check(nil)
				mu.Lock()
				answers = append(answers, answer{start, time.Now(), err})
				mu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	e.Thaw(t)
	failures := 0
	for _, a := range answers {
		if a.end.Sub(a.start) > timeout+500*time.Millisecond { // slack for a loaded machine
			t.Errorf("a probe took %s, more than the %s timeout", a.end.Sub(a.start), timeout)
		}
		if a.err == nil && a.start.Sub(frozen) > timeout/2+50*time.Millisecond {
			t.Errorf("a probe started %s after the freeze answered healthy", a.start.Sub(frozen).Round(time.Millisecond))
		}
		if a.err != nil {
			failures++
		}
	}
	if failures == 0 {
		t.Error("no probe reported the frozen etcd")
	}
	waitHealthy := time.Now().Add(10 * time.Second)
	for check.Check(nil) != nil {
		if time.Now().After(waitHealthy) {
			t.Fatal("not healthy again within 10s of the thaw")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
