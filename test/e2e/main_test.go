package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/apiserver/apiserver/cmd/apiserver/app"
)

// binary is the apiserver built once for every test.
var binary string

func TestMain(m *testing.M) {
	// The server's code is linked into this test binary although the tests
	// run the binary built below: go test's cache keys a package's results
	// on its test binary, and without the server in it would answer
	// "(cached)" with the results of another server. A reachable call keeps
	// all of it (an import alone keeps only what init reaches).
	if os.Getenv("APISERVER_E2E_RUN_IN_PROCESS") == "only-to-link-the-server" {
		os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	dir, err := os.MkdirTemp("", "apiserver-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "apiserver")
	build := exec.Command("go", "build", "-o", binary, "github.com/apiserver/apiserver/cmd/apiserver")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building apiserver: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running apiserver binary.
type process struct {
	cmd     *exec.Cmd
	URL     string
	DataDir string
	client  *http.Client
	mu      sync.Mutex
	stderr  bytes.Buffer
	exited  chan struct{}
	exitErr error
}

type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// startBinary runs apiserver on a free loopback port with dataDir (a new
// temporary one if empty) and extra flags, and waits until /readyz passes.
func startBinary(t *testing.T, dataDir string, env []string, flags ...string) *process {
	t.Helper()
	return startBinaryOnPort(t, freePort(t), dataDir, env, flags...)
}

// startBinaryOnPort is startBinary on a given port, to restart a server
// where its clients expect it.
func startBinaryOnPort(t *testing.T, port int, dataDir string, env []string, flags ...string) *process {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	args := append([]string{"--data-dir", dataDir, "--bind-address", "127.0.0.1", "--secure-port", fmt.Sprint(port)}, flags...)
	p := &process{cmd: exec.Command(binary, args...), URL: fmt.Sprintf("https://127.0.0.1:%d", port), DataDir: dataDir, exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stderr = syncWriter{&p.mu, &p.stderr}
	started := time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.exitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("apiserver log:\n%s", p.log())
		}
	})
	for {
		if code, _, err := p.tryGet("/readyz"); err == nil && code == 200 {
			break
		}
		select {
		case <-p.exited:
			t.Fatalf("apiserver exited before it was ready: %v\n%s", p.exitErr, p.log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(started) > 30*time.Second {
			t.Fatalf("apiserver not ready after 30s\n%s", p.log())
		}
	}
	t.Logf("ready %s after exec", time.Since(started).Round(time.Millisecond))
	return p
}

func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// httpClient trusts the CA the server generated in its data dir.
func (p *process) httpClient() (*http.Client, error) {
	if p.client != nil {
		return p.client, nil
	}
	pem, err := os.ReadFile(filepath.Join(p.DataDir, "pki", "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	p.client = &http.Client{Timeout: 10 * time.Second, Transport: &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return p.client, nil
}

// notServerOwned selects what a test created: the server keeps the
// kube-root-ca.crt ConfigMap in every namespace, as kube-controller-manager
// does, and tests that count or order the configmaps they made leave it out.
const notServerOwned = "metadata.name!=kube-root-ca.crt"

func (p *process) tryGet(path string) (int, string, error) {
	c, err := p.httpClient()
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Get(p.URL + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (p *process) get(t *testing.T, path string) (int, string) {
	t.Helper()
	code, body, err := p.tryGet(path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return code, body
}

func (p *process) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("sending %s: %v", sig, err)
	}
}

// wait returns the exit code, failing the test after timeout.
func (p *process) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		t.Fatalf("apiserver still running %s later", timeout)
	}
	if p.exitErr == nil {
		return 0
	}
	if ee, ok := p.exitErr.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("waiting for apiserver: %v", p.exitErr)
	return -1
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// requireTool returns the path of a command-line tool the test needs,
// skipping outside CI when it is missing and failing in CI (CI=true).
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not on PATH; CI must install it (%s)", name, pkg)
		}
		t.Skipf("%s is not on PATH: install %s to run this test", name, pkg)
	}
	return path
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
