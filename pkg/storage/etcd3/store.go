package etcd3

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/metrics"
	"github.com/apiserver/apiserver/pkg/storage"
)

const (
	// DefaultRequestTimeout bounds an etcd call whose context has no
	// deadline: long enough for several leader elections (about 1s each),
	// short enough that a stuck etcd fails requests rather than piling them
	// up.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultMaxRequestBytes is etcd's default --max-request-bytes (1.5 MiB).
	DefaultMaxRequestBytes = 3 << 19
	// DefaultWatchBufferSize is how many decoded events one watcher may hold
	// for a consumer that is momentarily slower than etcd. etcd sends a
	// lagging watcher up to 1,000 revisions in one response, so a smaller
	// buffer would cut off healthy consumers catching up.
	DefaultWatchBufferSize = 1000
	// DefaultWatchOverloadTimeout is how long a watcher's buffer may stay
	// over half full with a response waiting before the consumer is cut off.
	DefaultWatchOverloadTimeout = 5 * time.Second
	// requestOverheadBytes is what a write adds to its key and value in
	// etcd's raft entry: the compare, the request header and the framing.
	requestOverheadBytes = 512
)

// Config says which resource a Store keeps and how.
type Config struct {
	// Client is the etcd client; the Store does not close it.
	Client *clientv3.Client
	// Codec encodes objects for etcd; nil is storage.JSONCodec.
	Codec runtime.Codec
	// Prefix is the storage prefix of every key, such as "/registry".
	Prefix string
	// Resource names the resource; keys are
	// <Prefix>/<group>/<resource>/<namespace>/<name>.
	Resource schema.GroupResource
	// NamespaceScoped is true for namespaced resources.
	NamespaceScoped bool
	// NewFunc returns an empty object of the resource, to decode into.
	NewFunc func() runtime.Object
	// RequestTimeout bounds calls whose context has no deadline; 0 is
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxRequestBytes is the etcd server's --max-request-bytes; larger
	// writes are refused before the call. 0 is DefaultMaxRequestBytes.
	MaxRequestBytes int
	// WatchBufferSize and WatchOverloadTimeout bound a slow watch consumer
	// (see Watch); 0 takes the defaults.
	WatchBufferSize      int
	WatchOverloadTimeout time.Duration
	// Transformer, when set, transforms values on their way to and from
	// etcd (encryption at rest); nil stores the encoding as it is.
	Transformer storage.Transformer
	// Revision, when set, returns etcd's current revision without a
	// request (the embedded member's); nil asks etcd with a quorum read.
	Revision func() int64
}

// Store is the etcd implementation of storage.Interface for one resource.
type Store struct {
	client   *clientv3.Client
	codec    runtime.Codec
	keys     storage.KeySpace
	resource schema.GroupResource
	newFunc  func() runtime.Object

	requestTimeout  time.Duration
	watchBuffer     int
	watchOverload   time.Duration
	bufferPool      sync.Pool
	maxRequestBytes int
	transformer     storage.Transformer
	// recent is the last state seen of recently used keys, where
	// updates start (see recentStates).
	recent *recentStates
	// metricType labels the store's etcd requests in metrics.
	metricType string
	revision   func() int64
}

var _ storage.Interface = (*Store)(nil)

// New returns a Store for cfg.Resource.
func New(cfg Config) (*Store, error) {
	if cfg.Client == nil {
		return nil, errors.New("etcd3 store: no client")
	}
	if cfg.NewFunc == nil {
		return nil, errors.New("etcd3 store: no NewFunc")
	}
	keys, err := storage.NewKeySpace(cfg.Prefix, cfg.Resource, cfg.NamespaceScoped)
	if err != nil {
		return nil, fmt.Errorf("etcd3 store for %s: %w", cfg.Resource, err)
	}
	s := &Store{
		client:          cfg.Client,
		codec:           cfg.Codec,
		keys:            keys,
		resource:        cfg.Resource,
		newFunc:         cfg.NewFunc,
		requestTimeout:  orDefault(cfg.RequestTimeout, DefaultRequestTimeout),
		maxRequestBytes: cfg.MaxRequestBytes,
		watchBuffer:     cfg.WatchBufferSize,
		watchOverload:   orDefault(cfg.WatchOverloadTimeout, DefaultWatchOverloadTimeout),
		transformer:     cfg.Transformer,
		recent:          newRecentStates(),
		metricType:      cfg.Resource.String(),
		revision:        cfg.Revision,
	}
	if s.codec == nil {
		s.codec = storage.JSONCodec
	}
	if s.maxRequestBytes <= 0 {
		s.maxRequestBytes = DefaultMaxRequestBytes
	}
	if s.watchBuffer <= 0 {
		s.watchBuffer = DefaultWatchBufferSize
	}
	s.bufferPool.New = func() any { return new(bytes.Buffer) }
	return s, nil
}

// Keys returns the store's key space.
func (s *Store) Keys() storage.KeySpace { return s.keys }

// Create implements storage.Interface in one transaction: put if the key's
// ModRevision is 0 (it does not exist).
func (s *Store) Create(ctx context.Context, k storage.Key, obj, out runtime.Object) error {
	defer metrics.ObserveEtcdRequest("create", s.metricType, time.Now())
	key, err := s.keys.ObjectKey(k)
	if err != nil {
		return err
	}
	if err := checkOut(key, out); err != nil {
		return err // before the write, which must not succeed unreported
	}
	if rv, err := storage.ObjectResourceVersion(obj); err != nil || rv != 0 {
		if err == nil {
			err = storage.Errorf(storage.ErrCodeInvalidObject, key, 0, "resourceVersion must not be set on objects to be created")
		}
		return withKey(err, key)
	}
	data, err := s.encode(key, obj)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, s.requestTimeout)
	defer cancel()
	stored, err := s.seal(ctx, key, data)
	if err != nil {
		return err
	}
	txn := s.client.KV.Txn(ctx).If(
		clientv3.Compare(clientv3.ModRevision(key), "=", 0),
	).Then(
		clientv3.OpPut(key, string(stored)),
	)
	resp, err := s.commitDecoding(txn, key, data, obj, out)
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return storage.NewError(storage.ErrCodeAlreadyExists, key, 0, nil)
	}
	s.recent.remember(key, data, resp.Header.Revision)
	return withKey(storage.SetObjectResourceVersion(out, resp.Header.Revision), key)
}

// commitDecoding commits txn, which writes data, the encoding of src, and
// decodes data into out (its resourceVersion is left to the caller). When
// out is src itself it already holds what was written: decoding it again
// would only cost time (most for unstructured objects). Decoding on another
// goroutine during the round trip was measured no faster on a 2-CPU
// machine, so it stays sequential.
func (s *Store) commitDecoding(txn clientv3.Txn, key string, data []byte, src, out runtime.Object) (*clientv3.TxnResponse, error) {
	resp, err := txn.Commit()
	if err != nil {
		return nil, interpretError(err, key, 0)
	}
	if resp.Succeeded && out != src {
		if err := s.decodePlain(key, data, out, 0); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// Get implements storage.Interface.
func (s *Store) Get(ctx context.Context, k storage.Key, opts storage.GetOptions, out runtime.Object) error {
	defer metrics.ObserveEtcdRequest("get", s.metricType, time.Now())
	key, err := s.keys.ObjectKey(k)
	if err != nil {
		return err
	}
	minRV, err := storage.ParseResourceVersion(opts.ResourceVersion)
	if err != nil {
		return withKey(err, key)
	}
	var ops []clientv3.OpOption
	if opts.ResourceVersion == "0" {
		ops = append(ops, clientv3.WithSerializable())
	}
	ctx, cancel := withTimeout(ctx, s.requestTimeout)
	defer cancel()
	resp, err := s.client.KV.Get(ctx, key, ops...)
	if err != nil {
		return interpretError(err, key, 0)
	}
	if err := checkMinRevision(key, minRV, resp.Header.Revision); err != nil {
		return err
	}
	if len(resp.Kvs) == 0 {
		if opts.IgnoreNotFound {
			return storage.Zero(out)
		}
		return storage.NewError(storage.ErrCodeNotFound, key, 0, nil)
	}
	kv := resp.Kvs[0]
	data, stale, err := s.open(key, kv.Value, kv.ModRevision)
	if err != nil {
		return err
	}
	if !stale {
		s.recent.remember(key, data, kv.ModRevision)
	}
	return s.decodePlain(key, data, out, kv.ModRevision)
}

// Delete implements storage.Interface. Without preconditions or validation
// it is one etcd delete; otherwise it reads, checks, and deletes if the key
// is unchanged, retrying on a concurrent change.
func (s *Store) Delete(ctx context.Context, k storage.Key, out runtime.Object, opts storage.DeleteOptions) error {
	defer metrics.ObserveEtcdRequest("delete", s.metricType, time.Now())
	key, err := s.keys.ObjectKey(k)
	if err != nil {
		return err
	}
	if err := checkOut(key, out); err != nil {
		return err // before the write, which must not succeed unreported
	}
	ctx, cancel := withTimeout(ctx, s.requestTimeout)
	defer cancel()
	defer s.recent.forget(key)
	if opts.Preconditions == nil && opts.Validate == nil {
		resp, err := s.client.KV.Delete(ctx, key, clientv3.WithPrevKV())
		if err != nil {
			return interpretError(err, key, 0)
		}
		if len(resp.PrevKvs) == 0 {
			return storage.NewError(storage.ErrCodeNotFound, key, 0, nil)
		}
		return s.decode(key, resp.PrevKvs[0].Value, out, resp.Header.Revision)
	}
	getResp, err := s.client.KV.Get(ctx, key)
	if err != nil {
		return interpretError(err, key, 0)
	}
	kvs := getResp.Kvs
	for {
		if len(kvs) == 0 {
			return storage.NewError(storage.ErrCodeNotFound, key, 0, nil)
		}
		cur := s.newFunc()
		if err := s.decode(key, kvs[0].Value, cur, kvs[0].ModRevision); err != nil {
			return err
		}
		if err := opts.Preconditions.Check(key, cur); err != nil {
			return err
		}
		if opts.Validate != nil {
			if err := opts.Validate(ctx, cur); err != nil {
				return err
			}
		}
		resp, err := s.client.KV.Txn(ctx).If(
			clientv3.Compare(clientv3.ModRevision(key), "=", kvs[0].ModRevision),
		).Then(
			clientv3.OpDelete(key),
		).Else(
			clientv3.OpGet(key),
		).Commit()
		if err != nil {
			return interpretError(err, key, 0)
		}
		if resp.Succeeded {
			return s.decode(key, kvs[0].Value, out, resp.Header.Revision)
		}
		kvs = resp.Responses[0].GetResponseRange().Kvs
	}
}

// Count implements storage.Interface.
func (s *Store) Count(ctx context.Context, k storage.Key) (int64, error) {
	defer metrics.ObserveEtcdRequest("count", s.metricType, time.Now())
	key, end, err := s.keyRange(k, k.Name == "")
	if err != nil {
		return 0, err
	}
	ctx, cancel := withTimeout(ctx, s.requestTimeout)
	defer cancel()
	ops := []clientv3.OpOption{clientv3.WithCountOnly()}
	if end != "" {
		ops = append(ops, clientv3.WithRange(end))
	}
	resp, err := s.client.KV.Get(ctx, key, ops...)
	if err != nil {
		return 0, interpretError(err, key, 0)
	}
	return resp.Count, nil
}

// DeleteAll removes every object of the store's resource in one etcd
// request, without reading them: for data a previous owner of the key space
// left behind, which may have finalizers or not even decode. It returns how
// many keys it removed.
func (s *Store) DeleteAll(ctx context.Context) (int64, error) {
	key, end, err := s.keyRange(storage.Key{}, true)
	if err != nil {
		return 0, err
	}
	ctx, cancel := withTimeout(ctx, s.requestTimeout)
	defer cancel()
	resp, err := s.client.KV.Delete(ctx, key, clientv3.WithRange(end))
	if err != nil {
		return 0, interpretError(err, key, 0)
	}
	return resp.Deleted, nil
}

// DeleteAllIf deletes every object of the store, as DeleteAll, in one
// transaction that only runs while the etcd key guard was last modified at
// revision rev: a decision taken on a read of guard holds at the delete.
// ok is false, and nothing is deleted, when guard has changed since.
func (s *Store) DeleteAllIf(ctx context.Context, guard string, rev int64) (deleted int64, ok bool, err error) {
	key, end, err := s.keyRange(storage.Key{}, true)
	if err != nil {
		return 0, false, err
	}
	ctx, cancel := withTimeout(ctx, s.requestTimeout)
	defer cancel()
	resp, err := s.client.KV.Txn(ctx).If(
		clientv3.Compare(clientv3.ModRevision(guard), "=", rev),
	).Then(
		clientv3.OpDelete(key, clientv3.WithRange(end)),
	).Commit()
	if err != nil {
		return 0, false, interpretError(err, key, 0)
	}
	if !resp.Succeeded {
		return 0, false, nil
	}
	return resp.Responses[0].GetResponseDeleteRange().Deleted, true, nil
}

// Key returns the etcd key of one object of the store.
func (s *Store) Key(k storage.Key) (string, error) { return s.keys.ObjectKey(k) }

// keyRange returns the etcd key of k, or with recursive the prefix of its
// collection and the end of that prefix's range.
func (s *Store) keyRange(k storage.Key, recursive bool) (key, end string, err error) {
	if !recursive {
		key, err = s.keys.ObjectKey(k)
		return key, "", err
	}
	key, err = s.keys.CollectionPrefix(k)
	if err != nil {
		return "", "", err
	}
	return key, clientv3.GetPrefixRangeEnd(key), nil
}

// encode clears the fields storage derives, encodes obj and checks that
// the write will fit in an etcd request. The returned bytes are a copy.
func (s *Store) encode(key string, obj runtime.Object) ([]byte, error) {
	if err := storage.PrepareObjectForStorage(obj); err != nil {
		return nil, withKey(err, key)
	}
	data, err := s.marshal(obj)
	if err != nil {
		return nil, storage.Errorf(storage.ErrCodeInvalidObject, key, 0, "encoding %T: %w", obj, err)
	}
	if limit := s.maxRequestBytes - len(key) - requestOverheadBytes; len(data) > limit {
		return nil, storage.Errorf(storage.ErrCodeTooLarge, key, 0,
			"encoded object is %d bytes, more than the %d etcd accepts for this key", len(data), limit)
	}
	return data, nil
}

// marshal encodes obj into a new slice; the default JSON codec skips the
// intermediate buffer.
func (s *Store) marshal(obj runtime.Object) ([]byte, error) {
	if s.codec == storage.JSONCodec {
		// json.Marshal would check and compact what a MarshalJSON method
		// wrote (unstructured objects): a second pass over the bytes.
		if m, ok := obj.(json.Marshaler); ok {
			return m.MarshalJSON()
		}
		return json.Marshal(obj)
	}
	buf := s.bufferPool.Get().(*bytes.Buffer)
	defer s.bufferPool.Put(buf)
	buf.Reset()
	if err := s.codec.Encode(obj, buf); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

// seal transforms the encoding of an object into what etcd holds.
func (s *Store) seal(ctx context.Context, key string, data []byte) ([]byte, error) {
	if s.transformer == nil {
		return data, nil
	}
	stored, err := s.transformer.TransformToStorage(ctx, data, key)
	if err != nil {
		return nil, storage.Errorf(storage.ErrCodeInvalidObject, key, 0, "transforming for storage: %w", err)
	}
	return stored, nil
}

// open returns the encoding of an object that etcd holds as stored, and
// whether a rewrite would store it differently (stale).
func (s *Store) open(key string, stored []byte, rev int64) ([]byte, bool, error) {
	if s.transformer == nil {
		return stored, false, nil
	}
	data, stale, err := s.transformer.TransformFromStorage(context.Background(), stored, key)
	if err != nil {
		return nil, false, storage.Errorf(storage.ErrCodeInvalidObject, key, rev, "transforming from storage: %w", err)
	}
	return data, stale, nil
}

// decode decodes a value etcd holds into out, emptied first, and sets its
// resourceVersion to rev.
func (s *Store) decode(key string, stored []byte, out runtime.Object, rev int64) error {
	data, _, err := s.open(key, stored, rev)
	if err != nil {
		return err
	}
	return s.decodePlain(key, data, out, rev)
}

// decodePlain decodes the encoding of an object, as decode.
func (s *Store) decodePlain(key string, data []byte, out runtime.Object, rev int64) error {
	if err := storage.Zero(out); err != nil {
		return withKey(err, key)
	}
	if _, _, err := s.codec.Decode(data, nil, out); err != nil {
		return storage.Errorf(storage.ErrCodeInvalidObject, key, rev, "decoding %T: %w", out, err)
	}
	if err := storage.SetObjectResourceVersion(out, rev); err != nil {
		return withKey(err, key)
	}
	s.identify(key, out)
	return nil
}

// identify fills an object's empty name and namespace from its key, which
// is what it is stored as: an object written without them (a create on
// update from an empty object) is read back as what it is, and the watch
// cache, which keys objects by them, finds it where a read looks.
func (s *Store) identify(key string, obj runtime.Object) {
	m, err := meta.Accessor(obj)
	if err != nil || (m.GetName() != "" && (m.GetNamespace() != "" || !s.keys.Namespaced())) {
		return
	}
	k, err := s.keys.ParseKey(key)
	if err != nil {
		return
	}
	if m.GetName() == "" {
		m.SetName(k.Name)
	}
	if m.GetNamespace() == "" {
		m.SetNamespace(k.Namespace)
	}
}

// checkOut fails unless out is a non-nil pointer the store can decode into.
func checkOut(key string, out runtime.Object) error {
	if v := reflect.ValueOf(out); v.Kind() != reflect.Pointer || v.IsNil() {
		return storage.Errorf(storage.ErrCodeInvalidObject, key, 0, "output object must be a non-nil pointer, got %T", out)
	}
	return nil
}

// checkMinRevision fails with ErrCodeTooLargeResourceVersion when the
// revision read is older than the caller requires.
func checkMinRevision(key string, minRV, rev int64) error {
	if minRV > rev {
		return storage.Errorf(storage.ErrCodeTooLargeResourceVersion, key, minRV,
			"too large resource version: %d, current: %d", minRV, rev)
	}
	return nil
}

// withKey sets the key of a *storage.Error that has none.
func withKey(err error, key string) error {
	var se *storage.Error
	if errors.As(err, &se) && se.Key == "" {
		c := *se
		c.Key = key
		return &c
	}
	return err
}

// CurrentRevision returns etcd's current revision, with a quorum read of
// nothing but the count of one key, or from Config.Revision.
func (s *Store) CurrentRevision(ctx context.Context) (int64, error) {
	if s.revision != nil {
		return s.revision(), nil
	}
	ctx, cancel := withTimeout(ctx, s.requestTimeout)
	defer cancel()
	resp, err := s.client.KV.Get(ctx, s.keys.Prefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, interpretError(err, s.keys.Prefix(), 0)
	}
	return resp.Header.Revision, nil
}

// RevisionIsLocal reports whether CurrentRevision is read in process,
// without a request.
func (s *Store) RevisionIsLocal() bool { return s.revision != nil }

// RequestProgress asks etcd to report, on every watch opened with
// ProgressNotify, the revision it has sent everything up to. Those
// watches run on the stream of contexts that require a leader, which is
// where the request goes.
func (s *Store) RequestProgress(ctx context.Context) error {
	if err := s.client.Watcher.RequestProgress(clientv3.WithRequireLeader(ctx)); err != nil {
		return interpretError(err, s.keys.Prefix(), 0)
	}
	return nil
}

// ProgressIsExact reports whether every etcd member reports watch progress
// exactly: before etcd 3.4.31 and 3.5.13 a progress notification could
// name a revision whose events were not all sent yet (etcd issue 15220),
// which a cache must not trust.
func (s *Store) ProgressIsExact(ctx context.Context) bool {
	for _, ep := range s.client.Endpoints() {
		sctx, cancel := withTimeout(ctx, s.requestTimeout)
		resp, err := s.client.Maintenance.Status(sctx, ep)
		cancel()
		if err != nil || !exactProgress(resp.Version) {
			return false
		}
	}
	return true
}

// exactProgress reports whether etcd version v has the fix of etcd issue
// 15220.
func exactProgress(v string) bool {
	var major, minor, patch int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		return false
	}
	switch {
	case major != 3:
		return major > 3
	case minor == 4:
		return patch >= 31
	case minor == 5:
		return patch >= 13
	default:
		return minor > 5
	}
}
