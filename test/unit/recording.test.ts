// The recording core without a cluster: the index format (written by the recorder, read back, hostile lines
// refused), summaries of real captures checked against `go tool pprof`, allocation rates between consecutive
// allocs captures, and the leak findings over series of summaries.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { summarizeAllocs, summarizeCapture, summarizeCpu, summarizeHeap, type AllocsSummary, type GoroutineSummary, type HeapSummary } from '../../src/profile/captureSummary.ts';
import { decodeProfile } from '../../src/profile/decode.ts';
import { findLeaks, headlineFrame } from '../../src/profile/findings.ts';
import { RECORDING_FORMAT, indexLine, isSafeRelativePath, parseDuration, parseRecordingIndex, type RecordingHeader, type RoundEntry } from '../../src/profile/recordingIndex.ts';
import { Timeline, allocationRates } from '../../src/profile/timeline.ts';
import { timelineJson } from '../../src/profile/timelineReport.ts';
import { TESTDATA, pprofTop } from './pprof-reference.ts';

const header: RecordingHeader = {
  format: RECORDING_FORMAT,
  version: 1,
  context: 'sandbox',
  namespace: 'openshift-etcd-operator',
  pods: ['op'],
  kinds: ['goroutine', 'heap'],
  everySeconds: 10,
  forSeconds: 60,
  cpuSeconds: 0,
  started: '2026-12-03T10:00:00.000Z',
};
const T0 = Date.parse(header.started);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

describe('recording index', () => {
  test('round trip; a torn last line is skipped and counted; the end line is read', () => {
    const r1: RoundEntry = { round: 1, pod: 'op', t: at(0), podUid: 'u1', restarts: 0, captures: [{ kind: 'goroutine', file: 'op/goroutine-debug2-a.txt', bytes: 10, t: at(0) }] };
    const r2: RoundEntry = { round: 2, pod: 'op', t: at(10), podUid: 'u1', restarts: 1, change: 'restarted', captures: [{ kind: 'heap', error: 'The pod restarted. Nothing was saved.', code: 'connection-dropped', t: at(10) }] };
    const text = indexLine(header) + indexLine(r1) + indexLine(r2) + indexLine({ ended: at(60), reason: 'duration' }) + '{"round":3,"pod":"op","t":"2026';
    const idx = parseRecordingIndex(text);
    assert.deepEqual(idx.header, header);
    assert.deepEqual(idx.rounds, [r1, r2]);
    assert.deepEqual(idx.end, { ended: at(60), reason: 'duration' });
    assert.equal(idx.skippedLines, 1);
  });

  test('capture paths that leave the directory are dropped; a wrong header is refused', () => {
    for (const p of ['../x.txt', '/etc/passwd', 'a/../../b', 'C:/x', 'a\\b', '', 'a//b']) assert.equal(isSafeRelativePath(p), false, p);
    assert.equal(isSafeRelativePath('etcd-0/heap-2026.pb.gz'), true);
    const evil = { round: 1, pod: 'op', t: at(0), captures: [{ kind: 'heap', file: '../../secret', bytes: 1, t: at(0) }, { kind: 'nope', file: 'x', bytes: 1 }] };
    assert.deepEqual(parseRecordingIndex(indexLine(header) + JSON.stringify(evil)).rounds[0].captures, []);
    assert.throws(() => parseRecordingIndex('{"format":"other"}'), /not an etcd Profiler recording/);
    assert.throws(() => parseRecordingIndex(''), /empty/);
    assert.throws(() => parseRecordingIndex('not json'), /not JSON/);
  });

  test('durations', () => {
    assert.equal(parseDuration('10s'), 10);
    assert.equal(parseDuration('2m'), 120);
    assert.equal(parseDuration('1h30m'), 5400);
    assert.equal(parseDuration('500ms'), 0.5);
    assert.equal(parseDuration('45'), 45);
    assert.throws(() => parseDuration('10 minutes'), /not a duration/);
    assert.throws(() => parseDuration('s'), /not a duration/);
  });
});

describe('summaries of real captures', () => {
  test('goroutine dump: groups by state and stack; the parked groups of the operator fixture', () => {
    const s = summarizeCapture('goroutine', readFileSync(join(TESTDATA, 'operator.goroutine-debug2.txt'))) as GoroutineSummary;
    assert.equal(s.total, 165);
    assert.equal(s.groups.reduce((n, g) => n + g.count, 0), 165);
    const parked = s.groups.filter((g) => g.frames.includes('main.parkedOnRequest'));
    // README of the fixtures: 100 parked in chan receive, 20 on a mutex, 5 in IO wait.
    assert.deepEqual(parked.map((g) => [g.state, g.count]).sort(), [['IO wait', 5], ['chan receive', 100], ['sync.Mutex.Lock', 20]]);
    // Named by the first frame outside the standard library, however deep (IO wait: net and internal/poll first).
    for (const g of parked) assert.equal(headlineFrame(g.frames), 'main.parkedOnRequest', g.frames.join(' < '));
  });

  for (const name of ['operator', 'etcd']) {
    test(`${name} heap and allocs: totals and top functions equal go tool pprof's`, async () => {
      const heapFile = join(TESTDATA, `${name}.heap.pb.gz`);
      const heap = summarizeHeap(decodeProfile(readFileSync(heapFile)));
      const refSpace = await pprofTop(heapFile, 3, 'bytes'); // inuse_space
      const refObjects = await pprofTop(heapFile, 2, 'count'); // inuse_objects
      assert.equal(heap.inuseBytes, refSpace.total);
      assert.equal(heap.inuseObjects, refObjects.total);
      const refTop = refSpace.rows.filter((r) => r.flat > 0).slice(0, 5).map((r) => [r.name, r.flat]);
      assert.deepEqual(heap.top.slice(0, 5).map((f) => [f.name, f.value]), refTop);

      const allocsFile = join(TESTDATA, `${name}.allocs.pb.gz`);
      const allocs = summarizeAllocs(decodeProfile(readFileSync(allocsFile)));
      const refAlloc = await pprofTop(allocsFile, 1, 'bytes'); // alloc_space
      assert.equal(allocs.allocBytes, refAlloc.total);
      assert.equal(allocs.top[0].name, refAlloc.rows[0].name);
    });
  }

  test('CPU: shares of the top functions are their flat over the sampled total', async () => {
    const file = join(TESTDATA, 'operator.cpu.pb.gz');
    const cpu = summarizeCpu(decodeProfile(readFileSync(file)));
    const ref = await pprofTop(file, 1, 'nanoseconds');
    assert.equal(cpu.cpuSeconds, ref.total / 1e9);
    assert.ok(cpu.seconds >= 4 && cpu.seconds <= 6, `duration ${cpu.seconds}`);
    assert.equal(cpu.top[0].name, ref.rows[0].name);
    assert.equal(cpu.top[0].value, ref.rows[0].flat / ref.total);
  });
});

/** A goroutine summary of the real operator dump with the parked mutex group's count set to `n`. */
function dumpWith(base: GoroutineSummary, n: number): GoroutineSummary {
  const groups = base.groups.map((g) => (g.state === 'sync.Mutex.Lock' && g.frames.includes('main.parkedOnRequest') ? { ...g, count: n } : g));
  const states: Record<string, number> = {};
  for (const g of groups) states[g.state] = (states[g.state] ?? 0) + g.count;
  return { ...base, groups, states, total: groups.reduce((s, g) => s + g.count, 0) };
}

function round(n: number, pod = 'op', change?: RoundEntry['change']): RoundEntry {
  return { round: n, pod, t: at((n - 1) * 10), captures: [], ...(change ? { change } : {}) };
}

describe('timeline and findings', () => {
  const dump = summarizeCapture('goroutine', readFileSync(join(TESTDATA, 'operator.goroutine-debug2.txt'))) as GoroutineSummary;
  const heap = summarizeHeap(decodeProfile(readFileSync(join(TESTDATA, 'operator.heap.pb.gz'))));
  const allocs = summarizeAllocs(decodeProfile(readFileSync(join(TESTDATA, 'operator.allocs.pb.gz'))));

  function goroutineTimeline(counts: number[], changeAt?: number): Timeline {
    const tl = new Timeline();
    counts.forEach((c, i) => tl.add(round(i + 1, 'op', i + 1 === changeAt ? 'restarted' : undefined), { goroutine: { summary: dumpWith(dump, c), file: `op/g${i}.txt`, t: at(i * 10) } }));
    return tl;
  }

  test('a group that grows every round: one finding with its frames, counts and rate', () => {
    const tl = goroutineTimeline([20, 24, 28, 32, 36, 40, 44]); // +4 per 10 s = +24/min
    const findings = findLeaks(tl);
    assert.equal(findings.length, 1, JSON.stringify(findings));
    const f = findings[0];
    assert.equal(f.kind, 'goroutine-leak');
    assert.equal(f.what, '+24/min main.parkedOnRequest · sync.Mutex.Lock');
    assert.deepEqual([f.start, f.end, f.perMinute, f.points, f.rises], [20, 44, 24, 7, 6]);
    assert.deepEqual(f.files, ['op/g0.txt', 'op/g6.txt']);
    const total = tl.series().find((s) => s.metric === 'goroutines')!;
    assert.equal(total.points[6].value - total.points[0].value, 24);
    const mutex = tl.series().find((s) => s.metric === 'goroutines:sync.Mutex.Lock')!;
    const standing = dump.states['sync.Mutex.Lock'] - 20; // the fixture's other goroutines in sync.Mutex.Lock
    assert.deepEqual(mutex.points.map((p) => p.value - standing), [20, 24, 28, 32, 36, 40, 44]);
  });

  test('flat, noisy, mostly-flat or short series say nothing', () => {
    assert.deepEqual(findLeaks(goroutineTimeline([20, 20, 20, 20, 20, 20])), []);
    assert.deepEqual(findLeaks(goroutineTimeline([20, 25, 19, 26, 18, 27, 20, 30])), []);
    assert.deepEqual(findLeaks(goroutineTimeline([20, 20, 20, 20, 20, 30])), []); // one jump is not a trend
    assert.deepEqual(findLeaks(goroutineTimeline([20, 30, 40])), []); // too few points
  });

  test('a restart starts over: only the points of the latest process count', () => {
    assert.deepEqual(findLeaks(goroutineTimeline([20, 30, 40, 50, 5, 5, 5, 5], 5)), []);
    const f = findLeaks(goroutineTimeline([50, 50, 50, 5, 10, 15, 20], 4));
    assert.deepEqual([f.length, f[0]?.start, f[0]?.end], [1, 5, 20]);
  });

  test('a restart seen after a capture of that round failed: the round\'s other captures belong to neither process', () => {
    // Rounds 1–3 of the old process, round 4 captured a dump, then its next capture failed and the pod had
    // restarted; rounds 5–7 are the new process. 50 → 5 → 10 → 15 would be a leak if round 4 counted with the new one.
    const tl = new Timeline();
    [50, 50, 50, 5, 10, 15, 20].forEach((c, i) => {
      const r = round(i + 1, 'op', i === 3 ? 'restarted' : undefined);
      const failures = i === 3 ? [{ kind: 'cpu' as const, error: 'The connection dropped', code: 'connection-dropped' }] : [];
      tl.add(r, { goroutine: { summary: dumpWith(dump, c), file: `op/g${i}.txt`, t: at(i * 10) } }, failures);
    });
    assert.deepEqual(findLeaks(tl), [], 'three points of the new process are too few');
    // Charted all the same.
    assert.equal(tl.series().find((x) => x.metric === 'goroutines')!.points.length, 7);
  });

  test('heap in use growing with one function: found with that function; unchanged steps do not count against it', () => {
    const tl = new Timeline();
    const grow = heap.top[3].name;
    const mb = 1 << 20;
    const extra = [0, 0, 2, 2, 5, 7, 7, 9]; // MiB; equal steps are captures without a GC between them
    extra.forEach((x, i) => {
      const s: HeapSummary = { ...heap, inuseBytes: heap.inuseBytes + x * mb, top: heap.top.map((f) => (f.name === grow ? { ...f, value: f.value + x * mb } : f)) };
      tl.add(round(i + 1), { heap: { summary: s, file: `op/h${i}.pb.gz`, t: at(i * 10) } });
    });
    const [f, ...rest] = findLeaks(tl);
    assert.equal(rest.length, 0);
    assert.equal(f.kind, 'heap-leak');
    assert.deepEqual(f.functions?.[0], { name: grow, growth: 9 * mb });
    assert.equal(f.end - f.start, 9 * mb);
    assert.equal(f.perMinute, Math.round((9 * mb) / (70 / 60)));
    assert.match(f.what, new RegExp(`^\\+7\\.71MB/min heap in use · ${grow.replace(/[.*()[\]]/g, '\\$&')} \\+9MB`));
  });

  test('allocation rates come from consecutive allocs totals of the same process', () => {
    const tl = new Timeline();
    const mb = 1 << 20;
    const series: Array<[number, number]> = [[0, 0], [10, 10], [20, 30], [30, -1]]; // -1: the total went down (new process)
    for (const [s, add] of series) {
      const a: AllocsSummary = add < 0 ? { ...allocs, allocBytes: 1000, allocObjects: 10 } : { ...allocs, allocBytes: allocs.allocBytes + add * mb, allocObjects: allocs.allocObjects + add * 1000, top: allocs.top.map((f, i) => (i === 2 ? { ...f, value: f.value + add * mb } : f)) };
      tl.add(round(s / 10 + 1), { allocs: { summary: a, file: `op/a${s}.pb.gz`, t: at(s) } });
    }
    const rates = allocationRates(tl.pods.get('op')!);
    assert.deepEqual(rates.map((r) => r.bytesPerSecond), [mb, 2 * mb]);
    assert.deepEqual(rates.map((r) => r.objectsPerSecond), [1000, 2000]);
    assert.deepEqual(rates[1].top[0], { name: allocs.top[2].name, bytesPerSecond: 2 * mb });
    const json = timelineJson(parseRecordingIndex(indexLine({ ...header, kinds: ['allocs'] })), tl, []);
    const s = json.series.find((x) => x.metric === 'alloc_bytes_per_second')!;
    assert.deepEqual(s.points.map((p) => [p.t, p.value]), [[at(10), mb], [at(20), 2 * mb]]);
  });
});

describe('Timeline view model', () => {
  test('charts per pod, marks for failed and restarted rounds, findings with their span', async () => {
    const { timelineModel } = await import('../../src/profile/timelineCharts.ts');
    const dump = summarizeCapture('goroutine', readFileSync(join(TESTDATA, 'operator.goroutine-debug2.txt'))) as GoroutineSummary;
    const heap = summarizeHeap(decodeProfile(readFileSync(join(TESTDATA, 'operator.heap.pb.gz'))));
    const tl = new Timeline();
    [20, 24, 28, 32, 36].forEach((n, i) => {
      const r = round(i + 1, 'op', i === 3 ? 'restarted' : undefined);
      const failures = i === 2 ? [{ kind: 'heap' as const, error: 'The pod restarted. Nothing was saved.', code: 'connection-dropped' }] : [];
      const summaries = { goroutine: { summary: dumpWith(dump, n), file: `op/g${i}.txt`, t: at(i * 10) }, ...(i === 2 ? {} : { heap: { summary: heap, file: `op/h${i}.pb.gz`, t: at(i * 10) } }) };
      tl.add(r, summaries, failures);
    });
    const m = timelineModel(header, tl, findLeaks(tl), { title: 'Timeline: op', live: false });
    const pod = m.pods[0];
    assert.deepEqual(pod.charts.map((c) => c.title), ['Goroutines by state', 'Heap in use (bytes)', 'Heap in use (objects)']);
    const g = pod.charts[0];
    assert.equal(g.lines[0].name, 'total');
    assert.deepEqual(g.lines[0].points.map((p) => p.file), ['op/g0.txt', 'op/g1.txt', 'op/g2.txt', 'op/g3.txt', 'op/g4.txt']);
    assert.equal(pod.charts[1].lines[0].points.length, 4, 'no heap point for the failed round');
    assert.deepEqual(pod.marks.map((x) => [x.round, x.kind]), [[3, 'failed'], [4, 'restarted']]);
    assert.match(pod.marks[0].text, /^Round 3 failed: heap: The pod restarted/);
    assert.equal(m.subtitle, 'openshift-etcd-operator · goroutine, heap every 10 s · 5 rounds');
    // The restart at round 4 starts over: two points (32, 36) are too few for a finding.
    assert.deepEqual(m.findings, []);
  });
});
