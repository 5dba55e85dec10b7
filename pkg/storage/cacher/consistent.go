package cacher

import (
	"context"
	"sync"
	"time"
)

// progressInterval is how often a consistent read that waits for the
// cache asks etcd for progress again.
const progressInterval = 20 * time.Millisecond

// lockConsistent waits until the cache reflects etcd's current revision,
// which it learns by asking its etcd watch for progress, as kube-apiserver
// 1.31 does for lists, and returns true with c.mu held. It returns false
// (read etcd) when the store cannot tell progress exactly or the cache
// does not catch up soon.
//
// The current revision comes from one etcd request shared by every read
// that arrived before it was sent (revisionBatch): a burst of consistent
// reads costs a round trip or two, not one each, which is how a consistent
// read from the cache outruns a quorum read.
func (c *Cacher) lockConsistent(ctx context.Context) (bool, error) {
	c.mu.RLock()
	p := c.progress
	c.mu.RUnlock()
	if p == nil {
		return false, nil
	}
	rev, err := c.currentRevision(ctx, p)
	if err != nil {
		return false, err
	}
	c.mu.RLock()
	behind := c.rv < rev
	c.mu.RUnlock()
	if behind {
		// etcd answers a progress request only for a watch that has sent
		// everything so far: ask again until the cache has caught up.
		c.requestProgress()
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		caught := make(chan struct{})
		defer close(caught)
		go func() {
			for {
				select {
				case <-caught:
					return
				case <-ctx.Done():
					return
				case <-t.C:
					c.requestProgress()
				}
			}
		}()
	}
	c.mu.Lock()
	if !c.waitFor(ctx, rev) {
		c.mu.Unlock()
		return false, nil
	}
	return true, nil
}

// localRevision is a store that knows etcd's current revision without a
// request (the embedded member's).
type localRevision interface {
	RevisionIsLocal() bool
}

// currentRevision is etcd's current revision: asked directly when the
// store knows it in process, else through the batch shared by concurrent
// readers, which only pays for a request.
func (c *Cacher) currentRevision(ctx context.Context, p progressReporter) (int64, error) {
	if l, ok := p.(localRevision); ok && l.RevisionIsLocal() {
		return p.CurrentRevision(ctx)
	}
	return c.revisions.current(ctx, p.CurrentRevision)
}

// requestProgress asks the progress loop for a progress notification; the
// requests of many readers at once make one.
func (c *Cacher) requestProgress() {
	select {
	case c.progressWanted <- struct{}{}:
	default:
	}
}

// progressLoop sends the progress requests readers ask for, one at a time.
func (c *Cacher) progressLoop(ctx context.Context, p progressReporter) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.progressWanted:
			_ = p.RequestProgress(ctx) // a reader that needs it asks again
		}
	}
}

// revisionBatch shares etcd's current revision among concurrent readers.
// A reader needs a revision read after it arrived (anything written before
// it arrived is then included): one that arrives while a read is in flight
// waits for the next, which starts when that one ends and serves everyone
// who arrived meanwhile. At most one read is in flight.
type revisionBatch struct {
	// base bounds the reads: the cache's life, not one reader's request,
	// whose end would fail the others.
	base     context.Context
	mu       sync.Mutex
	inFlight bool
	next     *revisionCall // the read that serves readers arriving now
}

type revisionCall struct {
	done chan struct{}
	rev  int64
	err  error
}

func (b *revisionBatch) current(ctx context.Context, read func(context.Context) (int64, error)) (int64, error) {
	b.mu.Lock()
	call := b.next
	if call == nil {
		call = &revisionCall{done: make(chan struct{})}
		b.next = call
	}
	if !b.inFlight {
		b.start(read)
	}
	b.mu.Unlock()
	select {
	case <-call.done:
		return call.rev, call.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// start sends the next read; b.mu is held.
func (b *revisionBatch) start(read func(context.Context) (int64, error)) {
	call := b.next
	b.next, b.inFlight = nil, true
	go func() {
		ctx, cancel := context.WithTimeout(b.base, 10*time.Second)
		call.rev, call.err = read(ctx)
		cancel()
		close(call.done)
		b.mu.Lock()
		b.inFlight = false
		if b.next != nil {
			b.start(read)
		}
		b.mu.Unlock()
	}()
}
