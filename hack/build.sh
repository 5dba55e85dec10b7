#!/usr/bin/env bash
# Builds a static apiserver binary with its version stamped in.
# Usage: hack/build.sh [OUTPUT]   (default: _output/apiserver)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-_output/apiserver}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo v0.1.0-dev)}
commit=$(git rev-parse HEAD 2>/dev/null || true)
tree=clean
[[ -z $(git status --porcelain 2>/dev/null) ]] || tree=dirty
pkg=github.com/apiserver/apiserver/pkg/version
CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X $pkg.gitVersion=$version -X $pkg.gitCommit=$commit -X $pkg.gitTreeState=$tree -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -o "$out" ./cmd/apiserver
echo "$out"
