package main

// The process helpers are copied, trimmed, from hack/bench/server
// (process.go), which is package main and cannot be imported.

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// readyTimeout bounds the wait for /readyz.
	readyTimeout = 30 * time.Second
	// pollInterval between /readyz probes.
	pollInterval = 20 * time.Millisecond
	// stopTimeout is how long a process gets after SIGTERM before SIGKILL;
	// a profiled apiserver writes its profile in that time.
	stopTimeout = 15 * time.Second
)

// process is a server started by the benchmark.
type process struct {
	name    string
	cmd     *exec.Cmd
	addr    string // host:port it serves HTTPS on
	cancel  context.CancelFunc
	exited  chan struct{}
	waitErr error
}

// command says how to start a server.
type command struct {
	name    string   // for messages
	addr    string   // host:port it will serve HTTPS on
	logFile string   // gets its stdout and stderr
	bin     string   // executable
	args    []string // arguments
	env     []string // added to the benchmark's environment
}

// startProcess execs c. The process gets SIGTERM when ctx ends or stop is
// called, and SIGKILL if the benchmark dies first.
func startProcess(ctx context.Context, c command) (*process, error) {
	log, err := os.Create(c.logFile)
	if err != nil {
		return nil, err
	}
	defer log.Close() // the child has its own copy
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, c.bin, c.args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopTimeout
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(childEnv(), c.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &process{name: c.name, cmd: cmd, addr: c.addr, cancel: cancel, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("starting %s: %w", c.name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// childEnv is the benchmark's environment without GOMAXPROCS, so the
// server runs with the runtime's default.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMAXPROCS=") {
			env = append(env, kv)
		}
	}
	return env
}

// stop sends SIGTERM and waits for the process to exit, killing it after
// stopTimeout.
func (p *process) stop() {
	p.cancel()
	<-p.exited
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before the server binds it; the server would then fail to start,
// which the benchmark reports.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// probeClient polls /readyz. It skips certificate verification: the CA
// does not exist until the server has made it, and /readyz carries nothing.
var probeClient = &http.Client{
	Timeout: 2 * time.Second,
	Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
	},
}

// waitReady polls https://addr/readyz until it answers 200. It fails if
// the process exits or readyTimeout passes.
func (p *process) waitReady(ctx context.Context) error {
	url := "https://" + p.addr + "/readyz"
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	defer probeClient.CloseIdleConnections()
	for {
		if probeOK(ctx, url) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.exited:
			return fmt.Errorf("%s exited before /readyz answered 200: %v", p.name, p.waitErr)
		case <-deadline.C:
			return fmt.Errorf("%s: /readyz did not answer 200 within %s", p.name, readyTimeout)
		case <-time.After(pollInterval):
		}
	}
}

func probeOK(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// userHZ is the unit of the CPU times in /proc/PID/stat: USER_HZ, which
// Linux fixes at 100 for every architecture's user-space ABI.
const userHZ = 100

// cpuTime is the CPU time, user and system, that the process pid ("self"
// for this one) has used so far, from /proc/PID/stat.
func cpuTime(pid string) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of process %s: %w", pid, err)
	}
	// The command name, field 2, is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, the 12th and 13th after it.
	_, rest, ok := strings.Cut(string(data), ") ")
	fields := strings.Fields(rest)
	if !ok || len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%s/stat: %q", pid, data)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing /proc/%s/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}
