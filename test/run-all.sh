#!/usr/bin/env bash
# `npm test`, on a fresh clone of a Debian/Ubuntu machine (as root): first the set-up the chosen phases need —
# Debian packages (scripts/setup-machine.sh), `npm ci` when node_modules is missing or older than
# package-lock.json, the cached Go builds (sandbox, kubectl), code-server (a first install runs in the background
# until the e2e phase needs it) — then lint, build and package the
# extension, unit tests, the sandbox's Go tests, and, against a sandbox cluster started here (or one already
# running from `npm run sandbox`), integration, end-to-end and hardening tests; under CI=true also the CPU-bound
# benches with --strict. Prints a summary with the time and test counts of each phase; exits non-zero when any
# phase fails.
#   env: TEST_ONLY         space-separated phases to run (setup lint build package unit sandbox integration e2e
#                          hardening bench); an unknown name is an error. The set-up they need always runs.
#        CI=true           no test may skip (a skip fails its phase), and the bench phase runs by default
#        ETCD_PROFILER_CACHE  the build cache (default ~/.cache/etcd-profiler)
#        SANDBOX_TIMEOUT   seconds to wait for the sandbox to be ready (default 2700: a cold build is slow)
#        SANDBOX_DATA_DIR  the sandbox's data dir (default .sandbox), exported to the tests
# Every node:test test is bounded (--test-timeout per phase, unless the test sets its own timeout), and the
# counts come from test/counts-reporter.ts, which also sees skipped describes (node:test's own "skipped" leaves
# their tests out): a skipped describe fails its phase. A phase whose files match nothing, or that ran no test,
# fails.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export ETCD_PROFILER_CACHE="${ETCD_PROFILER_CACHE:-$HOME/.cache/etcd-profiler}"
export GOTOOLCHAIN=local
# Node 24 from node_modules, Go from /usr/local/go; the cache's kubectl (built only where the machine has none)
# after the machine's own.
export PATH="$repo/node_modules/.bin:/usr/local/go/bin:$PATH:$ETCD_PROFILER_CACHE/path"
export SANDBOX_DATA_DIR="${SANDBOX_DATA_DIR:-$repo/.sandbox}"
results="$repo/test-results"
logs="$results/logs"
mkdir -p "$logs"
rm -f "$results/summary.txt"
shopt -s globstar nullglob
ci=0
[[ "${CI:-}" == true || "${CI:-}" == 1 ]] && ci=1

# ---- which phases ----
all_phases=(setup lint build package unit sandbox integration e2e hardening bench)
if [[ -n "${TEST_ONLY:-}" ]]; then
  read -r -a chosen <<<"$TEST_ONLY"
  for name in "${chosen[@]}"; do
    if [[ " ${all_phases[*]} " != *" $name "* ]]; then
      echo "run-all: unknown phase '$name' in TEST_ONLY (phases: ${all_phases[*]})" >&2
      exit 2
    fi
  done
else
  chosen=(setup lint build package unit sandbox integration e2e hardening)
  ((ci)) && chosen+=(bench)
fi
wanted() { [[ " ${chosen[*]} " == *" $1 "* ]]; }
wants_any() { local p; for p in "$@"; do wanted "$p" && return 0; done; return 1; }

# The e2e tests install dist/etcd-profiler.vsix: when it is missing or older than a source, build and package
# first (even under TEST_ONLY=e2e), rather than test a stale package.
vsix="$repo/dist/etcd-profiler.vsix"
if wanted e2e && ! wanted package; then
  newer=""
  if [[ ! -f "$vsix" ]]; then
    newer="(no package yet)"
  else
    newer="$(find src webview media syntaxes package.json package-lock.json tsconfig.json scripts/build.mjs -newer "$vsix" -type f -print -quit 2>/dev/null)"
  fi
  if [[ -n "$newer" ]]; then
    echo "run-all: $vsix is stale ($newer is newer): building and packaging it before the e2e tests"
    chosen+=(build package)
  fi
fi

# The phases that run tests: each must leave counts (test/counts-reporter.ts, test/go-test-counts.ts).
test_phases=(unit sandbox integration e2e hardening)
summary=()
failed_phases=()
total_pass=0 total_fail=0 total_skip=0

# phase NAME COMMAND...: runs the command with its output both shown and kept in test-results/logs/NAME.log.
# The command may leave test counts in test-results/logs/NAME.counts.json (see test/counts-reporter.ts).
phase() {
  local name="$1"; shift
  local log="$logs/$name.log" start=$SECONDS rc
  rm -f "$logs/$name.counts.json"
  printf '\n==> %s: %s\n' "$name" "$*"
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  record "$name" "$rc" "$((SECONDS - start))" "$logs/$name.counts.json"
}

# record NAME RC SECONDS [COUNTS]: adds a summary line; adds the counts of a test phase to the totals and fails
# the phase when it ran no test, hid tests in a skipped describe, or skipped any under CI=true.
record() {
  local name="$1" rc="$2" secs="$3" counts_file="${4:-}" counts="" why=()
  if [[ " ${test_phases[*]} " == *" $name "* && -n "$counts_file" ]]; then
    if [[ -s "$counts_file" ]]; then
      local p f s suites names
      read -r p f s suites < <(node -e '
        const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        console.log(c.pass, c.fail, c.skip + c.todo, c.skippedSuites.length)' "$counts_file")
      names="$(node -e '
        const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        for (const s of c.skippedSuites) console.log(`  skipped describe: ${s}`);
        for (const s of c.skipped ?? []) console.log(`  skipped: ${s}`);
        for (const s of c.failedHooks) console.log(`  failed outside a test (hook, load or build): ${s}`);' "$counts_file")"
      [[ -n "$names" ]] && printf '%s\n' "$names"
      total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
      counts=" ($p passed, $f failed, $s skipped)"
      ((p + f + s == 0)) && why+=("it ran no test")
      ((suites > 0)) && why+=("$suites skipped describe(s) hide how many tests they hold: skip tests one by one, not a describe")
      ((ci && s > 0)) && why+=("$s test(s) skipped under CI=true, where nothing may skip")
    elif [[ "$rc" == 0 ]]; then
      why+=("it left no test counts in $counts_file")
    fi
  fi
  local status=ok
  if ((rc != 0)); then
    status="FAILED (exit $rc)"
  elif ((${#why[@]})); then
    status="FAILED"
  fi
  if [[ "$status" != ok ]]; then
    failed_phases+=("$name")
    local w
    for w in "${why[@]}"; do echo "==> $name FAILED: $w"; done
  fi
  summary+=("$(printf '%-12s %-16s %5ss%s' "$name" "$status" "$secs" "$counts")")
  [[ "$status" == ok ]]
}

# node_tests NAME TIMEOUT_MS GLOB...: runs the node:test files matching the globs, one file at a time (the machine
# has 2 cores). TIMEOUT_MS bounds each test, hook and describe that sets no timeout of its own.
node_tests() {
  local name="$1" timeout="$2"; shift 2
  local files=() glob
  for glob in "$@"; do
    # shellcheck disable=SC2206
    files+=($glob)
  done
  if ((${#files[@]} == 0)); then
    printf '\n==> %s: no test file matches %s\n' "$name" "$*"
    record "$name" 1 0
    return 1
  fi
  phase "$name" node --test --test-concurrency=1 --test-timeout="$timeout" --test-force-exit \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter="$repo/test/counts-reporter.ts" --test-reporter-destination="$logs/$name.counts.json" \
    "${files[@]}"
}

# The sandbox's Go tests (test/sandbox and its nested modules), the full start/stop test included: it needs
# root and the built binaries, which the set-up built.
go_tests() {
  local rc=0 mod
  for mod in test/sandbox test/sandbox/nodeagent test/sandbox/operator; do
    # In a session of its own: the tests start and signal process groups, and a stray group signal must not
    # reach this script.
    (cd "$mod" && GOFLAGS=-mod=mod SANDBOX_START_TEST=1 setsid --wait go test -json -count=1 -timeout=10m ./... </dev/null) || rc=1
  done
  return "$rc"
}
sandbox_go_tests() {
  local rc
  go_tests 2>&1 | node test/go-test-counts.ts "$logs/sandbox.counts.json"
  rc=("${PIPESTATUS[@]}")
  ((rc[0] || rc[1])) && return 1
  return 0
}

# ---- the set-up the chosen phases need ----
setup_step() {
  local what="$1"; shift
  local start=$SECONDS
  printf -- '--- set-up: %s\n' "$what"
  if ! "$@"; then
    echo "--- set-up: $what FAILED"
    return 1
  fi
  printf -- '--- set-up: %s: %ss\n' "$what" "$((SECONDS - start))"
}
needs_npm_ci() {
  [[ ! -x node_modules/node/bin/node || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]
}
setup() {
  local machine=build
  wants_any setup unit sandbox integration e2e hardening bench && machine=test
  setup_step "Debian packages, Go, kubectl (scripts/setup-machine.sh $machine)" bash scripts/setup-machine.sh "$machine" || return 1
  if needs_npm_ci; then
    # --loglevel=error: npm itself runs on the machine's Node, which may be older than the engines it installs.
    setup_step "npm ci (node_modules missing or older than package-lock.json)" npm ci --no-audit --no-fund --loglevel=error || return 1
  fi
  local node_version
  node_version="$(node --version 2>/dev/null || true)"
  if [[ "$node_version" != v24.* ]]; then
    echo "node on PATH is '${node_version:-missing}', need Node 24 from node_modules: 'npm ci' did not bring it" >&2
    return 1
  fi
  if wants_any setup unit sandbox integration e2e hardening; then
    setup_step "sandbox binaries (test/sandbox/build/build-binaries.sh, cached in $ETCD_PROFILER_CACHE/bin)" \
      bash test/sandbox/build/build-binaries.sh || return 1
  fi
  # With e2e to run, code-server is installed by start_code_server, after this phase.
  if wanted setup && ! wanted e2e; then
    setup_step "code-server (scripts/code-server.sh, cached)" bash -c 'bash scripts/code-server.sh >/dev/null' || return 1
  fi
  return 0
}

# code-server for the e2e phase. A first install downloads and builds native modules for minutes: it runs in the
# background (niced) while lint, build, unit and integration run, and the e2e phase waits for it (wait_code_server).
code_server_pid=""
code_server_log="$logs/code-server-install.log"
start_code_server() {
  wanted e2e || return 0
  bash scripts/code-server.sh --check 2>/dev/null && return 0
  printf -- '--- set-up: code-server (scripts/code-server.sh) installs in the background, log %s; e2e waits for it\n' "$code_server_log"
  nice -n 10 bash scripts/code-server.sh >"$code_server_log" 2>&1 </dev/null &
  code_server_pid=$!
}
# Waits for the background install, if one was started; says how long, and fails (showing the end of its log) when
# it failed.
wait_code_server() {
  [[ -n "$code_server_pid" ]] || return 0
  local start=$SECONDS rc
  printf '\n==> e2e: waiting for the code-server install started in the set-up (log: %s)\n' "$code_server_log"
  wait "$code_server_pid"; rc=$?
  code_server_pid=""
  echo "code-server install finished (exit $rc) after waiting $((SECONDS - start))s"
  if ((rc != 0)); then
    tail -40 "$code_server_log"
    return 1
  fi
}

# ---- the sandbox ----
sandbox_pid=""
sandbox_log="$logs/sandbox-cluster.log"

sandbox_running() {
  local info="$SANDBOX_DATA_DIR/info.json" pid
  [[ -f "$info" ]] || return 1
  pid="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).pid ?? "")' "$info" 2>/dev/null)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

start_sandbox() {
  local start=$SECONDS timeout="${SANDBOX_TIMEOUT:-2700}"
  printf '\n==> cluster: npm run sandbox (log: %s)\n' "$sandbox_log"
  if sandbox_running; then
    echo "a sandbox is already running ($SANDBOX_DATA_DIR/info.json): using it, and leaving it running"
    record cluster 0 0
    return 0
  fi
  rm -f "$SANDBOX_DATA_DIR/info.json"
  # Its own process group, so stop_sandbox can signal everything it started.
  setsid bash test/sandbox/run.sh >"$sandbox_log" 2>&1 </dev/null &
  sandbox_pid=$!
  local last_report=$SECONDS
  while [[ ! -f "$SANDBOX_DATA_DIR/info.json" ]]; do
    if ! kill -0 "$sandbox_pid" 2>/dev/null; then
      wait "$sandbox_pid"; local rc=$?
      echo "the sandbox exited (status $rc) before it was ready; the end of its log:"
      tail -60 "$sandbox_log"
      sandbox_pid=""
      record cluster "$((rc == 0 ? 1 : rc))" "$((SECONDS - start))"
      return 1
    fi
    if ((SECONDS - start > timeout)); then
      echo "the sandbox was not ready after ${timeout}s (SANDBOX_TIMEOUT); the end of its log:"
      tail -60 "$sandbox_log"
      record cluster 1 "$((SECONDS - start))"
      return 1
    fi
    if ((SECONDS - last_report >= 60)); then
      echo "  ... $((SECONDS - start))s: $(tail -1 "$sandbox_log")"
      last_report=$SECONDS
    fi
    sleep 1
  done
  echo "sandbox ready after $((SECONDS - start))s"
  record cluster 0 "$((SECONDS - start))"
}

stop_sandbox() {
  [[ -n "$sandbox_pid" ]] || return 0
  local pid="$sandbox_pid"; sandbox_pid=""
  echo "stopping the sandbox (process group $pid)"
  kill -TERM -- "-$pid" 2>/dev/null
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "the sandbox did not stop within 60s after SIGTERM: killing its process group" >&2
  fi
  kill -KILL -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

print_summary() {
  printf '\n==> summary (logs in %s)\n' "$logs"
  printf '  %s\n' "${summary[@]}"
  [[ -f "$results/hardening/summary.txt" ]] && wanted hardening && sed 's/^/  /' "$results/hardening/summary.txt"
  # The plain closing line: every test of this run (node:test and go test).
  echo "tests: $total_pass passed, $total_fail failed, $total_skip skipped" | tee "$results/summary.txt"
}

on_exit() {
  trap '' PIPE # whatever read our output may be gone (Ctrl-C): stop the sandbox regardless
  stop_sandbox
  # An install still running (the run ended before e2e) is stopped; it left no marker, so the next run redoes it.
  [[ -n "$code_server_pid" ]] && pkill -TERM -P "$code_server_pid" 2>/dev/null && kill -TERM "$code_server_pid" 2>/dev/null
  return 0
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---- the phases ----
printf '==> phases: %s%s\n' "${chosen[*]}" "$( ((ci)) && echo ' (CI=true: nothing may skip)')"
if ! phase setup setup; then
  print_summary
  echo "FAILED: the set-up; nothing else ran"
  exit 1
fi
start_code_server
built=1
wanted lint && phase lint npm run --silent lint
wanted build && { phase build npm run --silent build || built=0; }
wanted package && { phase package npm run --silent package || built=0; }
wanted unit && node_tests unit 600000 "test/unit/**/*.test.ts"
wanted sandbox && phase sandbox sandbox_go_tests

if wants_any integration e2e hardening; then
  if start_sandbox; then
    wanted integration && node_tests integration 600000 "test/integration/*.test.ts"
    if wanted e2e; then
      if ((!built)); then
        printf '\n==> e2e: not run, the extension did not build or package\n'
        record e2e 1 0
      elif ! wait_code_server; then
        printf '\n==> e2e: not run, code-server did not install\n'
        record e2e 1 0
      else
        node_tests e2e 600000 "test/e2e/*.e2e.ts"
      fi
    fi
    if wanted hardening; then
      NODE_TEST_FLAGS="--test-timeout=600000 --test-force-exit --test-reporter=spec --test-reporter-destination=stdout --test-reporter=$repo/test/counts-reporter.ts --test-reporter-destination=$logs/hardening.counts.json" \
        phase hardening bash test/hardening/run.sh
    fi
  else
    for p in integration e2e hardening; do wanted "$p" && record "$p" 1 0; done
  fi
fi
stop_sandbox

# The CPU-bound benches, held to their goals (--strict): profile-model's top against `go tool pprof -top` (its
# panicparse command comparison takes minutes under load; goroutines.bench.ts holds that goal against
# panicparse's library), the worker's grouping of 100k goroutines, the flame graph's render.
wanted bench && PANICPARSE_RUNS=0 phase bench node test/bench/run.ts --strict profile-model goroutines flame-render

print_summary
if ((${#failed_phases[@]})); then
  echo "FAILED: ${failed_phases[*]}"
  exit 1
fi
echo "all phases passed"
