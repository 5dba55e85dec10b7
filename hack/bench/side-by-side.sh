#!/usr/bin/env bash
# side-by-side.sh: runs hack/bench/api against the real kube-apiserver and
# this project's apiserver in one go, so that the machine's load falls on
# all of them alike:
#   1. kube-apiserver (../shared/reference/kube-apiserver.sh, Debian's etcd);
#   2. this apiserver on that same etcd (--etcd-servers, its own prefix);
#   3. this apiserver with its embedded etcd, with the storage-layer ceiling.
# ROUNDS (default 2) repeats the three in turn. Flags go to every run of
# the benchmark (the defaults: create, get, list and watch).
#
#   REFERENCE=../shared/reference/kube-apiserver.sh hack/bench/side-by-side.sh -read-rv 0
set -euo pipefail
cd "$(dirname "$0")/../.."
reference=${REFERENCE:-../shared/reference/kube-apiserver.sh}
[[ -x $reference ]] || { echo "side-by-side.sh: no reference script at $reference (set REFERENCE)" >&2; exit 1; }
args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=(-phases create,get,list,watch)

tmp=$(mktemp -d -t side-by-side.XXXXXX)
kas=
cleanup() { if [[ -n $kas ]]; then "$reference" stop "$kas" >/dev/null 2>&1 || true; fi; rm -rf "$tmp"; }
trap cleanup EXIT
go build -o "$tmp/apiserver" ./cmd/apiserver

for round in $(seq "${ROUNDS:-2}"); do
  # A fresh reference each round: the benchmark's objects are created anew
  # and, without kube-controller-manager, a namespace is never emptied.
  kas=$tmp/kas-$round
  "$reference" start "$kas" >/dev/null
  etcd_url=$(tr '\0' '\n' <"/proc/$(cat "$kas/etcd.pid")/cmdline" | grep -A1 -x -- --listen-client-urls | tail -1)
  printf '#!/bin/sh\nexec %q --etcd-servers=%q --etcd-prefix=/apiserver "$@"\n' "$tmp/apiserver" "$etcd_url" >"$tmp/apiserver-shared-etcd"
  chmod +x "$tmp/apiserver-shared-etcd"
  echo "=== round $round: kube-apiserver $(grep -o 'v1\.[0-9]*\.[0-9]*' "$reference" | head -1), Debian etcd $(etcd --version 2>/dev/null | awk 'NR==1{print $3}')"
  go run ./hack/bench/api -kas-dir "$kas" -ceiling=false -h2load '' "${args[@]}"
  echo "=== round $round: this apiserver, on the same etcd"
  go run ./hack/bench/api -binary "$tmp/apiserver-shared-etcd" -ceiling=false -h2load '' "${args[@]}"
  "$reference" stop "$kas" >/dev/null 2>&1
  kas=
  echo "=== round $round: this apiserver, embedded etcd, and the etcd ceiling"
  go run ./hack/bench/api -binary "$tmp/apiserver" -h2load '' "${args[@]}"
done
