package harness

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// utime 250 and stime 50 ticks: 3 s. The command name holds ") ".
	const stat = "42 (a) b) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 0 0"
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{name: "parenthesis in the name", stat: stat, want: 3 * time.Second},
		{name: "truncated", stat: "42 (a) S 1 2", wantErr: true},
		{name: "no name", stat: "42 a S", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatCPU(tc.stat)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseStatCPU(%q) = %v, %v; want %v, error %t", tc.stat, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestCPUTimeSelf(t *testing.T) {
	if _, err := CPUTime("self"); err != nil {
		t.Fatal(err)
	}
}

func TestParseH2loadOutput(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    float64
		wantErr bool
	}{
		{
			name: "all succeeded",
			out:  "finished in 1.23s, 16260.16 req/s, 1.2MB/s\nrequests: 20000 total, 20000 started, 20000 done, 20000 succeeded, 0 failed, 0 errored, 0 timeout\n",
			want: 16260.16,
		},
		{
			name:    "some failed",
			out:     "finished in 1.23s, 16260.16 req/s, 1.2MB/s\nrequests: 20000 total, 20000 started, 20000 done, 19990 succeeded, 10 failed, 0 errored, 0 timeout\n",
			wantErr: true,
		},
		{name: "unexpected", out: "connect: connection refused\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseH2loadOutput([]byte(tc.out))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseH2loadOutput() = %v, %v; want %v, error %t", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestReadH2loadLog(t *testing.T) {
	tests := []struct {
		name    string
		log     string
		want    []time.Duration
		wantErr bool
	}{
		{name: "two requests", log: "1700000000000000\t200\t1500\n1700000000000100\t200\t250\n", want: []time.Duration{1500 * time.Microsecond, 250 * time.Microsecond}},
		{name: "a failure", log: "1700000000000000\t200\t1500\n1700000000000100\t503\t250\n", wantErr: true},
		{name: "empty", log: "", wantErr: true},
		{name: "malformed", log: "1700000000000000 200 1500\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "h2load.tsv")
			if err := os.WriteFile(name, []byte(tc.log), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := ReadH2loadLog(name)
			if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
				t.Errorf("ReadH2loadLog() = %v, %v; want %v, error %t", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		want       int
		wantStderr string
	}{
		{name: "success", err: nil, want: 0},
		{name: "help", err: flag.ErrHelp, want: 0},
		{name: "one error", err: errors.New("boom"), want: 1, wantStderr: "error: boom\n"},
		{name: "joined", err: errors.Join(errors.New("-a bad"), errors.New("-b bad")), want: 1, wantStderr: "error: -a bad\nerror: -b bad\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := ExitCode(&stderr, tc.err); got != tc.want || stderr.String() != tc.wantStderr {
				t.Errorf("ExitCode(%v) = %d, stderr %q; want %d, %q", tc.err, got, stderr.String(), tc.want, tc.wantStderr)
			}
		})
	}
}

func TestTable(t *testing.T) {
	var out bytes.Buffer
	tw := NewTable(&out, "op", "rate")
	tw.Row("get", "1500")
	tw.Flush()
	const want = "   op  rate\n  get  1500\n"
	if out.String() != want {
		t.Errorf("table = %q, want %q", out.String(), want)
	}
}

func TestPrintMachineNotes(t *testing.T) {
	tests := []struct {
		name  string
		notes []string
		want  string
	}{
		{name: "none", want: "Apiserver: /nonexistent, built with unknown\n"},
		{name: "one", notes: []string{"benchmark built with go1.x"}, want: "Apiserver: /nonexistent, built with unknown; benchmark built with go1.x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			PrintMachine(&out, "/nonexistent", tc.notes...)
			if !bytes.Contains(out.Bytes(), []byte("\n"+tc.want)) {
				t.Errorf("PrintMachine printed %q, want a line %q", out.String(), tc.want)
			}
		})
	}
}
