package harness

import (
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// PrintMachine prints what the figures depend on: cores, CPU, the Go
// version the apiserver was built with, and the date. notes are appended
// to the apiserver's line, each after "; ".
func PrintMachine(out io.Writer, apiserver string, notes ...string) {
	goVersion := "unknown"
	if info, err := buildinfo.ReadFile(apiserver); err == nil {
		goVersion = info.GoVersion
	}
	fmt.Fprintf(out, "Machine: %d cores, %s, %s/%s\n", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(out, "Apiserver: %s, built with %s%s\n", apiserver, goVersion, strings.Join(append([]string{""}, notes...), "; "))
	fmt.Fprintf(out, "Date: %s\n", time.Now().UTC().Format(time.RFC3339))
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(data)) {
		if key, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}

// Verdict is a target's cell: "met" or "MISSED".
func Verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// Ms formats d in milliseconds with one decimal: "1.5 ms".
func Ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// Table writes right-aligned columns, two spaces apart.
type Table struct{ tw *tabwriter.Writer }

// NewTable starts a table on out with a header row.
func NewTable(out io.Writer, header ...string) Table {
	t := Table{tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)}
	t.Row(header...)
	return t
}

// Row adds a row.
func (t Table) Row(cells ...string) { fmt.Fprintln(t.tw, strings.Join(cells, "\t")+"\t") }

// Flush writes the table; call it once, after the last row.
func (t Table) Flush() { t.tw.Flush() }
