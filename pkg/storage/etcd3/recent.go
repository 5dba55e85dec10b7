package etcd3

import (
	"k8s.io/utils/lru"
)

// Bounds of the recent-state cache: at most recentEntries keys, each of at
// most recentMaxBytes, so that it holds at most 64 MiB whatever the load.
const (
	recentEntries  = 4096
	recentMaxBytes = 16 << 10
)

// recentStates remembers the last state this store wrote or read of
// recently used keys, so that an update can start from it instead of
// reading the key first: the update is then one etcd round trip instead of
// two. It is only ever a guess. The update's transaction still compares
// the key's ModRevision, and when another writer (another replica, another
// store of the same resource) got there first, the failed compare answers
// the current value in the same round trip, so a stale entry costs nothing
// a read would not have. Whatever an update decides on a guess that it
// would not write (an error, a precondition, no change) it decides again on
// a fresh read.
//
// Values are the encodings as the codec wrote them, before any
// transformation: entries never leave the process, as the objects a
// request holds in memory do not.
type recentStates struct {
	cache *lru.Cache
}

type recentState struct {
	data []byte
	rev  int64
}

func newRecentStates() *recentStates {
	return &recentStates{cache: lru.New(recentEntries)}
}

// remember records that key held data at rev; data must not change after.
func (r *recentStates) remember(key string, data []byte, rev int64) {
	if len(data) > recentMaxBytes {
		r.cache.Remove(key)
		return
	}
	r.cache.Add(key, recentState{data: data, rev: rev})
}

// forget drops key: it was deleted, or its state is unknown.
func (r *recentStates) forget(key string) { r.cache.Remove(key) }

// guess returns the last state recorded for key.
func (r *recentStates) guess(key string) (recentState, bool) {
	v, ok := r.cache.Get(key)
	if !ok {
		return recentState{}, false
	}
	return v.(recentState), true
}
