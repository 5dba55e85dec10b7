package harness

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// ExitCode prints err to stderr and returns the exit code of a benchmark
// whose run ended with err: 0 for nil or flag.ErrHelp (the flag package
// has printed the usage), else 1. Joined errors, such as those of flag
// validation, are printed one per line.
func ExitCode(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var joined interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &joined) {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		fmt.Fprintf(stderr, "error: %v\n", e)
	}
	return 1
}

// TempDir makes a temporary directory named after prefix for a run's
// binaries, data dirs and logs. The returned cleanup, to be deferred,
// removes it, or with keep prints its path to out instead.
func TempDir(prefix string, keep bool, out io.Writer) (dir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	if keep {
		return dir, func() { fmt.Fprintf(out, "\nKept %s\n", dir) }, nil
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// GoBuild builds the package pkg of this module into the executable out,
// with go build's output on stderr.
func GoBuild(ctx context.Context, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s (run the benchmark from inside the module): %w", pkg, err)
	}
	return nil
}
