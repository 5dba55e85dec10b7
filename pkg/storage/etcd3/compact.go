package etcd3

import (
	"context"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/klog/v2"
)

// CompactRevKey is the key through which API server replicas sharing one
// etcd agree on who compacts. It is kube-apiserver's, unprefixed, so that
// kube-apiservers and these servers on one etcd coordinate too: compaction
// is cluster-wide.
const CompactRevKey = "compact_rev_key"

// compactTimeout bounds one compaction round; etcd compacts in the
// background, so the call returns quickly.
const compactTimeout = 30 * time.Second

// RunCompactor compacts etcd every interval until ctx ends, keeping about
// one interval of history.
//
// Each round, every replica tries a compare-and-swap on CompactRevKey's
// Version: the one whose view of the Version is current writes the revision
// it saw and compacts the revision recorded in the round before; the others
// fail the compare, adopt the Version they read and wait for the next
// round. So one replica compacts per interval, whatever the number of
// replicas, and each compaction is an interval old.
func RunCompactor(ctx context.Context, client *clientv3.Client, interval time.Duration) {
	logger := klog.FromContext(ctx).WithValues("interval", interval)
	logger.Info("Starting etcd compactor")
	defer logger.Info("Stopped etcd compactor")
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var version, rev int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		v, r, compacted, err := compactOnce(ctx, client, version, rev)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error(err, "Etcd compaction failed", "revision", rev)
		case compacted:
			logger.V(2).Info("Compacted etcd", "revision", rev)
		}
		version, rev = v, r
	}
}

// compactOnce is one round of RunCompactor. version is the Version of
// CompactRevKey this replica last saw and rev the revision recorded then.
// It returns the new Version and the current revision to compact next
// round, and whether it compacted rev.
func compactOnce(ctx context.Context, client *clientv3.Client, version, rev int64) (int64, int64, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, compactTimeout)
	defer cancel()
	resp, err := client.KV.Txn(ctx).If(
		clientv3.Compare(clientv3.Version(CompactRevKey), "=", version),
	).Then(
		clientv3.OpPut(CompactRevKey, strconv.FormatInt(rev, 10)), // Version becomes version+1
	).Else(
		clientv3.OpGet(CompactRevKey),
	).Commit()
	if err != nil {
		return version, rev, false, err
	}
	current := resp.Header.Revision
	if !resp.Succeeded {
		// Another replica won this round; follow its count.
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if len(kvs) == 0 {
			return 0, current, false, nil
		}
		return kvs[0].Version, current, false, nil
	}
	if rev == 0 {
		return version + 1, current, false, nil // the first round only records a revision
	}
	if _, err := client.Compact(ctx, rev); err != nil {
		return version + 1, current, false, err
	}
	return version + 1, current, true, nil
}
