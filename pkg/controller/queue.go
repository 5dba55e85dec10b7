// Package controller holds what the in-process controllers (namespace
// cleanup, CRD serving, garbage collection, ClusterRole aggregation,
// namespace defaults) share: a client-go work queue with exponential
// retries, and the loop that drains it.
package controller

import (
	"context"
	"time"

	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Queue is a rate-limited work queue of keys.
type Queue[T comparable] = workqueue.TypedRateLimitingInterface[T]

// NewQueue returns a queue named name (for its metrics) whose failed keys
// come back after base, doubling up to most.
func NewQueue[T comparable](name string, base, most time.Duration) Queue[T] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[T](base, most),
		workqueue.TypedRateLimitingQueueConfig[T]{Name: name})
}

// Run syncs the keys of q one at a time until ctx ends, which shuts q
// down. A key whose sync fails is retried with backoff, after failed
// reports the error (not when the failure is ctx's end); one that succeeds
// is forgotten.
func Run[T comparable](ctx context.Context, q Queue[T], sync func(context.Context, T) error, failed func(T, error)) {
	stop := context.AfterFunc(ctx, q.ShutDown)
	defer stop()
	for ProcessNext(ctx, q, sync, failed) {
	}
}

// ProcessNext syncs the next key of q, as Run does; false once q is shut
// down.
func ProcessNext[T comparable](ctx context.Context, q Queue[T], sync func(context.Context, T) error, failed func(T, error)) bool {
	key, shutdown := q.Get()
	if shutdown {
		return false
	}
	defer q.Done(key)
	if err := sync(ctx, key); err != nil {
		if ctx.Err() == nil {
			failed(key, err)
			q.AddRateLimited(key)
		}
		return true
	}
	q.Forget(key)
	return true
}

// syncPoll is how often WaitForSync looks: client-go's WaitForCacheSync
// looks every 100 ms, which a server's readiness would wait for.
const syncPoll = 5 * time.Millisecond

// WaitForSync returns true once every informer has synced, false if ctx
// ends first.
func WaitForSync(ctx context.Context, synced ...cache.InformerSynced) bool {
	tick := time.NewTicker(syncPoll)
	defer tick.Stop()
	for {
		done := true
		for _, s := range synced {
			if !s() {
				done = false
				break
			}
		}
		if done {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}
