// Goroutine dumps: the parser's totals and per-state counts equal a plain count of the headers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { ProfileError } from '../../src/profile/errors.ts';
import { parseGoroutineDump } from '../../src/profile/goroutines.ts';
import { fixtures } from './pprof-reference.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../src/cli.ts');
const debug2 = fixtures(/\.goroutine-debug2\.txt(\.gz)?$/);
const debug1 = fixtures(/\.goroutine-debug1\.txt(\.gz)?$/);

function text(file: string): string {
  const data = readFileSync(file);
  return (file.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8');
}

test('there are real goroutine dumps of both kinds', () => {
  assert.ok(debug2.length >= 1, 'no *.goroutine-debug2.txt fixtures');
  assert.ok(debug1.length >= 1, 'no *.goroutine-debug1.txt fixtures');
});

for (const file of debug2) {
  test(`debug=2 ${basename(file)}: totals and states equal a count of the headers`, () => {
    const headers = [...text(file).matchAll(/^goroutine \d+ [^\n[]*\[([^\]\n]*)\]:$/gm)];
    assert.ok(headers.length > 0);
    const expected: Record<string, number> = {};
    for (const h of headers) {
      const state = h[1].split(', ')[0];
      expected[state] = (expected[state] ?? 0) + 1;
    }
    const dump = parseGoroutineDump(readFileSync(file), basename(file));
    assert.equal(dump.format, 'debug=2');
    assert.equal(dump.goroutines, headers.length);
    assert.deepEqual({ ...dump.states }, expected);
    assert.equal(dump.groups.reduce((n, g) => n + g.count, 0), headers.length);
    // Every goroutine id is in exactly one group.
    const ids = dump.groups.flatMap((g) => g.ids).sort((a, b) => a - b);
    const headerIds = headers.map((h) => Number(/^goroutine (\d+)/.exec(h[0])![1])).sort((a, b) => a - b);
    assert.deepEqual(ids, headerIds);
    for (const g of dump.groups) {
      assert.ok(g.frames.length > 0, 'a group without frames');
      for (const f of g.frames) {
        assert.ok(f.function !== '' && !f.function.endsWith(')') || f.function.endsWith(').'), `function "${f.function}" still has arguments`);
        assert.ok(f.line > 0 && f.file.endsWith('.go') || f.file.endsWith('.s'), `bad file:line ${f.file}:${f.line}`);
      }
    }
  });
}

for (const file of debug1) {
  test(`debug=1 ${basename(file)}: group counts add up to the header total`, () => {
    const header = /^goroutine profile: total (\d+)$/m.exec(text(file));
    assert.ok(header);
    const total = Number(header[1]);
    const dump = parseGoroutineDump(readFileSync(file), basename(file));
    assert.equal(dump.format, 'debug=1');
    assert.equal(dump.headerTotal, total);
    assert.equal(dump.goroutines, total);
    assert.equal(dump.groups.reduce((n, g) => n + g.count, 0), total);
    const records = [...text(file).matchAll(/^(\d+) @/gm)].reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(records, total);
    // A record may have no frames (a goroutine that has not started: only runtime.goexit's pc).
    assert.ok(dump.groups.some((g) => g.frames.length > 0));
    assert.ok(dump.groups.every((g) => g.frames.every((f) => f.function !== '' && !f.function.includes('+0x') && f.line > 0)));
  });
}

test('a gzipped dump parses like the plain one', () => {
  const pairs = debug2.filter((f) => f.endsWith('.gz')).map((gz) => [gz, gz.slice(0, -3)]);
  assert.ok(pairs.length > 0);
  for (const [gz, plain] of pairs) {
    const a = parseGoroutineDump(readFileSync(gz));
    const b = parseGoroutineDump(readFileSync(plain));
    assert.deepEqual(a, b);
  }
});

test('the header status: state, wait minutes, locked to thread', () => {
  // A header line in the form the Go runtime prints (runtime/traceback.go goroutineheader).
  const dump = parseGoroutineDump(Buffer.from(
    'goroutine 7 [chan receive, 12 minutes, locked to thread]:\nmain.f(...)\n\t/src/main.go:3 +0x1d\n' +
    'created by main.main in goroutine 1\n\t/src/main.go:9 +0x25\n\n' +
    'goroutine 8 [chan receive, 3 minutes]:\nmain.f(...)\n\t/src/main.go:3 +0x1d\n' +
    'created by main.main in goroutine 1\n\t/src/main.go:9 +0x25\n'));
  assert.equal(dump.groups.length, 1);
  const g = dump.groups[0];
  assert.deepEqual([g.count, g.state, g.waitMinutes, g.lockedToThread], [2, 'chan receive', [3, 12], 1]);
  assert.deepEqual(g.createdBy, { function: 'main.main', file: '/src/main.go', line: 9 });
});

test('inputs that are not dumps fail with one clear sentence', () => {
  const cases: [Uint8Array, string][] = [
    [new Uint8Array(0), 'empty'],
    [Buffer.from('<!DOCTYPE html><html><body>404</body></html>'), 'html'],
    [Buffer.from('hello world\nnothing here\n'), 'not-goroutine-dump'],
    [readFileSync(fixtures('.cpu.pb.gz')[0]), 'not-goroutine-dump'],
  ];
  for (const [data, kind] of cases) {
    assert.throws(() => parseGoroutineDump(data, 'x'), (err: unknown) =>
      err instanceof ProfileError && err.kind === kind && !err.message.includes('\n'));
  }
});

test('a goroutine profile in protobuf form is read as a dump without states', () => {
  for (const file of fixtures('.goroutine.pb.gz')) {
    const dump = parseGoroutineDump(readFileSync(file));
    assert.equal(dump.format, 'proto');
    assert.ok(dump.goroutines > 0);
    assert.deepEqual(Object.keys(dump.states), ['unknown']);
  }
});

test('goroutines --json prints exactly the documented shape', async () => {
  const { stdout } = await run(process.execPath, [CLI, 'goroutines', debug2[0], '--json']);
  const out = JSON.parse(stdout);
  assert.deepEqual(Object.keys(out), ['goroutines', 'states', 'groups']);
  assert.equal(out.groups.reduce((n: number, g: { count: number }) => n + g.count, 0), out.goroutines);
  for (const g of out.groups) {
    assert.deepEqual(Object.keys(g), ['count', 'state', 'waitMinutes', 'frames', 'createdBy']);
    for (const f of g.frames) assert.deepEqual(Object.keys(f), ['function', 'file', 'line']);
  }
  assert.equal(Object.values(out.states).reduce((a: number, b) => a + (b as number), 0), out.goroutines);
});
