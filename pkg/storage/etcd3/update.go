package etcd3

import (
	"bytes"
	"context"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"

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
// again, so a conflict costs no extra round trip.
func (s *Store) GuaranteedUpdate(ctx context.Context, k storage.Key, dest runtime.Object, opts storage.UpdateOptions, tryUpdate storage.UpdateFunc) error {
	key, err := s.keys.ObjectKey(k)
	if err != nil {
		return err
	}
	if err := checkOut(key, dest); err != nil {
		return err // before the write, which must not succeed unreported
	}
	ctx, cancel := withTimeout(ctx, s.requestTimeout)
	defer cancel()
	getResp, err := s.client.KV.Get(ctx, key)
	if err != nil {
		return interpretError(err, key, 0)
	}
	kvs := getResp.Kvs
	for {
		cur, err := s.currentState(key, kvs)
		if err != nil {
			return err
		}
		if cur.rev == 0 && !opts.IgnoreNotFound {
			return storage.NewError(storage.ErrCodeNotFound, key, 0, nil)
		}
		if err := opts.Preconditions.Check(key, cur.obj); err != nil {
			return err
		}
		updated, err := tryUpdate(cur.obj)
		if err != nil {
			return err
		}
		data, err := s.encode(key, updated)
		if err != nil {
			return err
		}
		if cur.rev != 0 && !cur.stale && bytes.Equal(data, cur.data) {
			// Nothing changed: no write, and the object keeps its revision.
			return s.decodePlain(key, cur.data, dest, cur.rev)
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
			return err
		}
		if resp.Succeeded {
			return withKey(storage.SetObjectResourceVersion(dest, resp.Header.Revision), key)
		}
		kvs = resp.Responses[0].GetResponseRange().Kvs
	}
}

// currentState decodes what a read of key returned.
func (s *Store) currentState(key string, kvs []*mvccpb.KeyValue) (current, error) {
	obj := s.newFunc()
	if len(kvs) == 0 {
		return current{obj: obj}, nil
	}
	data, stale, err := s.open(key, kvs[0].Value, kvs[0].ModRevision)
	if err != nil {
		return current{}, err
	}
	if err := s.decodePlain(key, data, obj, kvs[0].ModRevision); err != nil {
		return current{}, err
	}
	return current{obj: obj, data: data, stale: stale, rev: kvs[0].ModRevision}, nil
}
