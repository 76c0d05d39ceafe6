// Dump-to-dump comparison on real dumps of the sandbox operator taken before and after parking 40
// goroutines in sync.Cond.Wait and 15 in select (testdata/goroutine-park/README.md).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffGoroutineDumps, formatGoroutineDiff, groupKey } from '../../src/profile/goroutineDiff.ts';
import { parseGoroutineDump, parseGoroutineText } from '../../src/profile/goroutines.ts';

const dir = join(import.meta.dirname, 'testdata');
const load = (name: string) => parseGoroutineDump(readFileSync(join(dir, name)), name);
const before = load('goroutine-park/debug2.park-before.txt');
const after = load('goroutine-park/debug2.park-after.txt');
const after1 = load('goroutine-park/debug1.park-after.txt');
const parked = (frames: { function: string }[]) => frames.some((f) => f.function === 'main.parkedOnRequest');

test('parked goroutines show as groups that appeared, in their states, and nothing else grew', () => {
  const d = diffGoroutineDumps(before, after);
  assert.equal(d.byState, true);
  assert.equal(d.after - d.before, 55);
  const changed = d.groups.filter((g) => g.change !== 'same');
  const cond = changed.find((g) => g.state === 'sync.Cond.Wait' && parked(g.frames));
  const sel = changed.find((g) => g.state === 'select' && parked(g.frames));
  assert.ok(cond, `no sync.Cond.Wait group of main.parkedOnRequest among ${JSON.stringify(changed.map((g) => [g.change, g.state, g.frames[0]?.function]))}`);
  assert.ok(sel);
  assert.deepEqual([cond.change, cond.before, cond.after, cond.delta], ['appeared', 0, 40, 40]);
  assert.deepEqual([sel.change, sel.before, sel.after, sel.delta], ['appeared', 0, 15, 15]);
  // The two parked groups lead the list (largest change first).
  assert.deepEqual(d.groups.slice(0, 2), [cond, sel]);
  // Every other change is small churn of the operator's own work (pprof handler, workers), not 40 or 15.
  for (const g of changed) if (g !== cond && g !== sel) assert.ok(Math.abs(g.delta) < 15, `${g.change} ${g.delta} ${g.frames[0]?.function}`);
  // Counts add up on both sides.
  assert.equal(d.groups.reduce((s, g) => s + g.before, 0), before.goroutines);
  assert.equal(d.groups.reduce((s, g) => s + g.after, 0), after.goroutines);
  assert.equal(d.groups.length, Object.values(d.counts).reduce((s, n) => s + n, 0));
});

test('a dump compared with itself changes nothing', () => {
  const d = diffGoroutineDumps(after, after);
  assert.deepEqual(d.counts, { grew: 0, shrank: 0, appeared: 0, vanished: 0, same: after.groups.length });
  assert.match(formatGoroutineDiff(d, 'a', 'a'), /# no group changed/);
});

test('reversed, the parked groups vanished', () => {
  const d = diffGoroutineDumps(after, before);
  const vanished = d.groups.filter((g) => g.change === 'vanished' && parked(g.frames));
  assert.deepEqual(vanished.map((g) => [g.state, g.delta]).sort(), [['select', -15], ['sync.Cond.Wait', -40]]);
});

test('growth of an existing group: the same program with more goroutines in one group', () => {
  // Base: the after-dump without 10 of its parked sync.Cond.Wait goroutines (cut from the real text).
  const text = readFileSync(join(dir, 'goroutine-park/debug2.park-after.txt'), 'utf8');
  const blocks = text.split('\n\n');
  let dropped = 0;
  const kept = blocks.filter((b) => !(b.includes('[sync.Cond.Wait') && b.includes('main.parkedOnRequest') && dropped++ < 10));
  const base = parseGoroutineText(kept.join('\n\n'));
  assert.ok(base);
  const d = diffGoroutineDumps(base, after);
  const grew = d.groups.filter((g) => g.change === 'grew');
  assert.equal(grew.length, 1);
  assert.deepEqual([grew[0].state, grew[0].before, grew[0].after, grew[0].delta], ['sync.Cond.Wait', 30, 40, 10]);
  assert.equal(d.groups.filter((g) => g.change !== 'same').length, 1);
  const reverse = diffGoroutineDumps(after, base);
  assert.deepEqual(reverse.groups.filter((g) => g.change !== 'same').map((g) => [g.change, g.delta]), [['shrank', -10]]);
});

test('against a debug=1 dump (no states) groups match on their stacks', () => {
  const d = diffGoroutineDumps(before, after1);
  assert.equal(d.byState, false);
  const appeared = d.groups.filter((g) => g.change === 'appeared' && parked(g.frames));
  assert.deepEqual(appeared.map((g) => g.delta).sort((a, b) => a - b), [15, 40]);
  assert.ok(appeared.every((g) => g.state === 'unknown'));
  assert.equal(d.after, after1.goroutines);
  // The same moment in debug=2 and debug=1: the same stacks, up to the few goroutines serving the two requests.
  const same = diffGoroutineDumps(after, after1);
  assert.ok(same.counts.same >= after1.groups.length - 3, JSON.stringify(same.counts));
  assert.ok(Math.abs(same.after - same.before) <= 2);
});

test('the text report lists changed groups in dump layout with their file:line', () => {
  const report = formatGoroutineDiff(diffGoroutineDumps(before, after), 'before.txt', 'after.txt');
  assert.match(report, /^# base: {4}before\.txt \(44 goroutines\)$/m);
  assert.match(report, /^# current: after\.txt \(99 goroutines\)$/m);
  assert.match(report, /^appeared \+40 \(0 → 40\) \[sync\.Cond\.Wait\]:\nsync\.runtime_notifyListWait\n\truntime\/sema\.go:\d+\n/m);
  assert.match(report, /^main\.parkedOnRequest\n\tetcd-profiler\/sandbox\/operator\/parked\.go:\d+$/m);
});

test('groupKey ignores the state only when asked', () => {
  const g = after.groups[0];
  assert.notEqual(groupKey(g, true), groupKey({ ...g, state: 'other' }, true));
  assert.equal(groupKey(g, false), groupKey({ ...g, state: 'other', createdBy: null }, false));
});
