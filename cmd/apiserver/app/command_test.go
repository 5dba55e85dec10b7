package app

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func run(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelp(t *testing.T) {
	code, out, _ := run("--help")
	if code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	golden := filepath.Join("testdata", "help.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("run with -update to create %s: %v", golden, err)
	}
	if out != string(want) {
		t.Errorf("--help differs from %s:\n%s", golden, out)
	}
	for _, section := range []string{"Secure serving flags:", "Etcd flags:", "Generic flags:", "Logging flags:"} {
		if !strings.Contains(out, section) {
			t.Errorf("--help lacks the %q section", section)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run("--version")
	if code != 0 || !strings.HasPrefix(out, "apiserver v") {
		t.Fatalf("--version = %d %q", code, out)
	}
}

// TestInvalidFlags checks that every error is reported at once, one line
// each naming its flag, with exit code 1 and no stack trace.
func TestInvalidFlags(t *testing.T) {
	dataFile := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(dataFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string // one per stderr line
	}{
		{"several at once",
			[]string{"--secure-port=0", "--tls-min-version=VersionTLS10", "--etcd-servers=ftp://x:1", "--request-timeout=0s", "--data-dir=" + dataFile},
			[]string{"error: --secure-port 0", "error: --tls-min-version", "error: --etcd-servers", "error: --data-dir", "error: --request-timeout"}},
		{"insecure cipher", []string{"--tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA"}, []string{"error: --tls-cipher-suites: TLS_RSA_WITH_RC4_128_SHA is insecure and not allowed"}},
		{"unknown flag", []string{"--nope"}, []string{"error: unknown flag: --nope (see apiserver --help)"}},
		{"bad value", []string{"--secure-port=abc"}, []string{`error: invalid argument "abc" for "--secure-port" flag`}},
		{"bad IP", []string{"--bind-address=300.1.1.1"}, []string{`error: invalid argument "300.1.1.1" for "--bind-address" flag`}},
		{"argument", []string{"extra"}, []string{`error: unknown command "extra" for "apiserver"`}},
		{"missing cert file", []string{"--tls-cert-file=/nonexistent.crt", "--tls-private-key-file=/nonexistent.key"},
			[]string{"error: --tls-cert-file: open /nonexistent.crt", "error: --tls-private-key-file: open /nonexistent.key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(tc.args...)
			if code != 1 {
				t.Errorf("exit code = %d, want 1", code)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(tc.want), stderr)
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("line %d = %q, want it to start with %q", i, lines[i], want)
				}
			}
			if strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr holds a stack trace:\n%s", stderr)
			}
		})
	}
}
