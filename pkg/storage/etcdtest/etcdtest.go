// Package etcdtest starts real etcd servers for tests: the embedded member
// in-process, or Debian's etcd binary as a separate process that a test can
// freeze (SIGSTOP), thaw and kill. Tests never use a fake etcd.
package etcdtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/apiserver/apiserver/pkg/embeddedetcd"
	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// StartEmbedded starts an embedded etcd member for the test, stopped at
// cleanup, and returns a storage configuration that reaches it.
func StartEmbedded(t testing.TB) storage.Config {
	t.Helper()
	dir := t.TempDir()
	srv, err := embeddedetcd.Start(context.Background(), embeddedetcd.Config{
		DataDir:       filepath.Join(dir, "etcd"),
		CertDir:       filepath.Join(dir, "pki"),
		UnsafeNoFsync: true,
	})
	if err != nil {
		t.Fatalf("starting embedded etcd: %v", err)
	}
	t.Cleanup(srv.Close)
	ca, client := srv.ClientTLS()
	return storage.Config{
		Type:               storage.TypeETCD3,
		Servers:            []string{srv.Endpoint()},
		Prefix:             "/registry-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		CAFile:             ca,
		CertFile:           client.CertFile,
		KeyFile:            client.KeyFile,
		HealthcheckTimeout: 2 * time.Second,
		ReadycheckTimeout:  2 * time.Second,
	}
}

// External is an etcd server running as its own process.
type External struct {
	Config storage.Config
	cmd    *exec.Cmd
}

// Binary returns the path of the etcd binary, skipping the test when there is
// none, or failing it when CI=true: CI must install etcd (Debian's
// etcd-server package) rather than silently skip.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("etcd")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("etcd is not on PATH; CI must install it (apt-get install etcd-server)")
		}
		t.Skip("etcd is not on PATH: install Debian's etcd-server to run this test")
	}
	return path
}

// StartExternal runs the etcd binary on free loopback ports with its data in
// a temporary directory, and stops it at cleanup.
func StartExternal(t testing.TB) *External {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	clientURL := "http://" + FreeAddr(t)
	peerURL := "http://" + FreeAddr(t)
	cmd := exec.Command(bin,
		"--name", "test",
		"--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", clientURL,
		"--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL,
		"--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "test="+peerURL,
		"--unsafe-no-fsync",
		"--log-level", "error",
	)
	logFile, err := os.Create(filepath.Join(dir, "etcd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	e := &External{cmd: cmd, Config: storage.Config{
		Type:               storage.TypeETCD3,
		Servers:            []string{clientURL},
		Prefix:             "/registry",
		HealthcheckTimeout: 2 * time.Second,
		ReadycheckTimeout:  2 * time.Second,
	}}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT) // a frozen process ignores SIGKILL until thawed on some kernels
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
	if err := e.waitReady(30 * time.Second); err != nil {
		out, _ := os.ReadFile(logFile.Name())
		t.Fatalf("external etcd did not become ready: %v\n%s", err, out)
	}
	return e
}

func (e *External) waitReady(timeout time.Duration) error {
	c, err := etcd3.NewClient(e.Config)
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.Get(ctx, "health", clientv3.WithCountOnly())
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Freeze stops the etcd process (SIGSTOP) without closing its sockets, as a
// hung disk or a paused VM would.
func (e *External) Freeze(t testing.TB) {
	t.Helper()
	if err := e.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("freezing etcd: %v", err)
	}
	// The signal takes effect when the kernel next schedules the process;
	// on a busy machine a request may still be answered meanwhile. Wait
	// until every thread is stopped.
	deadline := time.Now().Add(5 * time.Second)
	for !e.stopped() {
		if time.Now().After(deadline) {
			t.Fatalf("etcd (pid %d) not stopped 5s after SIGSTOP", e.Pid())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stopped reports whether every thread of the process is in state T.
func (e *External) stopped() bool {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", e.Pid()))
	if err != nil {
		return false
	}
	for _, task := range tasks {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", e.Pid(), task.Name()))
		if err != nil {
			return false
		}
		// The state follows the command name, which is in parentheses.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 || i+2 >= len(stat) || (stat[i+2] != 'T' && stat[i+2] != 't') {
			return false
		}
	}
	return true
}

// Thaw resumes a frozen etcd process (SIGCONT).
func (e *External) Thaw(t testing.TB) {
	t.Helper()
	if err := e.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("thawing etcd: %v", err)
	}
}

// Pid is the etcd process id.
func (e *External) Pid() int { return e.cmd.Process.Pid }

// FreeAddr returns a loopback host:port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// NewClient returns a client for cfg, closed at cleanup.
func NewClient(t testing.TB, cfg storage.Config) *clientv3.Client {
	t.Helper()
	c, err := etcd3.NewClient(cfg)
	if err != nil {
		t.Fatalf("creating etcd client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Compact compacts etcd's history up to its current revision and waits
// until the compaction is applied.
func Compact(t testing.TB, c *clientv3.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := c.Get(ctx, "compact", clientv3.WithCountOnly())
	if err != nil {
		t.Fatalf("reading the current revision: %v", err)
	}
	if _, err := c.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatalf("compacting to %d: %v", resp.Header.Revision, err)
	}
}
