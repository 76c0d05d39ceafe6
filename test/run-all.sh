#!/usr/bin/env bash
# `npm test`: lint, build and package the extension, unit tests, then — against a sandbox cluster started
# here (or one already running from `npm run sandbox`) — integration and end-to-end tests.
# Prints a summary with the time of each phase; exits non-zero when any phase fails.
#   env: SANDBOX_TIMEOUT   seconds to wait for the sandbox to be ready (default 2700: a cold build is slow)
#        SANDBOX_DATA_DIR  the sandbox's data dir (default .sandbox), exported to the tests
#        TEST_ONLY         space-separated phases to run (lint build package unit integration e2e hardening);
#                          integration and e2e start the sandbox
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export PATH="$repo/node_modules/.bin:$PATH"
results="$repo/test-results"
logs="$results/logs"
mkdir -p "$logs"
export SANDBOX_DATA_DIR="${SANDBOX_DATA_DIR:-$repo/.sandbox}"
shopt -s globstar nullglob

node_version="$(node --version 2>/dev/null || true)"
if [[ "$node_version" != v24.* ]]; then
  echo "run-all: node on PATH is '${node_version:-missing}', need Node 24 from node_modules (run 'npm ci')" >&2
  exit 1
fi

summary=()
failed_phases=()
total_pass=0 total_fail=0 total_skip=0

wanted() { [[ -z "${TEST_ONLY:-}" || " $TEST_ONLY " == *" $1 "* ]]; }

# phase NAME COMMAND...: runs the command with its output both shown and kept in test-results/logs/NAME.log.
phase() {
  local name="$1"; shift
  local log="$logs/$name.log" start=$SECONDS rc
  printf '\n==> %s: %s\n' "$name" "$*"
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  record "$name" "$rc" "$((SECONDS - start))" "$log"
  return "$rc"
}

# record NAME RC SECONDS [LOG]: adds a summary line; counts node:test results found in the log.
record() {
  local name="$1" rc="$2" secs="$3" log="${4:-}" counts=""
  if [[ -n "$log" && -f "$log" ]] && grep -q '^ℹ pass ' "$log"; then
    local p f s
    p="$(awk '/^ℹ pass /{n+=$3} END{print n+0}' "$log")"
    f="$(awk '/^ℹ (fail|cancelled) /{n+=$3} END{print n+0}' "$log")"
    s="$(awk '/^ℹ (skipped|todo) /{n+=$3} END{print n+0}' "$log")"
    total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
    counts=" ($p passed, $f failed, $s skipped)"
  fi
  local status=ok
  if [[ "$rc" == skip ]]; then status=skipped; elif ((rc != 0)); then status="FAILED (exit $rc)"; failed_phases+=("$name"); fi
  summary+=("$(printf '%-12s %-16s %5ss%s' "$name" "$status" "$secs" "$counts")")
}

# node_tests NAME GLOB: runs node:test files matching GLOB, one file at a time (the machine has 2 cores).
node_tests() {
  local name="$1" glob="$2"
  local files=()
  # shellcheck disable=SC2206
  files=($glob)
  if ((${#files[@]} == 0)); then
    printf '\n==> %s: no test files match %s\n' "$name" "$glob"
    record "$name" skip 0
    return 0
  fi
  phase "$name" node --test --test-reporter=spec --test-concurrency=1 "${files[@]}"
}

# ---- the sandbox ----
sandbox_pid=""
sandbox_log="$logs/sandbox.log"

sandbox_running() {
  local info="$SANDBOX_DATA_DIR/info.json" pid
  [[ -f "$info" ]] || return 1
  pid="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).pid ?? "")' "$info" 2>/dev/null)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

start_sandbox() {
  local start=$SECONDS timeout="${SANDBOX_TIMEOUT:-2700}"
  printf '\n==> sandbox: npm run sandbox (log: %s)\n' "$sandbox_log"
  if sandbox_running; then
    echo "a sandbox is already running ($SANDBOX_DATA_DIR/info.json): using it, and leaving it running"
    record sandbox 0 0
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
      record sandbox "$((rc == 0 ? 1 : rc))" "$((SECONDS - start))"
      return 1
    fi
    if ((SECONDS - start > timeout)); then
      echo "the sandbox was not ready after ${timeout}s (SANDBOX_TIMEOUT); the end of its log:"
      tail -60 "$sandbox_log"
      record sandbox 1 "$((SECONDS - start))"
      return 1
    fi
    if ((SECONDS - last_report >= 60)); then
      echo "  ... $((SECONDS - start))s: $(tail -1 "$sandbox_log")"
      last_report=$SECONDS
    fi
    sleep 1
  done
  echo "sandbox ready after $((SECONDS - start))s"
  record sandbox 0 "$((SECONDS - start))"
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
  [[ -f "$results/hardening/summary.txt" ]] && sed 's/^/  /' "$results/hardening/summary.txt"
  # The plain closing line: every node:test result of this run.
  echo "tests: $total_pass passed, $total_fail failed, $total_skip skipped" | tee "$results/summary.txt"
}

on_exit() {
  trap '' PIPE # whatever read our output may be gone (Ctrl-C): stop the sandbox regardless
  stop_sandbox
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# ---- the phases ----
built=1
wanted lint && { phase lint npm run --silent lint || true; }
wanted build && { phase build npm run --silent build || built=0; }
wanted package && { phase package npm run --silent package || built=0; }
wanted unit && node_tests unit "test/unit/**/*.test.ts"

if wanted integration || wanted e2e || wanted hardening; then
  if start_sandbox; then
    wanted integration && node_tests integration "test/integration/*.test.ts"
    if wanted e2e; then
      if ((built)); then
        node_tests e2e "test/e2e/*.e2e.ts"
      else
        printf '\n==> e2e: not run, the extension did not build or package\n'
        record e2e 1 0
      fi
    fi
    wanted hardening && phase hardening bash test/hardening/run.sh
  else
    wanted integration && record integration 1 0
    wanted e2e && record e2e 1 0
  fi
fi
stop_sandbox

print_summary
if ((${#failed_phases[@]})); then
  echo "FAILED: ${failed_phases[*]}"
  exit 1
fi
echo "all phases passed"
