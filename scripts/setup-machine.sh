#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks for the demo or the tests, and nothing else:
#   scripts/setup-machine.sh demo   build tools for code-server's native modules, what the sandbox runs
#   scripts/setup-machine.sh test   the same plus Chromium (end-to-end tests) and kubectl (integration tests)
# Debian packages through apt-get (as root); kubectl — not packaged by Debian — is built from the Go module
# proxy into the cache (scripts/build-kubectl.sh) when the machine has none; callers put
# "$ETCD_PROFILER_CACHE/path" at the end of PATH to find it.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
purpose="${1:-test}"
log() { printf '[setup] %s\n' "$*" >&2; }

# build-essential python3 libkrb5-dev: code-server's native modules. iproute2 util-linux: the sandbox's network
# namespaces (ip netns, nsenter, unshare). curl tar coreutils: what runs inside the sandbox's pods.
packages=(build-essential python3 libkrb5-dev iproute2 util-linux curl tar procps ca-certificates git)
# npm runs `npm ci`, which brings Node 24 (the devDependency `node`); any Debian nodejs/npm does for that.
command -v npm >/dev/null || packages+=(nodejs npm)
[[ "$purpose" == test ]] && packages+=(chromium)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if ((EUID != 0)); then
    log "missing Debian packages: ${missing[*]}; run as root: apt-get install -y ${missing[*]}"
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -x /usr/local/go/bin/go ]] && ! command -v go >/dev/null; then
  log "Go is missing: the sandbox is built from Go modules and needs Go >= 1.24 (/usr/local/go)"
  exit 1
fi

if [[ "$purpose" == test ]] && ! command -v kubectl >/dev/null; then
  log "kubectl is missing (Debian does not package it): building it from k8s.io/kubectl"
  bash "$repo/scripts/build-kubectl.sh" >/dev/null
fi
