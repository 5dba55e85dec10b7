package storage

import (
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TypeETCD3 is the only storage backend: etcd's v3 API.
const TypeETCD3 = "etcd3"

// Config says how to reach the storage backend and how to watch over it.
type Config struct {
	// Type is the backend; only TypeETCD3 exists.
	Type string
	// Servers are the etcd client URLs.
	Servers []string
	// Prefix is prepended to every key, so several API servers (or other
	// users) can share one etcd cluster.
	Prefix string
	// CAFile verifies the etcd servers; CertFile and KeyFile authenticate
	// this client to them.
	CAFile, CertFile, KeyFile string
	// DialTimeout bounds connecting to etcd.
	DialTimeout time.Duration
	// KeepAliveTime and KeepAliveTimeout detect a dead connection to etcd
	// between requests.
	KeepAliveTime, KeepAliveTimeout time.Duration
	// HealthcheckTimeout and ReadycheckTimeout bound the "etcd" and
	// "etcd-readiness" checks.
	HealthcheckTimeout, ReadycheckTimeout time.Duration
	// CompactionInterval is how often old revisions are compacted; 0 turns
	// compaction off (another component does it).
	CompactionInterval time.Duration
	// Transformers transform the values of the resources they name on
	// their way to and from etcd (encryption at rest); a resource without
	// one is stored as it encodes.
	Transformers map[schema.GroupResource]Transformer
	// WatchCache serves watches, and reads at resourceVersion "0" or not
	// older than a given one, from memory (pkg/storage/cacher).
	WatchCache bool
	// WatchCacheSize is how many recent events of a resource the watch
	// cache keeps for watches to resume from; 0 is the cache's default.
	WatchCacheSize int
}
