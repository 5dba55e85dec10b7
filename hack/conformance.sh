#!/usr/bin/env bash
# conformance.sh: runs Kubernetes' own conformance tests for the APIs this
# server serves (those that need no node) against it, or against the real
# kube-apiserver 1.31 for comparison, and prints what passed.
#
#   hack/conformance.sh                  # this server, embedded etcd
#   KUBECONFIG=... hack/conformance.sh   # a server already running
#   REFERENCE=1 hack/conformance.sh      # the same tests against kube-apiserver 1.31
#   KEEP_LOG=/tmp/c hack/conformance.sh  # keep the suite's log as /tmp/c.<server>.log
#
# The test binary (k8s.io/kubernetes/test/e2e, v1.31.4) is built once from
# the Go module proxy into ~/.cache/apiserver-conformance (several minutes).
# FOCUS overrides the tests run (a ginkgo regular expression); SKIP, when
# set, leaves out those it matches.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-v1.31.4}
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/apiserver-conformance
BIN=$CACHE_DIR/e2e.test-$VERSION
# The conformance tests of the served APIs that need no node
# (hack/conformance-tests.txt, one name per line, regular expressions):
# those that wait for Pods to run are left out, as they fail on
# kube-apiserver alone too, after long timeouts.
FOCUS=${FOCUS:-$(paste -sd'|' hack/conformance-tests.txt)}

log() { echo "conformance.sh: $*" >&2; }

build() {
  [[ -x $BIN ]] && return
  [[ $VERSION =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { log "VERSION must look like v1.31.4"; exit 1; }
  local staging=v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]} work gomod modules
  mkdir -p "$CACHE_DIR"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  log "building k8s.io/kubernetes/test/e2e@$VERSION (several minutes)"
  (
    cd "$work"
    export GOFLAGS="-mod=mod" CGO_ENABLED=0
    gomod=$(go mod download -json "k8s.io/kubernetes@$VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
    # k8s.io/kubernetes replaces its staging modules with local paths,
    # which a dependent module ignores: pin each to its published version.
    modules=$(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$gomod" | sort -u)
    {
      echo "module conformance"
      grep -m1 '^go ' "$gomod"
      echo "require k8s.io/kubernetes $VERSION"
      echo "replace ("
      for m in $modules; do echo "	$m => $m $staging"; done
      echo ")"
    } >go.mod
    go get "k8s.io/kubernetes/test/e2e@$VERSION" >/dev/null 2>&1
    go test -c -trimpath -o "$BIN.tmp.$$" k8s.io/kubernetes/test/e2e
    mv "$BIN.tmp.$$" "$BIN"
  )
}

start_server() {
  local dir=$1
  go build -o "$dir/apiserver" ./cmd/apiserver
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])')
  # All addresses: the kubernetes Service then lists this host's, as a
  # conformance test expects (a loopback address is listed by none).
  "$dir/apiserver" --data-dir "$dir/data" --secure-port "$port" >"$dir/apiserver.log" 2>&1 &
  echo $! >"$dir/apiserver.pid"
  for _ in $(seq 100); do
    [[ -f $dir/data/admin.kubeconfig ]] && kubectl --kubeconfig "$dir/data/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1 && break
    sleep 0.1
  done
  export KUBECONFIG=$dir/data/admin.kubeconfig
}

run() {
  local name=$1 report=$2 verify_sa=$3
  log "running against $name"
  # No nodes and no system Pods to wait for. Each test's namespace gets
  # its default ServiceAccount from this server's own controller, which
  # the framework waits for as on any cluster (a test that creates a Pod
  # at once raced it); kube-apiserver alone has no such controller (it is
  # kube-controller-manager's), so the wait is off for it.
  "$BIN" --kubeconfig "$KUBECONFIG" --provider skeleton --num-nodes 0 --allowed-not-ready-nodes=-1 --minStartupPods 0 \
    --e2e-verify-service-account="$verify_sa" --ginkgo.focus "$FOCUS" ${SKIP:+--ginkgo.skip "$SKIP"} --ginkgo.no-color --ginkgo.timeout 60m \
    --report-dir "$report" >"$report/e2e.log" 2>&1 || true
  [[ -z ${KEEP_LOG:-} ]] || cp "$report/e2e.log" "$KEEP_LOG.$name.log"
  python3 - "$report/junit_01.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
passed = failed = 0
for case in root.iter("testcase"):
    if case.get("status") == "skipped" or case.find("skipped") is not None:
        continue
    name = case.get("name")
    if name.startswith(("[SynchronizedBeforeSuite]", "[SynchronizedAfterSuite]", "[ReportAfterSuite]", "[ReportBeforeSuite]")):
        if case.find("failure") is not None:
            print("SUITE FAILED", name)
        continue
    ok = case.find("failure") is None and case.find("error") is None
    passed += ok
    failed += not ok
    print("PASS" if ok else "FAIL", name)
print(f"{passed} passed, {failed} failed")
EOF
}

build
work=$(mktemp -d)
trap 'if [[ -f $work/apiserver.pid ]]; then kill "$(cat "$work/apiserver.pid")" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
mkdir -p "$work/report"
if [[ -n ${REFERENCE:-} ]]; then
  mkdir -p "$work/reference"
  eval "$(../shared/reference/kube-apiserver.sh start "$work/reference" | grep '^KUBECONFIG=' | sed 's/^/export /')"
  run kube-apiserver "$work/report" false | sort
  ../shared/reference/kube-apiserver.sh stop "$work/reference"
else
  [[ -n ${KUBECONFIG:-} ]] || start_server "$work"
  run apiserver "$work/report" true | sort
fi
