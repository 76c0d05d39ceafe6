// etcd metrics in a recording and triggers, without a cluster: the Prometheus text parser on two real /metrics
// captures of a sandbox etcd member (test/unit/testdata/etcd-member.metrics-{1,2}.txt, 50 puts in between), the
// WAL fsync p99 (between the two reads and cumulative), the series and charts they make, the index round trip,
// and the trigger gate's thresholds and cool-down.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { histogramDelta, histogramOf, histogramQuantile, parsePrometheusText, summarizeEtcdMetrics, walFsyncP99 } from '../../src/profile/etcdMetrics.ts';
import { RECORDING_FORMAT, indexLine, parseRecordingIndex, type RecordingHeader, type RoundEntry } from '../../src/profile/recordingIndex.ts';
import { Timeline } from '../../src/profile/timeline.ts';
import { timelineModel } from '../../src/profile/timelineCharts.ts';
import { timelineJson } from '../../src/profile/timelineReport.ts';
import { TriggerGate, parseByteSize, parseTriggerSpec } from '../../src/profile/triggers.ts';
import { TESTDATA } from './pprof-reference.ts';

const m1 = readFileSync(join(TESTDATA, 'etcd-member.metrics-1.txt'), 'utf8');
const m2 = readFileSync(join(TESTDATA, 'etcd-member.metrics-2.txt'), 'utf8');

/** The value of an unlabelled sample, found the plain way (the line that starts with its name and a space). */
function plain(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, name);
  return Number(line.split(' ')[1]);
}

const header: RecordingHeader = {
  format: RECORDING_FORMAT,
  version: 1,
  context: 'sandbox',
  namespace: 'openshift-etcd',
  pods: ['etcd-master-0'],
  kinds: ['goroutine'],
  everySeconds: 10,
  forSeconds: 60,
  cpuSeconds: 0,
  started: '2026-12-03T10:00:00.000Z',
};
const T0 = Date.parse(header.started);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

describe('Prometheus text of a real etcd member', () => {
  test('the summary holds the numbers of the file', () => {
    for (const text of [m1, m2]) {
      const s = summarizeEtcdMetrics(text);
      assert.equal(s.dbSizeBytes, plain(text, 'etcd_mvcc_db_total_size_in_bytes'));
      assert.equal(s.dbSizeInUseBytes, plain(text, 'etcd_mvcc_db_total_size_in_use_in_bytes'));
      assert.equal(s.leaderChanges, plain(text, 'etcd_server_leader_changes_seen_total'));
      assert.ok(s.dbSizeBytes! > 0);
      // 14 finite buckets (1 ms … 8.192 s) and +Inf, whose count is the _count sample.
      assert.equal(s.walFsync!.le.length, 14);
      assert.equal(s.walFsync!.le[0], 0.001);
      assert.equal(s.walFsync!.counts.at(-1), plain(text, 'etcd_disk_wal_fsync_duration_seconds_count'));
    }
  });

  test('labels, escapes, exponents and special values; broken lines are skipped', () => {
    const text = [
      '# HELP x_total a counter',
      '# TYPE x_total counter',
      'x_total{a="1",b="q\\"uote\\\\",c="new\\nline"} 1.5e3',
      'x_total{a="2"} +Inf 1700000000000',
      'x_total{a="3"} NaN',
      'x_total{a="4"} twelve',
      'x_total not a line',
      'other 7',
    ].join('\n');
    const m = parsePrometheusText(text, new Set(['x_total']));
    const xs = m.get('x_total')!;
    assert.equal(xs.length, 3);
    assert.deepEqual(xs[0], { labels: { a: '1', b: 'q"uote\\', c: 'new\nline' }, value: 1500 });
    assert.equal(xs[1].value, Infinity);
    assert.ok(Number.isNaN(xs[2].value));
    assert.equal(m.has('other'), false);
  });

  test('WAL fsync p99: between the two reads, and cumulative', () => {
    const h1 = summarizeEtcdMetrics(m1).walFsync!;
    const h2 = summarizeEtcdMetrics(m2).walFsync!;
    // Read 1: 7 fsyncs; rank 0.99 × 7 = 6.93 falls in (16 ms, 32 ms], which holds the 7th (6 below):
    // 0.016 + 0.016 × (6.93 − 6) / 1.
    assert.deepEqual(h1.counts.slice(0, 6), [0, 3, 4, 5, 6, 7]);
    assert.ok(Math.abs(histogramQuantile(0.99, h1)! - (0.016 + 0.016 * 0.93)) < 1e-12);
    // Between the reads: 50 fsyncs; rank 49.5 falls in (64 ms, 128 ms], the 50th (49 below): 0.064 + 0.064 × 0.5.
    const d = histogramDelta(h1, h2)!;
    assert.deepEqual(d.counts, h2.counts.map((c, i) => c - h1.counts[i]));
    assert.equal(d.counts.at(-1), 50);
    assert.deepEqual(walFsyncP99(h2, h1), { seconds: 0.096, basis: 'interval', fsyncs: 50 });
    // No previous read, or a previous read of another process (counts went down): cumulative.
    assert.equal(walFsyncP99(h2, undefined)!.basis, 'cumulative');
    assert.equal(walFsyncP99(h1, h2)!.basis, 'cumulative');
    // No fsync in between: cumulative as well.
    assert.equal(walFsyncP99(h1, h1)!.basis, 'cumulative');
    assert.equal(walFsyncP99(undefined, h1), undefined);
  });

  test('quantile edge cases: empty, first bucket, +Inf bucket', () => {
    assert.equal(histogramQuantile(0.99, { le: [1, 2], counts: [0, 0, 0] }), undefined);
    assert.equal(histogramQuantile(0.5, { le: [1, 2], counts: [10, 10, 10] }), 0.5);
    assert.equal(histogramQuantile(0.99, { le: [1, 2], counts: [0, 0, 10] }), 2);
    assert.equal(histogramOf([{ labels: { le: '1' }, value: 3 }]), undefined, 'no +Inf bucket');
    assert.equal(histogramOf([{ labels: { le: '1' }, value: 3 }, { labels: { le: '+Inf' }, value: 2 }]), undefined, 'counts go down');
  });
});

describe('metrics and triggers in a recording', () => {
  const s1 = summarizeEtcdMetrics(m1);
  const s2 = summarizeEtcdMetrics(m2);
  const r1: RoundEntry = { round: 1, pod: 'etcd-master-0', t: at(0), captures: [{ kind: 'goroutine', file: 'etcd-master-0/goroutine-debug2-a.txt', bytes: 10, t: at(0) }], metrics: { t: at(0), ...s1 } };
  const r2: RoundEntry = {
    round: 2,
    pod: 'etcd-master-0',
    t: at(10),
    captures: [{ kind: 'goroutine', file: 'etcd-master-0/goroutine-debug2-b.txt', bytes: 10, t: at(10) }],
    metrics: { t: at(10), ...s2 },
    triggered: {
      reason: 'goroutines 120 ≥ 100',
      crossed: [{ metric: 'goroutines', value: 120, threshold: 100 }],
      captures: [
        { kind: 'goroutine', file: 'etcd-master-0/triggered-goroutine-debug2-b.txt', bytes: 5, t: at(11) },
        { kind: 'heap', error: 'The connection dropped', code: 'connection-dropped', t: at(12) },
      ],
    },
  };
  const r3: RoundEntry = { round: 3, pod: 'etcd-master-0', t: at(20), captures: [{ kind: 'goroutine', file: 'etcd-master-0/goroutine-debug2-c.txt', bytes: 10, t: at(20) }], metrics: { t: at(20), error: '/metrics answered 500', code: 'http-error' } };

  test('index round trip; hostile metrics and trigger fields are dropped', () => {
    const h = { ...header, triggers: { goroutines: 100, cooldownSeconds: 300 } };
    const idx = parseRecordingIndex(indexLine(h) + indexLine(r1) + indexLine(r2) + indexLine(r3));
    assert.deepEqual(idx.header, h);
    assert.deepEqual(idx.rounds, [r1, r2, r3]);
    const evil = {
      ...r1,
      metrics: { t: at(0), dbSizeBytes: -1, leaderChanges: 'x', walFsync: { le: [2, 1], counts: [1, 2, 3] } },
      triggered: { reason: 'r', crossed: [{ metric: 'rm -rf', value: 1, threshold: 1 }], captures: [{ kind: 'heap', file: '../../etc/passwd', bytes: 1 }] },
    };
    const back = parseRecordingIndex(indexLine(header) + JSON.stringify(evil)).rounds[0];
    assert.deepEqual(back.metrics, { t: at(0) });
    assert.deepEqual(back.triggered, { reason: 'r', crossed: [], captures: [] });
  });

  test('series (kind "metrics"), charts and trigger marks', () => {
    const tl = new Timeline();
    for (const r of [r1, r2, r3]) tl.add(r, {});
    const json = timelineJson({ header, rounds: [r1, r2, r3], skippedLines: 0 }, tl, []);
    const m = json.series.filter((s) => s.kind === 'metrics');
    assert.deepEqual(m.map((s) => [s.metric, s.unit]), [['db_size_bytes', 'bytes'], ['db_size_in_use_bytes', 'bytes'], ['wal_fsync_p99_seconds', 'seconds'], ['leader_changes_seen_total', 'count']]);
    const values = (name: string) => m.find((s) => s.metric === name)!.points.map((p) => [p.round, p.value, p.file]);
    assert.deepEqual(values('db_size_bytes'), [[1, s1.dbSizeBytes, ''], [2, s2.dbSizeBytes, '']]);
    // Round 1: cumulative (no read before); round 2: between the reads.
    assert.deepEqual(values('wal_fsync_p99_seconds'), [[1, histogramQuantile(0.99, s1.walFsync!), ''], [2, 0.096, '']]);
    assert.deepEqual(json.triggers, [
      {
        pod: 'etcd-master-0',
        round: 2,
        t: at(11),
        reason: 'goroutines 120 ≥ 100',
        crossed: [{ metric: 'goroutines', value: 120, threshold: 100 }],
        files: [{ kind: 'goroutine', file: 'etcd-master-0/triggered-goroutine-debug2-b.txt' }],
        failed: [{ kind: 'heap', error: 'The connection dropped' }],
      },
    ]);
    const model = timelineModel(header, tl, [], { title: 't', live: false });
    const charts = model.pods[0].charts;
    assert.deepEqual(charts.filter((c) => c.kind === 'metrics').map((c) => [c.title, c.lines.map((l) => l.name)]), [
      ['etcd db size (from /metrics)', ['total', 'in use']],
      ['etcd WAL fsync p99 (between rounds, from /metrics)', ['p99']],
      ['etcd leader changes seen (from /metrics)', ['leader changes']],
    ]);
    const mark = model.pods[0].marks.find((x) => x.kind === 'triggered')!;
    assert.equal(mark.text, 'Round 2: trigger (goroutines 120 ≥ 100): captured goroutine dump; heap failed: The connection dropped');
    assert.deepEqual(mark.files, ['etcd-master-0/triggered-goroutine-debug2-b.txt']);
  });
});

describe('triggers', () => {
  test('fires at the threshold, then not again for the pod until the cool-down has passed', () => {
    const g = new TriggerGate({ goroutines: 100, heapInuseBytes: 512 << 20, cooldownSeconds: 60 });
    assert.equal(g.check('a', T0, { goroutines: 99, heapInuseBytes: 1 }), undefined);
    const f = g.check('a', T0 + 1000, { goroutines: 100 })!;
    assert.deepEqual(f, { reason: 'goroutines 100 ≥ 100', crossed: [{ metric: 'goroutines', value: 100, threshold: 100 }] });
    assert.equal(g.check('a', T0 + 30_000, { goroutines: 500, heapInuseBytes: 600 << 20 }), undefined, 'in cool-down');
    assert.equal(g.check('a', T0 + 60_999, { goroutines: 500 }), undefined, 'still in cool-down');
    assert.ok(g.check('b', T0 + 30_000, { goroutines: 500 }), 'another pod has its own cool-down');
    const again = g.check('a', T0 + 61_000, { goroutines: 50, heapInuseBytes: 600 << 20 })!;
    assert.equal(again.reason, 'heap in use 600.0 MiB ≥ 512.0 MiB');
    assert.equal(g.check('a', T0 + 200_000, {}), undefined, 'no values, no fire');
    assert.throws(() => new TriggerGate({ goroutines: 0 }), /above 0/);
  });

  test('sizes and the one-line form of Record…', () => {
    assert.equal(parseByteSize('512MiB'), 512 * 1024 * 1024);
    assert.equal(parseByteSize('1.5GiB'), 1.5 * 1024 ** 3);
    assert.equal(parseByteSize('800MB'), 800e6);
    assert.equal(parseByteSize('4096'), 4096);
    assert.throws(() => parseByteSize('lots'), /not a size/);
    assert.deepEqual(parseTriggerSpec('goroutines>5000 heap>512MiB cooldown=5m'), { goroutines: 5000, heapInuseBytes: 512 << 20, cooldownSeconds: 300 });
    assert.deepEqual(parseTriggerSpec('heap>=1GiB'), { heapInuseBytes: 1 << 30 });
    assert.equal(parseTriggerSpec('  '), undefined);
    assert.throws(() => parseTriggerSpec('cooldown=5m'), /a cool-down alone/);
    assert.throws(() => parseTriggerSpec('goroutines>many'), /whole number/);
    assert.throws(() => parseTriggerSpec('cpu>90'), /not a trigger/);
  });
});
