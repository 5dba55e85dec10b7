package etcd3

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/apiserver/apiserver/pkg/embeddedetcd"
	"github.com/apiserver/apiserver/pkg/storage"
)

// startEtcd starts an embedded member; etcdtest cannot be used here, as it
// imports this package.
func startEtcd(t *testing.T) *clientv3.Client {
	t.Helper()
	dir := t.TempDir()
	srv, err := embeddedetcd.Start(context.Background(), embeddedetcd.Config{
		DataDir: filepath.Join(dir, "etcd"), CertDir: filepath.Join(dir, "pki"), UnsafeNoFsync: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ca, pair := srv.ClientTLS()
	c, err := NewClient(storage.Config{Servers: []string{srv.Endpoint()}, CAFile: ca, CertFile: pair.CertFile, KeyFile: pair.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func put(t *testing.T, c *clientv3.Client, n int) int64 {
	t.Helper()
	var rev int64
	for range n {
		resp, err := c.Put(t.Context(), "k", "v")
		if err != nil {
			t.Fatal(err)
		}
		rev = resp.Header.Revision
	}
	return rev
}

// TestCompactOnceCoordinates plays rounds of two replicas: in each round
// exactly one wins the compare-and-swap, and it compacts the revision
// recorded one round before.
func TestCompactOnceCoordinates(t *testing.T) {
	c := startEtcd(t)
	type replica struct{ version, rev int64 }
	a, b := &replica{}, &replica{}
	ctx := t.Context()
	var recorded []int64 // the revision each round's winner recorded
	rounds := []struct {
		name         string
		first        *replica
		wantCompacts bool
	}{
		{"bootstrap records only", a, false},
		{"a compacts the first round's revision", a, true},
		{"b wins the race and compacts", b, true},
		{"a again", a, true},
	}
	for i, r := range rounds {
		t.Run(r.name, func(t *testing.T) {
			put(t, c, 3)
			second := b
			if r.first == b {
				second = a
			}
			rev0 := r.first.rev
			v, rev, compacted, err := compactOnce(ctx, c, r.first.version, r.first.rev)
			if err != nil {
				t.Fatal(err)
			}
			if compacted != r.wantCompacts {
				t.Errorf("first replica compacted = %v; want %v", compacted, r.wantCompacts)
			}
			if compacted && (rev0 < recorded[i-1] || rev0 >= rev) {
				t.Errorf("compacted %d; want a revision of the previous round, in [%d, %d)", rev0, recorded[i-1], rev)
			}
			r.first.version, r.first.rev = v, rev
			recorded = append(recorded, rev)
			v2, rev2, compacted2, err := compactOnce(ctx, c, second.version, second.rev)
			if err != nil {
				t.Fatal(err)
			}
			if compacted2 || v2 != v {
				t.Errorf("second replica compacted = %v at version %d; want no compaction and version %d", compacted2, v2, v)
			}
			second.version, second.rev = v2, rev2
		})
	}
	// History of about one round is kept: the revision recorded two rounds
	// ago is compacted, the last round's is not.
	if _, err := c.Get(ctx, "k", clientv3.WithRev(recorded[len(recorded)-3]-1)); !errors.Is(err, rpctypes.ErrCompacted) {
		t.Errorf("reading before the compacted revision: %v; want compacted", err)
	}
	if _, err := c.Get(ctx, "k", clientv3.WithRev(recorded[len(recorded)-2])); err != nil {
		t.Errorf("reading the last recorded revision: %v", err)
	}
}

// TestRunCompactor runs two compactors on one etcd: history gets
// compacted, and the shared key counts about one round per interval, not
// two.
func TestRunCompactor(t *testing.T) {
	c := startEtcd(t)
	first := put(t, c, 5)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{}, 2)
	const interval = 100 * time.Millisecond
	for range 2 {
		go func() {
			RunCompactor(ctx, c, interval)
			done <- struct{}{}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		put(t, c, 1)
		_, err := c.Get(t.Context(), "k", clientv3.WithRev(first))
		if errors.Is(err, rpctypes.ErrCompacted) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revision %d was not compacted: %v", first, err)
		}
		time.Sleep(interval)
	}
	start := time.Now()
	v0 := compactVersion(t, c)
	time.Sleep(10 * interval)
	rounds := compactVersion(t, c) - v0
	cancel()
	<-done
	<-done
	if max := int64(time.Since(start)/interval) + 2; rounds > max || rounds == 0 {
		t.Errorf("%d compaction rounds in %s; want at most one per %s interval (%d)", rounds, time.Since(start), interval, max)
	}
}

func compactVersion(t *testing.T, c *clientv3.Client) int64 {
	t.Helper()
	resp, err := c.Get(t.Context(), CompactRevKey)
	if err != nil || len(resp.Kvs) == 0 {
		t.Fatalf("reading %s: %v", CompactRevKey, err)
	}
	return resp.Kvs[0].Version
}
