// Package harness runs a server under test for the benchmark programs in
// hack/bench and reports on it. It is the code that hack/bench/server and
// hack/bench/api share, so that each piece exists once:
//
//   - [Start], [StartAPIServer] and [Process]: start a server on loopback,
//     wait for a health endpoint, read its CPU time and memory from /proc,
//     stop it with SIGTERM (SIGKILL if the benchmark dies first);
//   - [H2load]: one run of h2load and its per-request log;
//   - [PrintMachine], [Table], [Verdict], [Ms]: the report's machine
//     description and aligned tables;
//   - [ExitCode], [TempDir], [GoBuild]: the programs' main boilerplate.
//
// A benchmark's main looks like:
//
//	func main() { os.Exit(harness.ExitCode(os.Stderr, run(os.Args[1:], os.Stdout))) }
//
// It is Linux only: CPU time and memory come from /proc/PID.
package harness
