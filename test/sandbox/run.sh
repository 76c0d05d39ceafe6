#!/usr/bin/env bash
# `npm run sandbox`: build what is missing (cached by version and source hash), then run the sandbox in the
# foreground until Ctrl-C or SIGTERM. See test/sandbox/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${ETCD_PROFILER_CACHE:-$HOME/.cache/etcd-profiler}"
export GOTOOLCHAIN=local PATH="/usr/local/go/bin:$PATH"

if [[ $EUID -ne 0 ]]; then
  echo "sandbox: must run as root (it creates network namespaces, a bridge and mount namespaces)" >&2
  exit 1
fi
missing=()
for tool in ip nsenter unshare go; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  echo "sandbox: missing tools: ${missing[*]} (Debian: apt-get install iproute2 util-linux; Go from go.dev in /usr/local/go)" >&2
  exit 1
fi

build="$here/build/build-binaries.sh"
started=$(date +%s)
bash "$build" all
echo "[sandbox build] binaries ready in $(( $(date +%s) - started ))s" >&2

# exec: the orchestrator itself receives Ctrl-C / SIGTERM and stops what it started, in order.
exec "$(bash "$build" path sandbox)" \
  --data-dir "${SANDBOX_DATA_DIR:-$repo/.sandbox}" \
  --etcd "$cache/bin/etcd-$ETCD_VERSION" \
  --kube-apiserver "$cache/bin/kube-apiserver-$KUBERNETES_VERSION" \
  --nodeagent "$(bash "$build" path nodeagent)" \
  --operator "$(bash "$build" path operator)"
