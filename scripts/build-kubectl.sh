#!/usr/bin/env bash
# Builds kubectl (the sandbox's Kubernetes version) from the module k8s.io/kubectl into the cache, once:
#   $CACHE/bin/kubectl-<version>, linked as $CACHE/path/kubectl. Prints the directory to put on PATH.
# For machines without kubectl (Debian does not package it); a kubectl already on PATH is used as it is.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../test/sandbox/versions.env
source "$repo/test/sandbox/versions.env"
cache="${ETCD_PROFILER_CACHE:-$HOME/.cache/etcd-profiler}"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod PATH="/usr/local/go/bin:$PATH"
out="$cache/bin/kubectl-$KUBERNETES_VERSION"
link_dir="$cache/path"
log() { printf '[kubectl build] %s\n' "$*" >&2; }

if [[ ! -x "$out" ]]; then
  staging="v0.${KUBERNETES_VERSION#v1.}"
  minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  dir="$cache/src/kubectl-$KUBERNETES_VERSION"
  mkdir -p "$dir" "$cache/bin"
  cat >"$dir/go.mod" <<MOD
module sandbox/kubectl

go 1.24.0

require (
	k8s.io/client-go $staging
	k8s.io/component-base $staging
	k8s.io/kubectl $staging
)
MOD
  cat >"$dir/main.go" <<'GO'
// kubectl: the published k8s.io/kubectl command tree with the client auth plugins.
package main

import (
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}
GO
  log "kubectl $KUBERNETES_VERSION: resolving modules"
  (cd "$dir" && go mod tidy >/dev/null)
  log "kubectl $KUBERNETES_VERSION: compiling"
  ld="-s -w"
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ld+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$dir" && go build -trimpath -ldflags "$ld" -o "$out.tmp" .)
  mv "$out.tmp" "$out"
  log "kubectl $KUBERNETES_VERSION: built"
fi
mkdir -p "$link_dir"
ln -sfn "$out" "$link_dir/kubectl"
echo "$link_dir"
