// User regular expressions run off the caller's thread with a deadline: a catastrophic pattern on the long Go names
// of a real capture is stopped with a message within about a second, and meanwhile the thread keeps answering
// (timers fire, another filter is matched and applied). Over-long and invalid expressions are refused up front.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProfileError } from '../../src/profile/errors.ts';
import { decodeProfile } from '../../src/profile/decode.ts';
import { filterProfile } from '../../src/profile/filter.ts';
import { buildView } from '../../src/profile/flame.ts';
import { after, before } from 'node:test';
import { MAX_PATTERN_LENGTH, REGEX_DEADLINE_MS, matchNames, prepareFilterMatchers, filterNames, stopRegexWorker, warmRegexWorker } from '../../src/profile/regexGuard.ts';
import { filterGroups, groupNames } from '../../src/views/goroutines/filters.ts';
import { parseGoroutineText } from '../../src/profile/goroutines.ts';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const profile = decodeProfile(readFileSync(path.join(testdata, 'etcd.heap.pb.gz')), 'etcd.heap.pb.gz');
// Nested repetition that never matches a Go name (none ends in ':'): exponential backtracking on every long name.
const CATASTROPHIC = '^(([a-z./]+)+)+:$';

// As the profile editor does when a profile opens: a worker is started ahead of the first filter.
before(() => warmRegexWorker());
after(stopRegexWorker);

test('a catastrophic focus expression is stopped within 1 s (deadline 0.8 s) while the thread answers other work', async () => {
  const names = filterNames([profile]);
  assert.ok(names.some((n) => n.length > 60), 'the capture has long names');
  let ticks = 0;
  let worstGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
    ticks++;
  }, 20);
  const t0 = performance.now();
  // A timer of the same deadline measures how late this machine runs timers (load from other processes): that
  // delay is the machine's, not the guard's, and is not counted against the 1 s.
  const control = new Promise<number>((r) => setTimeout(() => r(performance.now() - t0 - REGEX_DEADLINE_MS), REGEX_DEADLINE_MS));
  const runaway = prepareFilterMatchers([profile], { focus: CATASTROPHIC }).then(
    () => assert.fail('the runaway expression was not stopped'),
    (err: unknown) => ({ err, ms: performance.now() - t0 }),
  );
  // "Another command" while the runaway one is pending: a whole view of the profile is built, and a sane filter is
  // matched (in its own worker) and applied.
  await new Promise((r) => setTimeout(r, 100));
  const view = buildView(profile, { granularity: 'functions' });
  const otherMs = performance.now() - t0;
  assert.ok(view.top.flat.length > 0);
  const other = await prepareFilterMatchers([profile], { focus: 'raft' });
  const filtered = filterProfile(profile, { focus: 'raft', matchers: other });
  assert.ok(filtered.samples.length > 0 && filtered.samples.length < profile.samples.length);
  const { err, ms } = await runaway;
  clearInterval(timer);
  assert.ok(err instanceof ProfileError && err.kind === 'bad-option');
  assert.match(err.message, /focus "\^\(\(\[a-z\.\/\]\+\)\+\)\+:\$" expression took longer than 0.8 s .* Simplify it\./);
  const late = Math.max(0, await control);
  assert.ok(ms - late < 1000, `stopped after ${ms.toFixed(0)} ms (timers ran ${late.toFixed(0)} ms late)`);
  assert.ok(otherMs < ms, `another view (done at ${otherMs.toFixed(0)} ms) was built before the runaway filter was stopped`);
  assert.ok(ticks >= 10, `timers kept firing while the pattern ran (${ticks} ticks, worst gap ${worstGap.toFixed(0)} ms)`);
});

test('results match RegExp on the same names; over-long and invalid expressions are refused with a message', async () => {
  const names = filterNames([profile]);
  const [set] = await matchNames([{ expr: 'mvcc|raft', what: 'focus' }], names);
  assert.deepEqual([...set].sort(), names.filter((n) => /mvcc|raft/.test(n)).sort());
  await assert.rejects(prepareFilterMatchers([profile], { hide: 'a'.repeat(MAX_PATTERN_LENGTH + 1) }), /the hide expression is 501 characters long; the limit is 500/);
  await assert.rejects(prepareFilterMatchers([profile], { ignore: '(' }), /the ignore expression "\(" is not a valid regular expression/);
});

test('the Goroutines view filter: same groups as before, a runaway pattern is stopped', async () => {
  const dump = parseGoroutineText(readFileSync(path.join(testdata, 'etcd.goroutine-debug2.txt'), 'utf8'));
  assert.ok(dump);
  const filter = { states: [], minWaitMinutes: 0, pattern: 'raft' };
  const [set] = await matchNames([{ expr: 'raft', what: 'function filter', flags: 'i' }], groupNames(dump.groups));
  const viaWorker = filterGroups(dump.groups, filter, { test: (s) => set.has(s) });
  assert.ok(viaWorker.length > 0);
  assert.deepEqual(viaWorker, filterGroups(dump.groups, filter));
  await warmRegexWorker(); // the spare started by the last request is running (as it is in the extension by now)
  const t0 = performance.now();
  const control = new Promise<number>((r) => setTimeout(() => r(performance.now() - t0 - REGEX_DEADLINE_MS), REGEX_DEADLINE_MS));
  await assert.rejects(matchNames([{ expr: CATASTROPHIC, what: 'function filter', flags: 'i' }], groupNames(dump.groups)), /function filter .* took longer than 0\.8 s/);
  const ms = performance.now() - t0;
  const late = Math.max(0, await control);
  assert.ok(ms - late < 1000, `stopped after ${ms.toFixed(0)} ms (timers ran ${late.toFixed(0)} ms late)`);
});
