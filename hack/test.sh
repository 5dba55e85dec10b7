#!/usr/bin/env bash
# Runs the whole test suite, as CI does: every package with the race
# detector. Extra arguments go to `go test` (e.g. -run TestShutdown -v).
# Tests that need etcd, curl or h2load skip when the tool is missing, unless
# CI=true, where they fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go test -race -timeout 15m "$@" ./...
