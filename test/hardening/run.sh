#!/usr/bin/env bash
# The hardening suite (issue 7): its test files one at a time against the running sandbox, then the summary
# lines (inputs fuzzed, faults survived, connections held, leaks found, key bytes found). Exits non-zero when a
# test fails or a figure falls short. Env: SANDBOX_DATA_DIR (the sandbox), FUZZ_SEED, HARDENING_RESULTS.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
export PATH="$repo/node_modules/.bin:$PATH"
export HARDENING_RESULTS="${HARDENING_RESULTS:-$repo/test-results/hardening}"
rm -f "$HARDENING_RESULTS/figures.jsonl" "$HARDENING_RESULTS/summary.txt"
# NODE_TEST_FLAGS: set by test/run-all.sh (per-test timeout, and a reporter that counts the results)
# shellcheck disable=SC2086
node --test ${NODE_TEST_FLAGS:---test-reporter=spec} --test-concurrency=1 \
  test/hardening/fuzz.test.ts test/hardening/hostile.test.ts test/hardening/faults.test.ts \
  test/hardening/load.test.ts test/hardening/keys.test.ts test/hardening/bundleFaults.test.ts
tests=$?
node test/hardening/summary.ts
figures=$?
exit $((tests != 0 ? tests : figures))
