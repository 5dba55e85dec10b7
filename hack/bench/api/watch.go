package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// watchPrefix names the objects created in the watch phase: w-00000 and on.
const watchPrefix = "w-"

// watchName is the name of the i-th object created in the watch phase.
func watchName(i int) string { return fmt.Sprintf("%s%05d", watchPrefix, i) }

// watchIndex is the inverse of watchName.
func watchIndex(name string) (int, error) {
	s, ok := strings.CutPrefix(name, watchPrefix)
	if !ok {
		return 0, fmt.Errorf("unexpected object %q in the watch", name)
	}
	return strconv.Atoi(s)
}

// receipts records when each watcher read each event. Event 0 is the
// warm-up: once every watcher has read it, every watch is known to be
// established and caught up with etcd. Watcher w writes only row w, so the
// rows need no lock; the counters say how many reads are still awaited.
type receipts struct {
	at       [][]time.Time // [watcher][event index]
	warmLeft atomic.Int64
	warm     chan struct{} // closed when every watcher has read event 0
	left     atomic.Int64
	all      chan struct{} // closed when every watcher has read every other event
}

func newReceipts(watchers, events int) *receipts {
	r := &receipts{at: make([][]time.Time, watchers), warm: make(chan struct{}), all: make(chan struct{})}
	for w := range r.at {
		r.at[w] = make([]time.Time, events+1)
	}
	r.warmLeft.Store(int64(watchers))
	r.left.Store(int64(watchers * events))
	return r
}

// record notes that watcher w read the event of object name at t.
func (r *receipts) record(w int, name string, t time.Time) error {
	i, err := watchIndex(name)
	if err != nil {
		return err
	}
	if i < 0 || i >= len(r.at[w]) {
		return fmt.Errorf("watcher %d read an event for %q, which the benchmark did not create", w, name)
	}
	if !r.at[w][i].IsZero() {
		return fmt.Errorf("watcher %d read %q twice", w, name)
	}
	r.at[w][i] = t
	counter, done := &r.left, r.all
	if i == 0 {
		counter, done = &r.warmLeft, r.warm
	}
	if counter.Add(-1) == 0 {
		close(done)
	}
	return nil
}

// watchResult is the delivery latency of every (watcher, event).
type watchResult struct {
	// fromAnswer is from the create's answer (the client has its response)
	// to the watcher reading the event; an event read before the answer
	// counts as 0 and in early. This is kube-apiserver's figure.
	fromAnswer []time.Duration
	// fromStart is from the create's request start.
	fromStart []time.Duration
	early     int
	create    []time.Duration // latency of the creates themselves
	cpu       time.Duration   // of the serving process, over the phase
	events    int             // watchers × creates
}

// createFunc creates the i-th object of the watch phase.
type createFunc func(ctx context.Context, i int) error

// deliveryTimeout bounds the wait for the last events after the last create.
const deliveryTimeout = 30 * time.Second

// measureWatch creates the warm-up object (index 0) and waits until every
// watcher has read it, then creates n objects (1 to n), starting one every
// 1/rate seconds (each on its own goroutine, so a slow create does not
// delay the next), and waits until every watcher has read every event. The
// watchers must be running and recording into r.
//
// The warm-up matters: etcd serves a watch that starts behind its current
// revision from a loop that catches up every 100 ms, so events created
// before the watch is registered would measure that loop, not delivery.
func measureWatch(ctx context.Context, r *receipts, n int, rate float64, create createFunc) (watchResult, error) {
	if err := create(ctx, 0); err != nil {
		return watchResult{}, fmt.Errorf("creating %s: %w", watchName(0), err)
	}
	if err := await(ctx, r.warm, &r.warmLeft, "warm-up"); err != nil {
		return watchResult{}, err
	}
	start, end := make([]time.Time, n+1), make([]time.Time, n+1)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for i := 1; i <= n; i++ {
		if i > 1 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return watchResult{}, context.Cause(ctx)
			case <-tick.C:
			}
		}
		wg.Go(func() {
			start[i] = time.Now()
			err := create(ctx, i)
			end[i] = time.Now()
			if err != nil {
				errs <- fmt.Errorf("creating %s: %w", watchName(i), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return watchResult{}, err
	}
	if err := await(ctx, r.all, &r.left, "measured"); err != nil {
		return watchResult{}, err
	}
	res := watchResult{events: len(r.at) * n}
	for i := 1; i <= n; i++ {
		res.create = append(res.create, end[i].Sub(start[i]))
	}
	for _, row := range r.at {
		for i := 1; i <= n; i++ {
			d := row[i].Sub(end[i])
			if d < 0 {
				d = 0
				res.early++
			}
			res.fromAnswer = append(res.fromAnswer, d)
			res.fromStart = append(res.fromStart, row[i].Sub(start[i]))
		}
	}
	return res, nil
}

// await waits for done, at most deliveryTimeout.
func await(ctx context.Context, done <-chan struct{}, left *atomic.Int64, what string) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(deliveryTimeout):
		return fmt.Errorf("%d %s events not delivered after %s", left.Load(), what, deliveryTimeout)
	}
}
