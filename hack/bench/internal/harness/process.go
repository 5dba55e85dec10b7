package harness

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
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// ReadyTimeout bounds the wait for a health endpoint: ten times the
	// startup target, so a slow run is measured rather than cut off.
	ReadyTimeout = 30 * time.Second
	// StopTimeout is how long a process gets after SIGTERM before SIGKILL;
	// a profiled apiserver writes its profile in that time.
	StopTimeout = 15 * time.Second
)

// Command says how to start a server.
type Command struct {
	Name    string   // for messages
	Addr    string   // host:port it will serve HTTPS on
	LogFile string   // gets its stdout and stderr
	Bin     string   // executable
	Args    []string // arguments
	Env     []string // added to the benchmark's environment, less GOMAXPROCS
}

// Process is a server started by the benchmark.
type Process struct {
	name    string
	addr    string
	cmd     *exec.Cmd
	cancel  context.CancelFunc
	exited  chan struct{}
	waitErr error
	started time.Time // just before exec
}

// Start execs c. The process gets SIGTERM when ctx ends or Stop is called,
// and SIGKILL if the benchmark dies first.
func Start(ctx context.Context, c Command) (*Process, error) {
	log, err := os.Create(c.LogFile)
	if err != nil {
		return nil, err
	}
	defer log.Close() // the child has its own copy
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, c.Bin, c.Args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = StopTimeout
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(childEnv(), c.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &Process{name: c.Name, addr: c.Addr, cmd: cmd, cancel: cancel, exited: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("starting %s: %w", c.Name, err)
	}
	// Stop waits for this goroutine: it closes exited.
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

// Name is the name the process was started with, for messages.
func (p *Process) Name() string { return p.name }

// Addr is the host:port the process serves HTTPS on.
func (p *Process) Addr() string { return p.addr }

// Stop sends SIGTERM and waits for the process to exit, killing it after
// StopTimeout.
func (p *Process) Stop() {
	p.cancel()
	<-p.exited
}

// APIServer says how to start an apiserver under test.
type APIServer struct {
	Bin     string
	Env     []string // added to the benchmark's environment
	DataDir string   // --data-dir; the server creates it if missing
	LogFile string   // gets its stdout and stderr
	Args    []string // after --data-dir, --secure-port and --bind-address
	Poll    time.Duration
}

// StartAPIServer starts s on a free loopback port and waits until /readyz
// answers 200, probing every s.Poll. It returns the process and the time
// from exec to ready.
func StartAPIServer(ctx context.Context, s APIServer) (*Process, time.Duration, error) {
	port, err := FreePort()
	if err != nil {
		return nil, 0, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := append([]string{"--data-dir", s.DataDir, "--secure-port", strconv.Itoa(port), "--bind-address", "127.0.0.1"}, s.Args...)
	p, err := Start(ctx, Command{Name: "apiserver", Addr: addr, LogFile: s.LogFile, Bin: s.Bin, Args: args, Env: s.Env})
	if err != nil {
		return nil, 0, err
	}
	took, err := p.WaitReady(ctx, "/readyz", s.Poll)
	if err != nil {
		p.Stop()
		return nil, 0, fmt.Errorf("%w (log: %s)", err, s.LogFile)
	}
	return p, took, nil
}

// FreePort asks the kernel for a free loopback port. Another process could
// take it before the server binds it; the server would then fail to start,
// which the benchmark reports.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// probeClient polls health endpoints. It skips certificate verification:
// the CA does not exist until the server has made it, and the benchmark
// only probes a server it started on loopback.
var probeClient = &http.Client{
	Timeout: 2 * time.Second,
	Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
		ForceAttemptHTTP2: true,
	},
}

// WaitReady polls https://addr/path every poll until it answers 200 and
// returns the time since exec, so poll is the resolution of that figure;
// polling faster takes CPU from the server being measured. It fails if the
// process exits or ReadyTimeout passes.
func (p *Process) WaitReady(ctx context.Context, path string, poll time.Duration) (time.Duration, error) {
	url := "https://" + p.addr + path
	deadline := time.NewTimer(ReadyTimeout)
	defer deadline.Stop()
	// An idle probe connection would count in the RSS and share the
	// server with the load.
	defer probeClient.CloseIdleConnections()
	for {
		if probeOK(ctx, url) {
			return time.Since(p.started), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-p.exited:
			return 0, fmt.Errorf("%s exited before %s answered 200: %w", p.name, path, p.waitErr)
		case <-deadline.C:
			return 0, fmt.Errorf("%s: %s did not answer 200 within %s", p.name, path, ReadyTimeout)
		case <-time.After(poll):
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

// CPUTime is the CPU time, user and system, that p has used so far.
func (p *Process) CPUTime() (time.Duration, error) {
	return CPUTime(strconv.Itoa(p.cmd.Process.Pid))
}

// CPUTime is the CPU time, user and system, that the process pid ("self"
// for the benchmark's own) has used so far, from /proc/PID/stat.
func CPUTime(pid string) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of process %s: %w", pid, err)
	}
	d, err := parseStatCPU(string(data))
	if err != nil {
		return 0, fmt.Errorf("/proc/%s/stat: %w", pid, err)
	}
	return d, nil
}

// parseStatCPU returns utime + stime of the contents of a /proc/PID/stat.
func parseStatCPU(stat string) (time.Duration, error) {
	// The command name, field 2, is in parentheses and may hold spaces
	// and parentheses, so it ends at the last ") "; utime and stime are
	// fields 14 and 15, the 12th and 13th after it.
	i := strings.LastIndex(stat, ") ")
	fields := strings.Fields(stat[i+1:])
	if i < 0 || len(fields) < 13 {
		return 0, fmt.Errorf("unexpected contents %q", stat)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing the CPU time: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// Memory is a process's resident set, from /proc/PID/status.
type Memory struct {
	RSS  int64 // VmRSS, bytes
	Peak int64 // VmHWM, bytes
}

// Memory reads p's resident set.
func (p *Process) Memory() (Memory, error) {
	m, err := MemoryOf(p.cmd.Process.Pid)
	if err != nil {
		return Memory{}, fmt.Errorf("%s: %w", p.name, err)
	}
	return m, nil
}

// MemoryOf reads the resident set of process pid.
func MemoryOf(pid int) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("reading the memory of process %d: %w", pid, err)
	}
	defer f.Close()
	var m Memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("parsing %s of process %d: %w", key, pid, err)
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.Peak = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return Memory{}, err
	}
	if m.RSS == 0 {
		return Memory{}, errors.New("no VmRSS in /proc/PID/status")
	}
	return m, nil
}
