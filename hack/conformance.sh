#!/usr/bin/env bash
# conformance.sh: runs Kubernetes' own conformance tests for the APIs this
# server serves (those that need no node) against it, and optionally
# against the real kube-apiserver beside it, and prints what passed.
#
#   hack/conformance.sh                  # this server, embedded etcd
#   KUBECONFIG=... hack/conformance.sh   # a server already running
#   REFERENCE=1 hack/conformance.sh      # the same tests against kube-apiserver 1.31
#
# The test binary (k8s.io/kubernetes/test/e2e, v1.31.4) is built once from
# the Go module proxy into ~/.cache/apiserver-conformance (several minutes).
# FOCUS overrides the tests run (a ginkgo regular expression).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-v1.31.4}
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/apiserver-conformance
BIN=$CACHE_DIR/e2e.test-$VERSION
# The conformance tests of the APIs issue 13 names; all of them run
# against an API server alone (no kubelet, scheduler or controller manager).
DEFAULT_FOCUS='\[Conformance\].*(Services|EndpointSlice|Ingress|IngressClass|NetworkPolicy|PodTemplates|RuntimeClass|LimitRange|ResourceQuota|Certificates API|Lease|Events|CronJob|FlowSchema|PriorityLevelConfiguration|Discovery|ServiceAccounts|Namespaces|ConfigMap|Secrets|CustomResourceDefinition)'
FOCUS=${FOCUS:-$DEFAULT_FOCUS}
# Tests that need Pods to run (a kubelet), or controllers of
# kube-controller-manager, fail on kube-apiserver alone too.
SKIP=${SKIP:-'\[Serial\]|\[Slow\]|\[Disruptive\]|should serve|should be able to|from pods|pod.*running|container|[Ee]xec|proxy|NodePort|should create endpoints|should provide DNS|kubelet'}

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
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$dir/apiserver" --data-dir "$dir/data" --bind-address 127.0.0.1 --secure-port "$port" >"$dir/apiserver.log" 2>&1 &
  echo $! >"$dir/apiserver.pid"
  for _ in $(seq 100); do
    [[ -f $dir/data/admin.kubeconfig ]] && kubectl --kubeconfig "$dir/data/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1 && break
    sleep 0.1
  done
  export KUBECONFIG=$dir/data/admin.kubeconfig
}

run() {
  local name=$1 report=$2
  log "running against $name"
  "$BIN" --kubeconfig "$KUBECONFIG" --provider skeleton --allowed-not-ready-nodes=-1 --minStartupPods 0 \
    --ginkgo.focus "$FOCUS" --ginkgo.skip "$SKIP" --ginkgo.no-color --ginkgo.timeout 25m \
    --report-dir "$report" --ginkgo.junit-report junit.xml >"$report/e2e.log" 2>&1 || true
  python3 - "$report/junit.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
passed = failed = 0
for case in root.iter("testcase"):
    if case.get("status") == "skipped" or case.find("skipped") is not None:
        continue
    name = case.get("name")
    if name.startswith("[SynchronizedBeforeSuite]") or name.startswith("[SynchronizedAfterSuite]") or name.startswith("[ReportAfterSuite]"):
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
if [[ -n ${REFERENCE:-} ]]; then
  ref=$work/reference
  mkdir -p "$ref"
  eval "$(../shared/reference/kube-apiserver.sh start "$ref" | sed 's/^/export /')"
  mkdir -p "$work/report-ref"
  run kube-apiserver "$work/report-ref" | sort >"$work/reference.txt"
  ../shared/reference/kube-apiserver.sh stop "$ref"
  cat "$work/reference.txt"
elif [[ -z ${KUBECONFIG:-} ]]; then
  start_server "$work"
fi
if [[ -z ${REFERENCE:-} ]]; then
  mkdir -p "$work/report"
  run apiserver "$work/report" | sort
fi
