// Goroutine dumps inside other text: a real dump (test/unit/dumpgen, built and run here) wrapped in `go test -v`
// output, in klog lines, indented and with GODEBUG=tracebackancestors=5 reads with the same goroutine count, states
// and groups as the dump alone; the line index still points at the headers of the wrapped text.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { indexGoroutineText } from '../../src/profile/goroutineIndex.ts';
import { groupHere } from '../../src/profile/goroutineWorkerClient.ts';
import { dumpTextOf, parseGoroutineDump, parseGoroutineText, type GoroutineDump } from '../../src/profile/goroutines.ts';
import { ProfileError } from '../../src/profile/errors.ts';
import { goBinary } from './pprof-reference.ts';

const run = promisify(execFile);
const GEN = join(import.meta.dirname, 'dumpgen');
let dir: string;
let bin: string;
const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ep-dumpgen-'));
  bin = join(dir, 'dumpgen');
  await run(goBinary(), ['build', '-o', bin, '.'], { cwd: GEN, env });
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** What a user sees of a dump: the count, the states, and each group's count, state, frames and creator. */
function shape(d: GoroutineDump) {
  return {
    format: d.format,
    goroutines: d.goroutines,
    states: { ...d.states },
    groups: d.groups.map((g) => ({ count: g.count, state: g.state, wait: g.waitMinutes, frames: g.frames, createdBy: g.createdBy })),
  };
}

function parse(text: string): GoroutineDump {
  const d = parseGoroutineText(text);
  assert.ok(d, 'no dump found');
  return d;
}

/** The wrapped text's index: a block per header, each starting on a line of the wrapped text that shows it. */
function assertIndexPointsIntoWrapped(wrapped: string, dump: GoroutineDump): void {
  const index = indexGoroutineText(dumpTextOf(wrapped), dump);
  const lines = wrapped.split('\n');
  assert.equal(index.starts.length, dump.goroutines);
  for (const line of index.starts) assert.match(lines[line], /goroutine \d+ \[.*\]:/);
  for (const line of index.groupLines) assert.ok(line >= 0 && /goroutine \d+ \[/.test(lines[line]));
}

function assertSameAsPlain(wrapped: string, plain: string): GoroutineDump {
  const inner = parse(plain);
  assert.equal(inner.unwrapped, undefined, 'the plain dump needs no unwrapping');
  const outer = parse(wrapped);
  assert.equal(outer.unwrapped, true);
  assert.ok(inner.goroutines >= 20, `the dump has ${inner.goroutines} goroutines`);
  assert.equal(outer.goroutines, (plain.match(/^goroutine \d+ \[/gm) ?? []).length, 'count = the headers of the dump alone');
  assert.deepEqual(shape(outer), shape(inner));
  assert.deepEqual(outer.groups.map((g) => g.ids), inner.groups.map((g) => g.ids));
  assertIndexPointsIntoWrapped(wrapped, outer);
  // The worker's code path (what the Goroutines view runs) reads it the same way.
  assert.deepEqual(shape(groupHere(wrapped, 'wrapped.txt').dump), shape(inner));
  return outer;
}

test('a dump logged with t.Log, in `go test -v` output', { timeout: 180_000 }, async () => {
  const out = join(dir, 'gotest.txt');
  const { stdout } = await run(goBinary(), ['test', '-count=1', '-v', '-run', 'TestLogDump', '.'], { cwd: GEN, env: { ...env, DUMP_OUT: out } });
  assert.match(stdout, /^=== RUN {3}TestLogDump$/m);
  assert.match(stdout, /^ {4}main_test\.go:\d+: goroutine \d+ \[running\]:$/m);
  assert.match(stdout, /^--- PASS: TestLogDump/m);
  assertSameAsPlain(stdout, readFileSync(out, 'utf8'));
});

test('a dump logged line by line in klog format', async () => {
  const out = join(dir, 'klog.txt');
  const { stderr } = await run(bin, ['klog', out]);
  assert.match(stderr.split('\n')[0], /^I\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ main\.go:\d+\] goroutine 1 \[running\]:$/);
  assertSameAsPlain(stderr, readFileSync(out, 'utf8'));
});

test('the CLI groups a wrapped dump like the plain one', async () => {
  const out = join(dir, 'klog-cli.txt');
  const wrapped = join(dir, 'klog-cli.log');
  const { stderr } = await run(bin, ['klog', out]);
  writeFileSync(wrapped, stderr);
  const cli = join(import.meta.dirname, '../../src/cli.ts');
  const [a, b] = await Promise.all([run(process.execPath, [cli, 'goroutines', wrapped, '--json']), run(process.execPath, [cli, 'goroutines', out, '--json'])]);
  assert.deepEqual(JSON.parse(a.stdout), JSON.parse(b.stdout));
  assert.ok(JSON.parse(a.stdout).goroutines >= 20);
});

test('a dump indented by four spaces', async () => {
  const out = join(dir, 'indent.txt');
  const { stdout } = await run(bin, ['indent', out]);
  assertSameAsPlain(stdout, readFileSync(out, 'utf8'));
});

test('GODEBUG=tracebackancestors=5: own stacks group as without it; ancestors are kept apart', async () => {
  const [withAncestors, without] = await Promise.all([
    run(bin, ['plain'], { env: { ...process.env, GODEBUG: 'tracebackancestors=5' } }),
    run(bin, ['plain'], { env: { ...process.env, GODEBUG: '' } }),
  ]);
  assert.match(withAncestors.stdout, /^\[originating from goroutine \d+\]:$/m);
  assert.doesNotMatch(without.stdout, /originating from/);
  const a = parse(withAncestors.stdout);
  const b = parse(without.stdout);
  assert.deepEqual(shape(a), shape(b));
  // The six workers of two different spawners are one group, created by main.spawner; each keeps its ancestors.
  const workers = a.groups.find((g) => g.frames.some((f) => f.function === 'main.worker'));
  assert.ok(workers);
  assert.equal(workers.count, 6);
  assert.equal(workers.createdBy?.function, 'main.spawner');
  assert.ok(workers.frames.every((f) => !f.function.startsWith('[')), 'no ancestor line among the frames');
  const ancestors = workers.ancestors ?? [];
  assert.ok(ancestors.length >= 2, `ancestors: ${JSON.stringify(ancestors)}`);
  assert.equal(ancestors[0].frames[0].function, 'main.spawner', 'nearest ancestor: the spawner that started it');
  assert.equal(ancestors[0].createdBy?.function, 'main.Start');
  assert.equal(ancestors[1].id, 1);
  assert.ok(ancestors[1].frames.some((f) => f.function === 'main.main'));
  assert.equal(b.groups.find((g) => g.frames.some((f) => f.function === 'main.worker'))?.ancestors, undefined);
});

test('text with no dump still fails with one clear sentence, wrapped or not', () => {
  for (const text of ['hello\nworld\n', 'I1203 10:11:12.123456   12345 main.go:3] started\n', '    x_test.go:3: nothing here\n']) {
    assert.throws(() => parseGoroutineDump(Buffer.from(text), 'notes.txt'), (err: unknown) =>
      err instanceof ProfileError && err.kind === 'not-goroutine-dump' && /notes\.txt .*without any goroutine headers; expected a goroutine dump/.test(err.message) && !err.message.includes('\n'));
  }
});
