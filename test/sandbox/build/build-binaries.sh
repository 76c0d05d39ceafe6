#!/usr/bin/env bash
# Builds the sandbox's real components from Go modules into a cache keyed by version:
#   kube-apiserver from k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3,
#   and our own Go programs (node agent, orchestrator, operator stand-in) keyed by a hash of their source.
# `go install pkg@v` refuses modules whose go.mod has replace directives, so each upstream binary is built
# from a small generated wrapper module that requires the upstream module and pins its staging modules.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../versions.env
source "$here/versions.env"
cache="${ETCD_PROFILER_CACHE:-$HOME/.cache/etcd-profiler}"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod PATH="/usr/local/go/bin:$PATH"
bin="$cache/bin"
mkdir -p "$bin"

log() { printf '[sandbox build] %s\n' "$*" >&2; }

# go build -v prints each package it compiles; turn that into a progress line every 100 packages
# (kube-apiserver compiles about 2,500 of them on a cold cache). Errors are passed through.
progress() {
  local what="$1"
  awk -v what="$what" '
    /^(#|\.\/|[^ ]+\.go:|go: )/ || / error/ { print > "/dev/stderr"; next }
    { n++; if (n % 100 == 0) { printf "[sandbox build] %s: %d packages compiled\n", what, n > "/dev/stderr" } }
    END { printf "[sandbox build] %s: %d packages compiled\n", what, n > "/dev/stderr" }'
}

build_kube_apiserver() {
  local out="$bin/kube-apiserver-$KUBERNETES_VERSION"
  [[ -x "$out" ]] && return 0
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local staging="v0.${KUBERNETES_VERSION#v1.}"
  local dir="$cache/src/kube-apiserver-$KUBERNETES_VERSION"
  mkdir -p "$dir"
  log "kube-apiserver $KUBERNETES_VERSION: resolving modules (first time only)"
  go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null
  local upstream_mod
  upstream_mod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.mod"
  {
    echo "module sandbox/kube-apiserver"
    echo
    echo "go 1.24.0"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    # every staging module k8s.io/kubernetes requires at v0.0.0 is published as v0.<minor>.<patch>
    grep -E '^\s*k8s.io/\S+ v0\.0\.0$' "$upstream_mod" | awk '{print $1}' | sort -u |
      while read -r m; do echo "replace $m => $m $staging"; done
  } >"$dir/go.mod"
  cp "$here/build/kube-apiserver-main.go.txt" "$dir/main.go"
  (cd "$dir" && go mod tidy >/dev/null)
  log "kube-apiserver $KUBERNETES_VERSION: compiling (a cold build takes many minutes on 2 cores)"
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
  ld+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ld+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ld+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
  (cd "$dir" && go build -v -trimpath -ldflags "$ld" -o "$out.tmp" . 2>&1) | progress kube-apiserver
  mv "$out.tmp" "$out"
  log "kube-apiserver $KUBERNETES_VERSION: built"
}

build_etcd() {
  local out="$bin/etcd-$ETCD_VERSION"
  [[ -x "$out" ]] && return 0
  local dir="$cache/src/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  log "etcd $ETCD_VERSION: resolving modules"
  cat >"$dir/go.mod" <<MOD
module sandbox/etcd

go 1.24.0

require (
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
	go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)
MOD
  cp "$here/build/etcd-main.go.txt" "$dir/main.go"
  (cd "$dir" && go mod tidy >/dev/null)
  log "etcd $ETCD_VERSION: compiling"
  (cd "$dir" && go build -v -trimpath -ldflags "-s -w" -o "$out.tmp" . 2>&1) | progress etcd
  mv "$out.tmp" "$out"
  log "etcd $ETCD_VERSION: built"
}

# Our Go programs: name -> module dir. The orchestrator's module excludes the nested ones.
ours_dir() {
  case "$1" in
    sandbox) echo "$here" ;;
    nodeagent) echo "$here/nodeagent" ;;
    operator) echo "$here/operator" ;;
    *) echo "unknown program $1" >&2; return 2 ;;
  esac
}

# Hash of a program's sources (its own module only) and the Go version: a change to either rebuilds it.
ours_hash() {
  local dir; dir="$(ours_dir "$1")"
  {
    go version
    (cd "$dir" && find . \( -path './nodeagent' -o -path './operator' -o -path './build' -o -path './testdata' \) -prune -o \
      -type f \( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print |
      LC_ALL=C sort | xargs sha256sum)
  } | sha256sum | cut -c1-12
}

ours_path() { echo "$bin/$1-$(ours_hash "$1")"; }

build_ours() {
  local name="$1" out dir
  out="$(ours_path "$name")"
  [[ -x "$out" ]] && return 0
  dir="$(ours_dir "$name")"
  log "$name: compiling $(basename "$out")"
  (cd "$dir" && go build -v -trimpath -ldflags "-s -w" -o "$out.tmp" . 2>&1) | progress "$name"
  mv "$out.tmp" "$out"
  # older builds of the same program are dead weight once no sandbox is about to start them
  find "$bin" -maxdepth 1 -name "$name-*" ! -name "$(basename "$out")" -mmin +720 -delete
}

case "${1:-all}" in
  kube-apiserver) build_kube_apiserver ;;
  etcd) build_etcd ;;
  sandbox|nodeagent|operator) build_ours "$1" ;;
  path) ours_path "${2:?usage: $0 path sandbox|nodeagent|operator}" ;;
  ours) build_ours operator; build_ours nodeagent; build_ours sandbox ;;
  all) build_etcd; build_kube_apiserver; build_ours operator; build_ours nodeagent; build_ours sandbox ;;
  *) echo "usage: $0 [all|ours|kube-apiserver|etcd|sandbox|nodeagent|operator|path <name>]" >&2; exit 2 ;;
esac
