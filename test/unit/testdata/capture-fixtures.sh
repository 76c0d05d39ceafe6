#!/usr/bin/env bash
# Reproduces the real profile fixtures in this folder (see README.md): captures every pprof kind
# from the operator stand-in (test/sandbox/operator) and from a real etcd under a small write load.
# Needs Go (GOTOOLCHAIN=local), curl, python3 and the etcd built by test/sandbox/build/build-binaries.sh.
# Usage: capture-fixtures.sh [OUT_DIR]   (default: this folder)
set -euo pipefail
export GOTOOLCHAIN=local

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${ETCD_PROFILER_CACHE:-$HOME/.cache/etcd-profiler}
etcd_bin=${ETCD_BIN:-$cache/bin/etcd-v3.6.16}
out=${1:-$here}
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $1" >&2
  return 1
}

# capture NAME BASE_URL: the seven protobuf kinds and the two text goroutine dumps, plus a gzipped debug=2.
capture() {
  local name=$1 base=$2
  curl -fsS -o "$out/$name.cpu.pb.gz" "$base/profile?seconds=5"
  for kind in heap allocs goroutine block mutex threadcreate; do
    curl -fsS -o "$out/$name.$kind.pb.gz" "$base/$kind"
  done
  curl -fsS -o "$out/$name.goroutine-debug1.txt" "$base/goroutine?debug=1"
  curl -fsS -o "$out/$name.goroutine-debug2.txt" "$base/goroutine?debug=2"
  gzip -9 -n -c "$out/$name.goroutine-debug2.txt" > "$out/$name.goroutine-debug2.txt.gz"
}

# --- operator stand-in: start now, capture after etcd ------------------------------------------
(cd "$repo/test/sandbox/operator" && go build -o "$work/operator" .)
op_port=$(free_port)
OPENSHIFT_PROFILE=web "$work/operator" --pprof-address "127.0.0.1:$op_port" \
  --reconcile-interval 200ms --mem-profile-rate 4096 2> "$work/operator.log" &
pids+=($!)
op="http://127.0.0.1:$op_port"
wait_http "$op/parked"
started=$SECONDS

# --- etcd --------------------------------------------------------------------------------------
client_port=$(free_port)
peer_port=$(free_port)
"$etcd_bin" --name fixture --data-dir "$work/etcd" --enable-pprof --log-level warn \
  --listen-client-urls "http://127.0.0.1:$client_port" --advertise-client-urls "http://127.0.0.1:$client_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "fixture=http://127.0.0.1:$peer_port" 2> "$work/etcd.log" &
pids+=($!)
etcd="http://127.0.0.1:$client_port"
wait_http "$etcd/health"

# put COUNT PREFIX: COUNT puts through the gRPC gateway, four at a time.
put() {
  seq "$1" | xargs -P 4 -I{} sh -c '
    key=$(printf "/registry/fixtures/%s-{}" "$2" | base64 -w0)
    value=$(head -c 512 /dev/urandom | base64 -w0)
    curl -fsS -o /dev/null -X POST "$1/v3/kv/put" -d "{\"key\":\"$key\",\"value\":\"$value\"}"' _ "$etcd" "$2"
}
put 300 warm
put 400 load & load=$!  # load while the CPU profile runs
curl -fsS -o "$out/etcd.cpu.pb.gz" "$etcd/debug/pprof/profile?seconds=5"
wait "$load"
curl -fsS -X POST "$etcd/v3/kv/range" -d "{\"key\":\"$(printf /registry/ | base64 -w0)\",\"range_end\":\"$(printf /registry0 | base64 -w0)\",\"count_only\":true}"
echo
for kind in heap allocs goroutine block mutex threadcreate; do
  curl -fsS -o "$out/etcd.$kind.pb.gz" "$etcd/debug/pprof/$kind"
done
curl -fsS -o "$out/etcd.goroutine-debug1.txt" "$etcd/debug/pprof/goroutine?debug=1"
curl -fsS -o "$out/etcd.goroutine-debug2.txt" "$etcd/debug/pprof/goroutine?debug=2"
gzip -9 -n -c "$out/etcd.goroutine-debug2.txt" > "$out/etcd.goroutine-debug2.txt.gz"

# --- operator capture -----------------------------------------------------------------------
# Past one minute the standing goroutines' headers carry a wait time ("[chan receive, 1 minutes]").
while (( SECONDS - started < 75 )); do sleep 1; done
# Goroutines parked on request show as their own groups in the dumps (main.parkedOnRequest).
curl -fsS -X POST "$op/park?n=100&state=chan" > /dev/null
curl -fsS -X POST "$op/park?n=20&state=mutex" > /dev/null
curl -fsS -X POST "$op/park?n=5&state=io" > /dev/null
capture operator "$op/debug/pprof"
head -n 3 "$work/operator.log"

ls -l "$out"
