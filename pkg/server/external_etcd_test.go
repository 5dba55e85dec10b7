package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// TestReadinessFollowsExternalEtcd freezes a separate etcd process: the
// etcd checks fail within a few seconds, and pass again by themselves once
// it is thawed, with no restart of the server.
func TestReadinessFollowsExternalEtcd(t *testing.T) {
	etcd := etcdtest.StartExternal(t)
	ts := start(t, setup{storage: &etcd.Config})
	ts.waitFor(t, "/readyz", 200, 10*time.Second)

	etcd.Freeze(t)
	frozen := time.Now()
	body := ts.waitFor(t, "/readyz/etcd", 500, 10*time.Second)
	t.Logf("/readyz/etcd failed %s after etcd froze: %q", time.Since(frozen).Round(time.Millisecond), body)
	if !strings.HasPrefix(body, "internal server error: ") {
		t.Errorf("readyz/etcd body = %q, want an internal server error with the reason", body)
	}
	verbose := ts.waitFor(t, "/readyz?verbose", 500, 10*time.Second)
	contains(t, "readyz", verbose, "[-]etcd failed: reason withheld", "readyz check failed")
	if code, _ := ts.get(t, "/livez/ping"); code != 200 {
		t.Errorf("livez/ping = %d while etcd is frozen, want 200", code)
	}

	etcd.Thaw(t)
	thawed := time.Now()
	ts.waitFor(t, "/readyz", 200, 20*time.Second)
	t.Logf("/readyz passed %s after etcd thawed", time.Since(thawed).Round(time.Millisecond))
}
