#!/usr/bin/env bash
# server.sh: runs the server benchmark (startup time, idle RSS, /healthz
# over HTTP/2 against a bare net/http ceiling) from the module root.
# Flags go to the benchmark; see `hack/bench/server.sh -h`.
#
#   hack/bench/server.sh -runs 10 -requests 200000
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v h2load >/dev/null; then
  echo "server.sh: h2load not found; install it with: apt-get install nghttp2-client" >&2
  exit 1
fi
exec go run ./hack/bench/server "$@"
