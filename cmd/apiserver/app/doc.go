// Package app is the apiserver command: flag parsing, validation, the
// server chain and signal handling. Only Main decides the exit code.
package app
