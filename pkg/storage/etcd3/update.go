package etcd3

import (
	"bytes"
	"context"
	"errors"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/metrics"
	"github.com/apiserver/apiserver/pkg/storage"
)

// current is the state of a key as last read from etcd.
type current struct {
	obj  runtime.Object // decoded, resourceVersion set; empty if !exists
	data []byte         // the object's encoding, as stored before transformation
	// stale: stored otherwise than a write would store it now (an older
	// encryption key): an update that changes nothing still rewrites it.
	stale bool
	rev   int64 // ModRevision; 0 if the key does not exist
}

// GuaranteedUpdate implements storage.Interface. Each attempt is one
// transaction: put if ModRevision is still the one read, else read the key
// again, so a conflict costs no extra round trip. The first attempt starts
// from the state this store last saw of the key when it has one (see
// recentStates), and otherwise from a read.
func (s *Store) GuaranteedUpdate(ctx context.Context, k storage.Key, dest runtime.Object, opts storage.UpdateOptions, tryUpdate storage.UpdateFunc) error {
	defer metrics.ObserveEtcdRequest("update", s.metricType, time.Now())
	key, err := s.keys.ObjectKey(k)
	if err != nil {
		return err
	}
	if err := checkOut(key, dest); err != nil {
		return err // before the write, which must not succeed unreported
	}
	ctx, cancel := withTimeout(ctx, s.requestTimeout)
	defer cancel()
	cur, fresh, err := s.startState(ctx, key)
	if err != nil {
		return err
	}
	for {
		updated, data, err := s.attempt(key, cur, opts, tryUpdate)
		if err == nil && cur.rev != 0 && !cur.stale && bytes.Equal(data, cur.data) {
			if fresh {
				// Nothing changed: no write, and the object keeps its revision.
				return s.decodePlain(key, cur.data, dest, cur.rev)
			}
			// Nothing to write, on a guess: the answer must be the key's
			// current state.
			err = errGuessed
		}
		if err != nil {
			if fresh {
				return err
			}
			// Decided on a guess: decide again on the key's current state.
			if cur, err = s.readState(ctx, key); err != nil {
				return err
			}
			fresh = true
			continue
		}
		stored, err := s.seal(ctx, key, data)
		if err != nil {
			return err
		}
		txn := s.client.KV.Txn(ctx).If(
			clientv3.Compare(clientv3.ModRevision(key), "=", cur.rev),
		).Then(
			clientv3.OpPut(key, string(stored)),
		).Else(
			clientv3.OpGet(key),
		)
		resp, err := s.commitDecoding(txn, key, data, updated, dest)
		if err != nil {
			s.recent.forget(key)
			return err
		}
		if resp.Succeeded {
			s.recent.remember(key, data, resp.Header.Revision)
			return withKey(storage.SetObjectResourceVersion(dest, resp.Header.Revision), key)
		}
		if cur, err = s.currentState(key, resp.Responses[0].GetResponseRange().Kvs); err != nil {
			return err
		}
		fresh = true
	}
}

// errGuessed: an update on a guessed state found nothing to write.
var errGuessed = errors.New("no change from a guessed state")

// attempt checks the preconditions on cur, computes the update and encodes
// it.
func (s *Store) attempt(key string, cur current, opts storage.UpdateOptions, tryUpdate storage.UpdateFunc) (runtime.Object, []byte, error) {
	if cur.rev == 0 && !opts.IgnoreNotFound {
		return nil, nil, storage.NewError(storage.ErrCodeNotFound, key, 0, nil)
	}
	if err := opts.Preconditions.Check(key, cur.obj); err != nil {
		return nil, nil, err
	}
	updated, err := tryUpdate(cur.obj)
	if err != nil {
		return nil, nil, err
	}
	data, err := s.encode(key, updated)
	return updated, data, err
}

// startState is the state an update starts from: the last one this store
// saw of key (fresh false), or else a read (fresh true).
func (s *Store) startState(ctx context.Context, key string) (cur current, fresh bool, err error) {
	if guess, ok := s.recent.guess(key); ok {
		obj := s.newFunc()
		if err := s.decodePlain(key, guess.data, obj, guess.rev); err == nil {
			return current{obj: obj, data: guess.data, rev: guess.rev}, false, nil
		}
	}
	cur, err = s.readState(ctx, key)
	return cur, true, err
}

// readState reads key from etcd.
func (s *Store) readState(ctx context.Context, key string) (current, error) {
	resp, err := s.client.KV.Get(ctx, key)
	if err != nil {
		return current{}, interpretError(err, key, 0)
	}
	return s.currentState(key, resp.Kvs)
}

// currentState decodes what a read of key returned.
func (s *Store) currentState(key string, kvs []*mvccpb.KeyValue) (current, error) {
	obj := s.newFunc()
	if len(kvs) == 0 {
		s.recent.forget(key)
		return current{obj: obj}, nil
	}
	data, stale, err := s.open(key, kvs[0].Value, kvs[0].ModRevision)
	if err != nil {
		return current{}, err
	}
	if err := s.decodePlain(key, data, obj, kvs[0].ModRevision); err != nil {
		return current{}, err
	}
	if !stale {
		s.recent.remember(key, data, kvs[0].ModRevision)
	}
	return current{obj: obj, data: data, stale: stale, rev: kvs[0].ModRevision}, nil
}
