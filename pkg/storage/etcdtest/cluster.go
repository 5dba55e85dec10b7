package etcdtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apiserver/apiserver/pkg/storage"
)

// Cluster is a multi-member etcd cluster of etcd processes on loopback,
// each member of which can be killed and restarted on its data.
type Cluster struct {
	Config  storage.Config
	Members []*Member
}

// Member is one etcd process of a Cluster.
type Member struct {
	Name      string
	ClientURL string
	args      []string
	bin       string
	log       *os.File
	cmd       *exec.Cmd
	exited    chan struct{}
}

// StartCluster starts an n-member etcd cluster (Debian's etcd), skipping
// or failing as Binary does when there is no etcd. Members keep fsync on:
// a member killed and restarted must find every entry it acknowledged.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	type urls struct{ client, peer string }
	addrs := make([]urls, n)
	var initial []string
	for i := range n {
		addrs[i] = urls{"http://" + FreeAddr(t), "http://" + FreeAddr(t)}
		initial = append(initial, fmt.Sprintf("m%d=%s", i, addrs[i].peer))
	}
	c := &Cluster{Config: storage.Config{
		Type:               storage.TypeETCD3,
		Prefix:             "/registry",
		HealthcheckTimeout: 2 * time.Second,
		ReadycheckTimeout:  2 * time.Second,
	}}
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		m := &Member{Name: name, ClientURL: addrs[i].client, bin: bin, args: []string{
			"--name", name,
			"--data-dir", filepath.Join(dir, name),
			"--listen-client-urls", addrs[i].client,
			"--advertise-client-urls", addrs[i].client,
			"--listen-peer-urls", addrs[i].peer,
			"--initial-advertise-peer-urls", addrs[i].peer,
			"--initial-cluster", strings.Join(initial, ","),
			"--initial-cluster-state", "new",
			"--heartbeat-interval", "50",
			"--election-timeout", "500",
			"--log-level", "error",
		}}
		log, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		m.log = log
		c.Members = append(c.Members, m)
		c.Config.Servers = append(c.Config.Servers, m.ClientURL)
		m.start(t)
	}
	t.Cleanup(func() {
		for _, m := range c.Members {
			m.stop()
			m.log.Close()
		}
	})
	e := &External{Config: c.Config}
	if err := e.waitReady(30 * time.Second); err != nil {
		t.Fatalf("etcd cluster not ready: %v\n%s", err, c.Logs())
	}
	return c
}

func (m *Member) start(t testing.TB) {
	t.Helper()
	m.cmd = exec.Command(m.bin, m.args...)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("starting etcd member %s: %v", m.Name, err)
	}
	m.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(m.cmd, m.exited)
}

func (m *Member) stop() {
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGCONT)
	_ = m.cmd.Process.Kill()
	<-m.exited
}

// Kill ends the member with SIGKILL, as a crash would.
func (m *Member) Kill(t testing.TB) {
	t.Helper()
	m.stop()
}

// Restart starts a killed member again on its data.
func (m *Member) Restart(t testing.TB) {
	t.Helper()
	m.start(t)
}

// Logs returns every member's log, for a failed test.
func (c *Cluster) Logs() string {
	var b strings.Builder
	for _, m := range c.Members {
		data, _ := os.ReadFile(m.log.Name())
		fmt.Fprintf(&b, "--- etcd %s\n%s", m.Name, data)
	}
	return b.String()
}

// Leader returns the member that is the cluster's leader now.
func (c *Cluster) Leader(t testing.TB) *Member {
	t.Helper()
	client := NewClient(t, c.Config)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range c.Members {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			resp, err := client.Status(ctx, m.ClientURL)
			cancel()
			if err == nil && resp.Leader == resp.Header.MemberId {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no etcd leader within 10s")
	return nil
}
