package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// readyTimeout bounds the wait for /readyz: ten times the target, so a
	// slow run is measured rather than cut off.
	readyTimeout = 30 * time.Second
	// pollInterval is the resolution of the startup figure; polling faster
	// would take CPU from the server it measures.
	pollInterval = 5 * time.Millisecond
	// stopTimeout is how long a process gets after SIGTERM before SIGKILL.
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
	started time.Time // just before exec
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
	p.started = time.Now()
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

// childEnv is the benchmark's environment without GOMAXPROCS, so every
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

// startAPIServer starts bin, an apiserver, with env added to its
// environment, on a free loopback port with its data in dataDir (created by
// the server if missing), and waits until /readyz answers 200. It returns
// the process and the time from exec to ready.
func (b *bench) startAPIServer(ctx context.Context, bin string, env []string, dataDir string) (*process, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logFile := filepath.Join(b.tmp, fmt.Sprintf("apiserver-%s-%d.log", filepath.Base(dataDir), time.Now().UnixNano()))
	p, err := startProcess(ctx, command{
		name: "apiserver", addr: addr, logFile: logFile, bin: bin, env: env,
		args: []string{"--data-dir", dataDir, "--secure-port", strconv.Itoa(port), "--bind-address", "127.0.0.1"},
	})
	if err != nil {
		return nil, 0, err
	}
	took, err := p.waitReady(ctx, "/readyz")
	if err != nil {
		p.stop()
		return nil, 0, fmt.Errorf("%w (log: %s)", err, logFile)
	}
	return p, took, nil
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

// probeClient polls health endpoints. It skips certificate verification:
// the CA does not exist until the server has made it, and the benchmark
// only measures a server it started on loopback.
var probeClient = &http.Client{
	Timeout: 2 * time.Second,
	Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
		ForceAttemptHTTP2: true,
	},
}

// waitReady polls https://addr/path until it answers 200 and returns the
// time since exec. It fails if the process exits or readyTimeout passes.
func (p *process) waitReady(ctx context.Context, path string) (time.Duration, error) {
	url := "https://" + p.addr + path
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	for {
		if probeOK(ctx, url) {
			took := time.Since(p.started)
			// An idle probe connection would count in the RSS and share
			// the server with the load.
			probeClient.CloseIdleConnections()
			return took, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-p.exited:
			return 0, fmt.Errorf("%s exited before %s answered 200: %v", p.name, path, p.waitErr)
		case <-deadline.C:
			return 0, fmt.Errorf("%s: %s did not answer 200 within %s", p.name, path, readyTimeout)
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

// cpuTime is the CPU time, user and system, that p has used so far, from
// /proc/PID/stat.
func (p *process) cpuTime() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of %s: %w", p.name, err)
	}
	// The command name, field 2, is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, the 12th and 13th after it.
	_, rest, ok := strings.Cut(string(data), ") ")
	fields := strings.Fields(rest)
	if !ok || len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/PID/stat of %s: %q", p.name, data)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing /proc/PID/stat of %s: %w", p.name, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// memory is a process's resident set, from /proc/PID/status.
type memory struct {
	rss  int64 // VmRSS, bytes
	peak int64 // VmHWM, bytes
}

func (p *process) memory() (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return memory{}, fmt.Errorf("reading the memory of %s: %w", p.name, err)
	}
	defer f.Close()
	var m memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("parsing %s of %s: %w", key, p.name, err)
		}
		if key == "VmRSS" {
			m.rss = kb << 10
		} else {
			m.peak = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return memory{}, err
	}
	if m.rss == 0 {
		return memory{}, errors.New("no VmRSS in /proc/PID/status")
	}
	return m, nil
}
