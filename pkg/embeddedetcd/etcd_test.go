package embeddedetcd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/apiserver/apiserver/pkg/embeddedetcd"
	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

func client(t *testing.T, s *embeddedetcd.Server) *clientv3.Client {
	t.Helper()
	ca, pair := s.ClientTLS()
	c, err := etcd3.NewClient(storage.Config{Servers: []string{s.Endpoint()}, CAFile: ca, CertFile: pair.CertFile, KeyFile: pair.KeyFile})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// start starts a member in dir.
func start(t *testing.T, dir string) *embeddedetcd.Server {
	t.Helper()
	s, err := embeddedetcd.Start(t.Context(), embeddedetcd.Config{DataDir: filepath.Join(dir, "etcd"), CertDir: filepath.Join(dir, "pki"), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := embeddedetcd.Config{DataDir: filepath.Join(dir, "etcd"), CertDir: filepath.Join(dir, "pki"), UnsafeNoFsync: true}
	first, err := embeddedetcd.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, first)
	if _, err := c.Put(t.Context(), "/registry/kept", "value"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	first.Close()

	second, err := embeddedetcd.Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("restarting on the same data: %v", err)
	}
	defer second.Close()
	c = client(t, second)
	defer c.Close()
	resp, err := c.Get(t.Context(), "/registry/kept")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "value" {
		t.Fatalf("after restart get = %v, %v; want the value written before", resp, err)
	}
}

func TestRefusesClientsWithoutCertificate(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir)
	ca, _ := s.ClientTLS()
	c, err := etcd3.NewClient(storage.Config{Servers: []string{s.Endpoint()}, CAFile: ca, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := c.Get(ctx, "/registry/x"); err == nil {
		t.Fatal("a client without a certificate read from the embedded etcd")
	}
	for _, key := range []string{"etcd-ca.key", "etcd-server.key", "etcd-client.key"} {
		fi, err := os.Stat(filepath.Join(dir, "pki", key))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %o, want 600", key, fi.Mode().Perm())
		}
	}
	if got := s.Endpoint(); got[:len("https://127.0.0.1:")] != "https://127.0.0.1:" {
		t.Errorf("endpoint %s is not loopback https", got)
	}
}

// TestRevisionIsQuorumReadRevision checks that the in-process revision
// includes every write answered before it, as a quorum read's does: what
// consistent reads from the watch cache rely on.
func TestRevisionIsQuorumReadRevision(t *testing.T) {
	s := start(t, t.TempDir())
	c := client(t, s)
	defer c.Close()
	for i := range 20 {
		put, err := c.Put(t.Context(), "/registry/k", fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Revision(); got < put.Header.Revision {
			t.Fatalf("Revision() = %d after a put answered at revision %d", got, put.Header.Revision)
		}
		get, err := c.Get(t.Context(), "/registry/k", clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Revision(); got != get.Header.Revision {
			t.Fatalf("Revision() = %d, a quorum read says %d", got, get.Header.Revision)
		}
	}
}
