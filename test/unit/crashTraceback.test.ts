// Crash tracebacks found in real crash logs of the operator stand-in (testdata/crash, see its README): one
// traceback per log, starting at its panic or fatal error, with every goroutine the log shows; read as a dump it
// has the same goroutine count, the panic message as its crash header, and the failing goroutine's stack.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findTracebacks } from '../../src/profile/crashTraceback.ts';
import { parseGoroutineText } from '../../src/profile/goroutines.ts';
import { ago, restartText } from '../../src/views/podTreeText.ts';

const dir = join(import.meta.dirname, 'testdata/crash');
const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();

const expected: Record<string, { message: string; running: string; lines?: RegExp[] }> = {
  'operator.crash-panic.log': { message: 'panic: etcd-operator stand-in: crash requested (POST /crash?kind=panic)', running: 'main.crashPanic' },
  'operator.crash-nil.log': {
    message: 'panic: runtime error: invalid memory address or nil pointer dereference',
    running: 'main.peerOf',
    lines: [/^\[signal SIGSEGV: segmentation violation code=\S+ addr=0x0 pc=0x[0-9a-f]+\]$/],
  },
  'operator.crash-fatal.log': { message: 'fatal error: sync: unlock of unlocked mutex', running: 'internal/sync.fatal' },
  'operator.crash-map.log': { message: 'fatal error: concurrent map writes', running: 'main.crashMap.func1' },
};

test('the four real crash logs are there', () => {
  assert.deepEqual(logs, Object.keys(expected).sort());
});

for (const name of logs) {
  test(`${name}: one traceback, every goroutine, the message as the crash header`, () => {
    const log = readFileSync(join(dir, name), 'utf8');
    const want = expected[name];
    const found = findTracebacks(log);
    assert.equal(found.length, 1);
    const t = found[0];
    const headers = (log.match(/^goroutine \d+ [^\n]*\[[^\n]*\]:$/gm) ?? []).length;
    assert.ok(headers > 20, `GOTRACEBACK=all: ${headers} goroutines`);
    assert.equal(t.goroutines, headers);
    assert.equal(t.message, want.message);
    const lines = log.split('\n');
    assert.equal(lines[t.startLine], want.message);
    assert.doesNotMatch(t.text, /^[IW]\d{4} /m, 'the klog lines before the crash are not part of it');
    assert.match(lines[t.endLine], /^\t\S+\.(go|s):\d+/, 'it ends on the last goroutine\'s last frame line');
    const dump = parseGoroutineText(t.text);
    assert.ok(dump);
    assert.equal(dump.goroutines, headers);
    assert.equal(dump.crash?.message, want.message);
    for (const re of want.lines ?? []) assert.ok(dump.crash.lines.some((l) => re.test(l)), `crash lines ${JSON.stringify(dump.crash.lines)}`);
    // The goroutine that crashed is the running one, with the operator's crash function on its stack.
    const running = dump.groups.filter((g) => g.state === 'running');
    assert.ok(running.some((g) => g.frames.some((f) => f.function === want.running && /sandbox\/operator\/crash\.go$/.test(f.file) || f.function === want.running)), JSON.stringify(running.map((g) => g.frames.map((f) => f.function))));
    // Grouping as in any dump: every goroutine in exactly one group.
    const ids = dump.groups.flatMap((g) => g.ids).sort((a, b) => a - b);
    const headerIds = [...t.text.matchAll(/^goroutine (\d+) /gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    assert.deepEqual(ids, headerIds);
    assert.ok(dump.groups.length < headers, 'identical goroutines grouped');
  });
}

test('a log without a crash has no traceback; two crashes in one log give two, oldest first', () => {
  const panic = readFileSync(join(dir, 'operator.crash-panic.log'), 'utf8');
  const fatal = readFileSync(join(dir, 'operator.crash-fatal.log'), 'utf8');
  const before = panic.slice(0, panic.indexOf('panic: '));
  assert.deepEqual(findTracebacks(before), []);
  const both = findTracebacks(panic + fatal);
  assert.deepEqual(both.map((t) => t.message), [expected['operator.crash-panic.log'].message, expected['operator.crash-fatal.log'].message]);
});

test('pod rows: restarts, last termination and how long ago', () => {
  const now = Date.parse('2026-12-03T10:00:00Z');
  assert.equal(ago('2026-12-03T09:59:30Z', now), '30s ago');
  assert.equal(ago('2026-12-03T09:57:00Z', now), '3m ago');
  assert.equal(ago('2026-12-03T07:00:00Z', now), '3h ago');
  assert.equal(ago('2026-11-30T10:00:00Z', now), '3d ago');
  assert.equal(ago(undefined, now), '');
  const t = { container: 'etcd-operator', reason: 'Error', exitCode: 2, finishedAt: '2026-12-03T09:57:00Z', restartCount: 1, previous: true };
  assert.equal(restartText({ restarts: 1, lastTermination: t }, now), '↻ 1, Error exit 2 3m ago');
  assert.equal(restartText({ restarts: 0, lastTermination: { ...t, reason: 'OOMKilled', exitCode: 137, previous: false } }, now), '↻ 0, OOMKilled exit 137 3m ago');
  assert.equal(restartText({ restarts: 0 }, now), undefined);
});
