#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks for the demo or the tests, and nothing else:
#   scripts/setup-machine.sh build  npm (any Debian nodejs/npm: `npm ci` brings Node 24, the devDependency `node`)
#   scripts/setup-machine.sh demo   that, build tools for code-server's native modules, what the sandbox runs
#   scripts/setup-machine.sh test   that, plus Chromium (end-to-end tests), wget and busybox (the exec capture's
#                                   wget paths), time and panicparse (the benches' references), kubectl
# Debian packages through apt-get (as root); kubectl — not packaged by Debian — is built from the Go module
# proxy into the cache (scripts/build-kubectl.sh) when the machine has none; callers put
# "$ETCD_PROFILER_CACHE/path" at the end of PATH to find it. Go is not installed here (Debian's is too old for
# the sandbox's modules): without Go >= 1.24 at /usr/local/go or on PATH, this says how to get it and fails.
# Called by `npm test` (test/run-all.sh) and `npm run demo` (scripts/demo.sh); quick when nothing is missing.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
purpose="${1:-test}"
log() { printf '[setup] %s\n' "$*" >&2; }
case "$purpose" in
  build | demo | test) ;;
  *) log "usage: $0 build|demo|test"; exit 2 ;;
esac

packages=()
command -v npm >/dev/null || packages+=(nodejs npm)
if [[ "$purpose" != build ]]; then
  # build-essential python3 libkrb5-dev: code-server's native modules. iproute2 util-linux: the sandbox's network
  # namespaces (ip netns, nsenter, unshare). curl tar coreutils: what runs inside the sandbox's pods.
  packages+=(build-essential python3 libkrb5-dev iproute2 util-linux curl tar procps ca-certificates git)
fi
if [[ "$purpose" == test ]]; then
  # chromium: the e2e tests' browser. wget busybox: the exec capture's GNU and BusyBox wget paths (unit and
  # integration). time panicparse: the profile-model bench measures against panicparse under /usr/bin/time.
  # tzdata: the CLI's Time: line is compared with Go's in several time zones.
  packages+=(chromium wget busybox time panicparse tzdata)
fi

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
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[[ "$purpose" == build ]] && exit 0

go=""
if [[ -x /usr/local/go/bin/go ]]; then go=/usr/local/go/bin/go; elif command -v go >/dev/null; then go="$(command -v go)"; fi
minor=0
[[ -n "$go" ]] && minor="$(GOTOOLCHAIN=local "$go" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
if ((${minor:-0} < 24)); then
  log "Go >= 1.24 is needed (the sandbox, kubectl and the test inputs are built from Go modules) and ${go:+$go is $(GOTOOLCHAIN=local "$go" env GOVERSION), }none was found at /usr/local/go or on PATH."
  log "Install it from https://go.dev/dl/ (as root): curl -fsSL https://go.dev/dl/go1.26.8.linux-amd64.tar.gz | tar -C /usr/local -xz"
  exit 1
fi

if [[ "$purpose" == test ]] && ! command -v kubectl >/dev/null && ! [[ -x "${ETCD_PROFILER_CACHE:-$HOME/.cache/etcd-profiler}/path/kubectl" ]]; then
  log "kubectl is missing (Debian does not package it): building it from k8s.io/kubectl"
  bash "$repo/scripts/build-kubectl.sh" >/dev/null
fi
