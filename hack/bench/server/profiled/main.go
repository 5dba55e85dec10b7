// Command profiled is cmd/apiserver with a CPU profile of its whole run,
// for the server benchmark's -cpuprofile flag: the server itself has no
// profiling endpoint. It takes the apiserver's flags and writes the profile
// to the file named by $APISERVER_CPUPROFILE when it exits.
//
//	APISERVER_CPUPROFILE=cpu.pprof profiled --data-dir DIR --secure-port PORT
//	go tool pprof -top profiled cpu.pprof
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/apiserver/apiserver/cmd/apiserver/app"
)

// profileEnv names the file the profile goes to.
const profileEnv = "APISERVER_CPUPROFILE"

func main() {
	path := os.Getenv(profileEnv)
	if path == "" {
		fmt.Fprintf(os.Stderr, "error: $%s must name the file for the CPU profile\n", profileEnv)
		os.Exit(1)
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "error: starting the CPU profile: %v\n", err)
		os.Exit(1)
	}
	code := app.Main(os.Args[1:], os.Stdout, os.Stderr)
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "error: writing the CPU profile: %v\n", err)
		code = 1
	}
	os.Exit(code)
}
