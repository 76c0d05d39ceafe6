#!/usr/bin/env bash
# `npm run demo`: builds and packages the extension, starts the sandbox cluster, installs code-server (cached)
# with the packaged extension, and serves VS Code on http://127.0.0.1:<port>/ with the sandbox's kubeconfig and
# this repository as the workspace. code-server runs as your user (root, for the sandbox) and serves a terminal, so
# it asks for a random password, printed with the URL. Ctrl-C stops everything it started.
#   env: DEMO_PORT (default 8080, else a free port), DEMO_PASSWORD (default: random), SANDBOX_TIMEOUT (seconds, default 2700)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export PATH="$repo/node_modules/.bin:$PATH"
export ETCD_PROFILER_CACHE="${ETCD_PROFILER_CACHE:-$HOME/.cache/etcd-profiler}"
export SANDBOX_DATA_DIR="${SANDBOX_DATA_DIR:-$repo/.sandbox}"
say() { printf '\n[demo] %s\n' "$*"; }

sandbox_pid="" server_pid="" demo_dir=""
cleanup() {
  trap - EXIT INT TERM
  # Ctrl-C may have killed whatever reads our output (a pipe to tee): finish the clean-up regardless.
  set +e
  trap '' PIPE
  if [[ -n "$server_pid" ]]; then
    say "stopping code-server"
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    kill -KILL -- "-$server_pid" 2>/dev/null || true
  fi
  if [[ -n "$sandbox_pid" ]]; then
    say "stopping the sandbox"
    kill -TERM -- "-$sandbox_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$sandbox_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  [[ -n "$demo_dir" ]] && rm -rf "$demo_dir"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ! -x node_modules/node/bin/node ]]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
say "checking machine prerequisites"
bash scripts/setup-machine.sh demo

say "building and packaging the extension"
npm run --silent build
npm run --silent package
vsix="$repo/dist/etcd-profiler.vsix"

say "installing code-server into $ETCD_PROFILER_CACHE (once)"
cs="$(bash scripts/code-server.sh)"
node24="$(sed -n 's/^NODE=//p' <<<"$cs")"
entry="$(sed -n 's/^ENTRY=//p' <<<"$cs")"

demo_dir="$(mktemp -d /tmp/etcd-profiler-demo.XXXXXX)"
say "starting the sandbox cluster (the first run builds Kubernetes and etcd from Go modules: many minutes)"
rm -f "$SANDBOX_DATA_DIR/info.json"
# Its own session and a log file, not a pipe: Ctrl-C must reach only this script, whose clean-up stops the
# sandbox in order (a pipe reader killed by Ctrl-C would take the sandbox down with SIGPIPE half-way).
sandbox_log="$demo_dir/sandbox.log"
setsid bash test/sandbox/run.sh >"$sandbox_log" 2>&1 </dev/null &
sandbox_pid=$!
start=$SECONDS shown=0
show_sandbox_log() {
  local total
  total="$(wc -l <"$sandbox_log")"
  ((total > shown)) && sed -n "$((shown + 1)),${total}p" "$sandbox_log" | sed 's/^/[sandbox] /'
  shown=$total
}
until [[ -f "$SANDBOX_DATA_DIR/info.json" ]]; do
  show_sandbox_log
  if ! kill -0 "$sandbox_pid" 2>/dev/null; then
    show_sandbox_log
    sandbox_pid=""
    say "the sandbox stopped before it was ready (see its output above)"
    exit 1
  fi
  if ((SECONDS - start > ${SANDBOX_TIMEOUT:-2700})); then
    say "the sandbox was not ready after ${SANDBOX_TIMEOUT:-2700}s"
    exit 1
  fi
  sleep 1
done
sleep 1
show_sandbox_log

mkdir -p "$demo_dir/user-data/User" "$demo_dir/user-data/Machine" "$demo_dir/extensions"
# A fresh captures folder per run: the sandbox's pods have the same names every run, and captures of an earlier
# run's pods would look like this run's. Kept after the demo stops (its path is printed below).
captures="$(mktemp -d /tmp/etcd-profiler-demo-captures.XXXXXX)"
# The settings the end-to-end tests use too (scripts/code-server-settings.json), plus the captures folder.
"$repo/node_modules/node/bin/node" -e '
  const fs = require("fs");
  const s = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  s["etcdProfiler.capturesFolder"] = process.argv[2];
  fs.writeFileSync(process.argv[3], JSON.stringify(s, null, 2));
  fs.writeFileSync(process.argv[4], JSON.stringify(s, null, 2)); // code-server reads machine-scoped settings here
' "$repo/scripts/code-server-settings.json" "$captures" "$demo_dir/user-data/User/settings.json" "$demo_dir/user-data/Machine/settings.json"
dirs=(--user-data-dir "$demo_dir/user-data" --extensions-dir "$demo_dir/extensions")
say "installing $vsix into code-server"
PATH="$(dirname "$node24"):$PATH" "$node24" "$entry" "${dirs[@]}" --install-extension "$vsix" >/dev/null

port="${DEMO_PORT:-8080}"
if ! "$node24" -e 'const s=require("net").createServer();s.once("error",()=>process.exit(1));s.listen(+process.argv[1],"127.0.0.1",()=>s.close())' "$port"; then
  port="$("$node24" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
fi
password="${DEMO_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')}"
PASSWORD="$password" KUBECONFIG="$SANDBOX_DATA_DIR/kubeconfig" PATH="$(dirname "$node24"):$PATH" \
  setsid "$node24" "$entry" --auth password --bind-addr "127.0.0.1:$port" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override --ignore-last-opened "${dirs[@]}" "$repo" \
  >"$demo_dir/code-server.log" 2>&1 </dev/null &
server_pid=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$demo_dir/code-server.log"; say "code-server did not start"; exit 1; }
  sleep 1
done

cat <<EOF

  etcd Profiler demo is running.
    VS Code (code-server):  http://127.0.0.1:$port/
    password:               $password
    kubeconfig:             $SANDBOX_DATA_DIR/kubeconfig  (kubectl --kubeconfig $SANDBOX_DATA_DIR/kubeconfig get pods -A)
    captures:               $captures  (this run's only; kept when the demo stops)
  Open the etcd Profiler icon in the activity bar. On a remote machine: ssh -L $port:127.0.0.1:$port <host>
  Press Ctrl-C to stop code-server and the sandbox.
EOF
wait "$server_pid"
