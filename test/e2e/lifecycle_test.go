package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShutdownSequence runs the binary as a service manager would: it tells
// systemd READY=1, and on SIGTERM fails /readyz during the shutdown delay
// while /livez passes, logs each step once in order, and exits 0.
func TestShutdownSequence(t *testing.T) {
	notify := listenNotify(t)
	p := startBinary(t, "", []string{"NOTIFY_SOCKET=" + notify.path}, "--shutdown-delay-duration=2s")
	waitUntil(t, 5*time.Second, "READY=1 sent to NOTIFY_SOCKET", func() bool { return slices.Contains(notify.states(), "READY=1") })

	p.signal(t, syscall.SIGTERM)
	waitUntil(t, 5*time.Second, "readyz failing after SIGTERM", func() bool {
		code, _, err := p.tryGet("/readyz")
		return err == nil && code == 500
	})
	code, body := p.get(t, "/readyz?verbose")
	if code != 500 || !strings.Contains(body, "[-]shutdown failed: reason withheld") {
		t.Errorf("readyz during the delay = %d %q", code, body)
	}
	for _, path := range []string{"/livez", "/healthz"} {
		if code, _ := p.get(t, path); code != 200 {
			t.Errorf("%s during the delay = %d, want 200", path, code)
		}
	}
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0\n%s", code, p.log())
	}
	log := p.log()
	last := -1
	for _, step := range []string{"ShutdownInitiated", "AfterShutdownDelayDuration", "NotAcceptingNewRequest", "InFlightRequestsDrained", "Embedded etcd stopped", "StorageClosed"} {
		if n := strings.Count(log, step); n != 1 {
			t.Errorf("%q logged %d times, want once", step, n)
		}
		i := strings.Index(log, step)
		if i < last {
			t.Errorf("%q logged out of order", step)
		}
		last = i
	}
	if !slices.Contains(notify.states(), "STOPPING=1") {
		t.Errorf("STOPPING=1 not sent; got %v", notify.states())
	}
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	p := startBinary(t, "", nil, "--shutdown-delay-duration=1m")
	p.signal(t, syscall.SIGTERM)
	waitUntil(t, 5*time.Second, "readyz failing after SIGTERM", func() bool {
		code, _, err := p.tryGet("/readyz")
		return err == nil && code == 500
	})
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, 5*time.Second); code != 1 {
		t.Fatalf("exit code after a second signal = %d, want 1", code)
	}
}

// TestRestartKeepsCertificates restarts on the same data dir: the CA and
// serving certificate are reused, so clients keep trusting the server.
func TestRestartKeepsCertificates(t *testing.T) {
	dir := t.TempDir()
	p := startBinary(t, dir, nil)
	ca, err := os.ReadFile(filepath.Join(dir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code = %d", code)
	}
	startBinary(t, dir, nil)
	again, err := os.ReadFile(filepath.Join(dir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(ca) {
		t.Error("restart replaced the CA")
	}
	for _, f := range []string{"pki/ca.key", "pki/apiserver.key", "pki/etcd/etcd-client.key"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %o, want 600", f, fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm() != 0o700 && fi.Mode().Perm()&0o077 != 0 {
		t.Logf("data dir mode %o (created by the test, not the server)", fi.Mode().Perm())
	}
}

func TestCurlHTTP2(t *testing.T) {
	curl := requireTool(t, "curl", "Debian's curl")
	p := startBinary(t, "", nil)
	out, err := exec.Command(curl, "--http2", "-sS", "--cacert", filepath.Join(p.DataDir, "pki", "ca.crt"),
		"-o", "/dev/null", "-w", "%{http_version} %{http_code}", p.URL+"/readyz?verbose").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if got := string(out); got != "2 200" {
		t.Errorf("curl --http2 /readyz = %q, want \"2 200\"", got)
	}
}

// notifySocket plays systemd's side of sd_notify.
type notifySocket struct {
	path string
	conn *net.UnixConn
	msgs chan string
	got  []string
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	n := &notifySocket{path: path, conn: conn, msgs: make(chan string, 16)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			k, err := conn.Read(buf)
			if err != nil {
				return
			}
			n.msgs <- strings.TrimSpace(string(buf[:k]))
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return n
}

func (n *notifySocket) states() []string {
	for {
		select {
		case m := <-n.msgs:
			n.got = append(n.got, m)
		default:
			return n.got
		}
	}
}

// TestHandshakeErrorsStayQuiet: a scanner that connects and sends garbage
// leaves nothing on stderr at the default verbosity, and a line at -v=5.
func TestHandshakeErrorsStayQuiet(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flags  []string
		logged bool
	}{
		{"default verbosity", nil, false},
		{"-v=5", []string{"-v=5"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startBinary(t, "", nil, tc.flags...)
			conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "https://"))
			if err != nil {
				t.Fatal(err)
			}
			conn.Write([]byte("GET / HTTP/1.0\r\n\r\n")) //nolint:errcheck // a scanner does not care either
			conn.Close()
			logged := func() bool { return strings.Contains(p.log(), "TLS handshake") }
			if tc.logged {
				waitUntil(t, 10*time.Second, "the handshake failure logged at -v=5", logged)
				return
			}
			// Give a log line the time it would take (it takes
			// milliseconds at -v=5) before deciding there is none.
			time.Sleep(time.Second)
			if logged() {
				t.Errorf("TLS handshake failure on stderr at the default verbosity:\n%s", p.log())
			}
		})
	}
}
