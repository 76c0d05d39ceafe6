// Filters of the Goroutines view on a real dump (the sandbox operator after parking, testdata/goroutine-park).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseGoroutineDump } from '../../src/profile/goroutines.ts';
import { describeFilter, filterGroups, isFiltered, NO_FILTER, waitLabel } from '../../src/views/goroutines/filters.ts';

const dump = parseGoroutineDump(readFileSync(join(import.meta.dirname, 'testdata/goroutine-park/debug2.park-after.txt')));
const sum = (idx: number[]) => idx.reduce((s, i) => s + dump.groups[i].count, 0);

test('no filter keeps every group in order, and the counts add up to the dump', () => {
  const all = filterGroups(dump.groups, NO_FILTER);
  assert.deepEqual(all, dump.groups.map((_, i) => i));
  assert.equal(sum(all), dump.goroutines);
  assert.equal(isFiltered(NO_FILTER), false);
});

test('by state: the per-state totals of the dump', () => {
  for (const [state, n] of Object.entries(dump.states)) {
    const idx = filterGroups(dump.groups, { states: [state], minWaitMinutes: 0 });
    assert.equal(sum(idx), n, state);
    assert.ok(idx.every((i) => dump.groups[i].state === state));
  }
  const two = Object.keys(dump.states).slice(0, 2);
  assert.equal(sum(filterGroups(dump.groups, { states: two, minWaitMinutes: 0 })), dump.states[two[0]] + dump.states[two[1]]);
});

test('by minimum wait: groups whose longest wait reaches it', () => {
  const longest = Math.max(...dump.groups.map((g) => g.waitMinutes[1]));
  assert.ok(longest > 0, 'the dump shows wait times');
  const idx = filterGroups(dump.groups, { states: [], minWaitMinutes: longest });
  assert.ok(idx.length > 0);
  assert.ok(idx.every((i) => dump.groups[i].waitMinutes[1] >= longest));
  const none = filterGroups(dump.groups, { states: [], minWaitMinutes: longest + 1 });
  assert.deepEqual(none, []);
  // Goroutines not waiting (running, or waits under a minute) never pass a wait filter.
  assert.ok(filterGroups(dump.groups, { states: [], minWaitMinutes: 1 }).every((i) => dump.groups[i].waitMinutes[1] >= 1));
});

test('by function or package regex, case-insensitive, creator included', () => {
  const parked = filterGroups(dump.groups, { states: [], minWaitMinutes: 0, pattern: 'PARKEDonrequest' });
  assert.equal(sum(parked), 55, 'the 40 + 15 goroutines parked on request');
  const byCreator = filterGroups(dump.groups, { states: [], minWaitMinutes: 0, pattern: String.raw`^main\.\(\*parker\)\.park$` });
  assert.deepEqual(byCreator, parked);
  const byFile = filterGroups(dump.groups, { states: [], minWaitMinutes: 0, pattern: String.raw`operator/parked\.go` });
  assert.deepEqual(byFile, parked);
  const combined = { states: ['select'], minWaitMinutes: 0, pattern: 'parkedOnRequest' };
  assert.equal(sum(filterGroups(dump.groups, combined)), 15);
  assert.equal(describeFilter(combined), 'select, /parkedOnRequest/');
  assert.throws(() => filterGroups(dump.groups, { states: [], minWaitMinutes: 0, pattern: '(' }), /not a valid regular expression/);
});

test('wait labels', () => {
  assert.equal(waitLabel([0, 0]), '');
  assert.equal(waitLabel([4, 4]), '4 min');
  assert.equal(waitLabel([1, 12]), '1-12 min');
});
