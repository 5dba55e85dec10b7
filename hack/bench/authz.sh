#!/usr/bin/env bash
# authz.sh: what authorization costs. Runs hack/bench/api's create and get
# phases as an ordinary user (a client certificate without groups), allowed
# by a RoleBinding to edit among 1,000 RoleBindings of its namespace, once
# with --authorization-mode=AlwaysAllow and once with RBAC (the default),
# ROUNDS (default 4) times, each round in the other order, so that the
# machine's load and any effect of going second fall on both alike. Flags
# go to every run of the benchmark.
#
#   hack/bench/authz.sh -role-bindings 1000
set -euo pipefail
cd "$(dirname "$0")/../.."
args=("$@")
tmp=$(mktemp -d -t authz-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/apiserver" ./cmd/apiserver
printf '#!/bin/sh\nexec %q --authorization-mode=AlwaysAllow "$@"\n' "$tmp/apiserver" >"$tmp/apiserver-alwaysallow"
chmod +x "$tmp/apiserver-alwaysallow"
for round in $(seq "${ROUNDS:-4}"); do
  modes=(AlwaysAllow RBAC)
  (( round % 2 == 0 )) && modes=(RBAC AlwaysAllow)
  for mode in "${modes[@]}"; do
    bin=$tmp/apiserver
    [[ $mode == AlwaysAllow ]] && bin=$tmp/apiserver-alwaysallow
    echo "=== round $round: --authorization-mode=$mode"
    go run ./hack/bench/api -binary "$bin" -user bench-user -phases create,get -ceiling=false -h2load '' "${args[@]}"
  done
done
