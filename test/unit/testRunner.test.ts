// The guards of `npm test` itself (test/run-all.sh) and of `npm run bench -- --strict`, on real runs: node:test
// with test/counts-reporter.ts over small test files written here, `go test -json` of a small Go module through
// test/go-test-counts.ts, run-all.sh with an unknown TEST_ONLY name, and a bench goal missed under --strict.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '..', '..');
let dir = '';

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ep-test-runner-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Counts {
  pass: number;
  fail: number;
  skip: number;
  todo: number;
  skippedSuites: string[];
  failedHooks: string[];
}

function nodeTestCounts(files: Record<string, string>, timeoutMs = 2000): { counts: Counts; status: number | null } {
  const sub = mkdtempSync(path.join(dir, 'node-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(sub, name), text);
  const out = path.join(sub, 'counts.json');
  const r = spawnSync(
    process.execPath,
    ['--test', `--test-timeout=${timeoutMs}`, '--test-force-exit', `--test-reporter=${path.join(repo, 'test', 'counts-reporter.ts')}`, `--test-reporter-destination=${out}`, ...Object.keys(files)],
    // Without NODE_TEST_CONTEXT, which would make that runner report to this one instead of to the reporter.
    { cwd: sub, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
  );
  return { counts: JSON.parse(readFileSync(out, 'utf8')) as Counts, status: r.status };
}

test('counts: a skipped describe is listed (node:test counts none of its tests), skips and todos are counted', () => {
  const { counts, status } = nodeTestCounts({
    'a.test.mjs': `import { describe, test } from 'node:test';
describe('needs busybox', { skip: 'no busybox' }, () => { test('one', () => {}); test('two', () => {}); });
test('skipped', { skip: true }, () => {});
test('skipped at run time', (t) => t.skip('later'));
test('todo', { todo: true }, () => {});
test('passes', () => {});
`,
  });
  assert.equal(status, 0);
  assert.deepEqual({ ...counts, skippedSuites: counts.skippedSuites.map((s) => s.replace(/ \(.*\)$/, '')) }, {
    pass: 1, fail: 0, skip: 2, todo: 1, skippedSuites: ['needs busybox'], failedHooks: [],
  });
});

test('counts: a hung test and a hung hook fail at --test-timeout, and the next test still runs', () => {
  const t0 = Date.now();
  const { counts, status } = nodeTestCounts({
    'b.test.mjs': `import { after, before, describe, test } from 'node:test';
test('hangs', () => new Promise(() => {}));
describe('before hangs', () => { before(() => new Promise(() => setInterval(() => {}, 1000))); test('never reached', () => {}); });
describe('after throws', () => { after(() => { throw new Error('boom'); }); test('passes first', () => {}); });
test('runs after the hangs', () => {});
`,
  }, 1000);
  assert.notEqual(status, 0);
  // hangs, never reached (cancelled with its describe), the describe whose after hook threw
  assert.equal(counts.fail, 3, JSON.stringify(counts));
  assert.equal(counts.pass, 2, JSON.stringify(counts));
  assert.deepEqual(counts.failedHooks.map((s) => s.replace(/ \(.*\)$/, '')), ['after throws']);
  assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
});

test('go test -json counts: passes, skips and failures of tests and subtests, a package that does not build', () => {
  const mod = path.join(dir, 'gomod');
  mkdirSync(path.join(mod, 'broken'), { recursive: true });
  writeFileSync(path.join(mod, 'go.mod'), 'module example.invalid/counts\n\ngo 1.24\n');
  writeFileSync(path.join(mod, 'a_test.go'), `package counts

import "testing"

func TestPasses(t *testing.T) {}
func TestSkips(t *testing.T) { t.Skip("needs root") }
func TestFails(t *testing.T) { t.Error("wrong") }
func TestSubtests(t *testing.T) {
	t.Run("one", func(t *testing.T) {})
	t.Run("two", func(t *testing.T) {})
}
`);
  writeFileSync(path.join(mod, 'broken', 'b_test.go'), 'package broken\n\nfunc TestX(t *testing.T) { undefined() }\n');
  const go = spawnSync('bash', ['-c', 'go test -json -count=1 ./... 2>&1 | node "$0" "$1"', path.join(repo, 'test', 'go-test-counts.ts'), path.join(mod, 'counts.json')], {
    cwd: mod, encoding: 'utf8', timeout: 5 * 60_000,
    env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '', PATH: `${path.dirname(process.execPath)}:/usr/local/go/bin:${process.env.PATH ?? ''}` },
  });
  assert.notEqual(go.status, 0, go.stdout);
  const counts = JSON.parse(readFileSync(path.join(mod, 'counts.json'), 'utf8')) as Counts & { skipped: string[] };
  // TestPasses, TestSubtests and its two subtests pass; TestFails and the package that does not build fail
  assert.equal(counts.pass, 4, go.stdout);
  assert.equal(counts.fail, 2, go.stdout);
  assert.equal(counts.skip, 1, go.stdout);
  assert.deepEqual(counts.skipped, ['example.invalid/counts.TestSkips']);
  assert.deepEqual(counts.failedHooks, ['package example.invalid/counts/broken']);
  assert.match(go.stdout, /go tests: 4 passed, 2 failed, 1 skipped/);
});

test('npm test: an unknown TEST_ONLY phase is an error, before any set-up', () => {
  const r = spawnSync('bash', [path.join(repo, 'test', 'run-all.sh')], { encoding: 'utf8', env: { ...process.env, TEST_ONLY: 'unit integraton' }, timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown phase 'integraton' in TEST_ONLY \(phases: setup lint build package unit sandbox integration e2e hardening bench\)/);
});

test('bench goals: a missed goal fails only under --strict; an unknown bench name is an error', () => {
  const code = `import { goal } from ${JSON.stringify(path.join(repo, 'test', 'bench', 'goals.ts'))}; goal('x ≤ 1', false);`;
  const lax = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, BENCH_STRICT: '' } });
  assert.equal(lax.status, 0);
  assert.match(lax.stdout, /^GOAL NOT MET: x ≤ 1\n$/);
  const strict = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, BENCH_STRICT: '1' } });
  assert.equal(strict.status, 1);
  assert.match(strict.stdout, /GOAL NOT MET: x ≤ 1 \(--strict: this bench fails\)/);
  const unknown = spawnSync(process.execPath, [path.join(repo, 'test', 'bench', 'run.ts'), '--strict', 'no-such-bench'], { encoding: 'utf8' });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /no bench matches no-such-bench/);
});
