// A recording's timeline: per pod, the summaries of its rounds kept compactly (group keys and function names
// interned, counts in typed arrays), the series a chart draws, allocation rates computed locally between
// consecutive allocs captures, and the findings (see findings.ts). Pure: fed round by round, by the recorder
// as it goes or by a loader reading a recording directory.
import type { AllocsSummary, CaptureSummary, CpuSummary, GoroutineSummary, HeapSummary } from './captureSummary.ts';
import { walFsyncP99, type Histogram } from './etcdMetrics.ts';
import type { PodChange, RecordKind, RoundEntry, RoundTrigger } from './recordingIndex.ts';

/** Where a point came from: its round and its capture file (relative to the recording directory). */
export interface PointRef {
  /** Milliseconds since the epoch: the capture's time. */
  t: number;
  round: number;
  file: string;
  /** Increments when the pod restarted or was replaced: values of different epochs are different processes. */
  epoch: number;
}

export interface GroupInfo {
  key: string;
  state: string;
  frames: string[];
  files: string[];
  createdBy: string | null;
}

interface GoroutinePoint extends PointRef {
  total: number;
  states: Record<string, number>;
  /** Pairs (group id, count). */
  groups: Int32Array;
}

interface ValuesPoint extends PointRef {
  a: number;
  b: number;
  /** Pairs (name id, value). */
  top: Float64Array;
}

/** One read of an etcd member's /metrics (no capture file behind it). */
export interface MetricsPoint {
  t: number;
  round: number;
  epoch: number;
  dbSizeBytes?: number;
  dbSizeInUseBytes?: number;
  leaderChanges?: number;
  /** WAL fsync p99 in seconds: of the fsyncs since the previous read, or cumulative (see etcdMetrics.ts). */
  fsyncP99?: number;
  fsyncBasis?: 'interval' | 'cumulative';
}

/** A trigger that fired: when, why, and the files it captured (relative to the recording directory). */
export interface TriggerMark {
  t: number;
  round: number;
  reason: string;
  crossed: RoundTrigger['crossed'];
  files: Array<{ kind: RecordKind; file: string }>;
  failed: Array<{ kind: RecordKind; error: string }>;
}

export interface RoundMark {
  round: number;
  t: number;
  change?: PodChange;
  failed: Array<{ kind: RecordKind; error: string; code: string }>;
}

export class PodTimeline {
  readonly pod: string;
  readonly rounds: RoundMark[] = [];
  readonly goroutine: GoroutinePoint[] = [];
  readonly heap: ValuesPoint[] = [];
  readonly allocs: ValuesPoint[] = [];
  readonly cpu: Array<ValuesPoint & { seconds: number }> = [];
  readonly metrics: MetricsPoint[] = [];
  readonly triggers: TriggerMark[] = [];
  /** The last WAL fsync histogram read, to compute the next read's interval p99. Not kept per point. */
  lastFsync?: { epoch: number; h: Histogram };
  readonly groups: GroupInfo[] = [];
  readonly names: string[] = [];
  private readonly groupIds = new Map<string, number>();
  private readonly nameIds = new Map<string, number>();
  epoch = 0;

  constructor(pod: string) {
    this.pod = pod;
  }

  groupId(g: GoroutineSummary['groups'][number]): number {
    let id = this.groupIds.get(g.key);
    if (id === undefined) {
      id = this.groups.length;
      this.groupIds.set(g.key, id);
      this.groups.push({ key: g.key, state: g.state, frames: g.frames, files: g.files, createdBy: g.createdBy });
    }
    return id;
  }

  nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.nameIds.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  pairs(top: Array<{ name: string; value: number }>): Float64Array {
    const out = new Float64Array(top.length * 2);
    top.forEach((f, i) => {
      out[2 * i] = this.nameId(f.name);
      out[2 * i + 1] = f.value;
    });
    return out;
  }

  topOf(p: ValuesPoint): Map<string, number> {
    const m = new Map<string, number>();
    for (let i = 0; i < p.top.length; i += 2) m.set(this.names[p.top[i]], p.top[i + 1]);
    return m;
  }

  groupCounts(p: GoroutinePoint): Map<number, number> {
    const m = new Map<number, number>();
    for (let i = 0; i < p.groups.length; i += 2) m.set(p.groups[i], p.groups[i + 1]);
    return m;
  }
}

export interface SeriesPoint {
  t: string;
  value: number;
  round: number;
  file: string;
}

export interface Series {
  pod: string;
  /** `metrics`: read from an etcd member's /metrics; its points have no capture file (`file` is ""). */
  kind: RecordKind | 'metrics';
  metric: string;
  unit: 'count' | 'bytes' | 'bytes/s' | 'objects/s' | 'share' | 'seconds';
  points: SeriesPoint[];
}

/** CPU functions charted per pod: those with the largest mean share. */
export const CPU_SERIES = 5;

export class Timeline {
  readonly pods = new Map<string, PodTimeline>();

  pod(name: string): PodTimeline {
    let p = this.pods.get(name);
    if (!p) {
      p = new PodTimeline(name);
      this.pods.set(name, p);
    }
    return p;
  }

  /** Adds one round of a pod: its failures and changes, and the summaries of the captures that worked. */
  add(round: RoundEntry, summaries: Partial<Record<RecordKind, { summary: CaptureSummary; file: string; t: string }>>, failures: Array<{ kind: RecordKind; error: string; code: string }> = []): void {
    const p = this.pod(round.pod);
    if (round.change) p.epoch++;
    // A change seen because a capture of this round failed (the pod restarted during the round): the captures
    // that worked may be of the old process or of the new one. They get an epoch of their own (charted, never
    // compared with either process's points).
    const captureEpoch = round.change && failures.length > 0 ? p.epoch - 0.5 : p.epoch;
    p.rounds.push({ round: round.round, t: Date.parse(round.t), change: round.change, failed: failures });
    const m = round.metrics;
    if (m && !('error' in m)) {
      const point: MetricsPoint = { t: Date.parse(m.t), round: round.round, epoch: p.epoch, dbSizeBytes: m.dbSizeBytes, dbSizeInUseBytes: m.dbSizeInUseBytes, leaderChanges: m.leaderChanges };
      const prev = p.lastFsync && p.lastFsync.epoch === p.epoch ? p.lastFsync.h : undefined;
      const p99 = walFsyncP99(m.walFsync, prev);
      if (p99) {
        point.fsyncP99 = p99.seconds;
        point.fsyncBasis = p99.basis;
      }
      if (m.walFsync) p.lastFsync = { epoch: p.epoch, h: m.walFsync };
      p.metrics.push(point);
    }
    if (round.triggered) {
      const tr = round.triggered;
      p.triggers.push({
        t: Date.parse(tr.captures[0]?.t ?? round.t),
        round: round.round,
        reason: tr.reason,
        crossed: tr.crossed,
        files: tr.captures.flatMap((c) => ('file' in c ? [{ kind: c.kind, file: c.file }] : [])),
        failed: tr.captures.flatMap((c) => ('error' in c ? [{ kind: c.kind, error: c.error }] : [])),
      });
    }
    for (const entry of Object.values(summaries)) {
      if (!entry) continue;
      const ref: PointRef = { t: Date.parse(entry.t), round: round.round, file: entry.file, epoch: captureEpoch };
      const s = entry.summary;
      switch (s.kind) {
        case 'goroutine': {
          const g = new Int32Array(s.groups.length * 2);
          s.groups.forEach((x, i) => {
            g[2 * i] = p.groupId(x);
            g[2 * i + 1] = x.count;
          });
          p.goroutine.push({ ...ref, total: s.total, states: s.states, groups: g });
          break;
        }
        case 'heap':
          p.heap.push({ ...ref, a: (s as HeapSummary).inuseBytes, b: s.inuseObjects, top: p.pairs(s.top) });
          break;
        case 'allocs': {
          const a = s as AllocsSummary;
          const prev = p.allocs[p.allocs.length - 1];
          // A cumulative total that went down is a new process even when no change was seen.
          const ambiguous = captureEpoch !== p.epoch;
          if (!ambiguous && prev && prev.epoch === p.epoch && a.allocBytes < prev.a) p.epoch++;
          p.allocs.push({ ...ref, epoch: ambiguous ? captureEpoch : p.epoch, a: a.allocBytes, b: a.allocObjects, top: p.pairs(a.top) });
          break;
        }
        case 'cpu': {
          const c = s as CpuSummary;
          p.cpu.push({ ...ref, a: c.cpuSeconds, b: 0, seconds: c.seconds, top: p.pairs(c.top) });
          break;
        }
      }
    }
  }

  series(): Series[] {
    const out: Series[] = [];
    for (const p of this.pods.values()) out.push(...podSeries(p));
    return out;
  }
}

const iso = (t: number): string => new Date(t).toISOString();
const pt = (r: PointRef, value: number): SeriesPoint => ({ t: iso(r.t), value, round: r.round, file: r.file });

export interface AllocRate extends PointRef {
  bytesPerSecond: number;
  objectsPerSecond: number;
  /** Functions by bytes allocated per second in the interval, largest first. */
  top: Array<{ name: string; bytesPerSecond: number }>;
}

/**
 * Allocation rates between consecutive allocs captures of the same process, computed here from the
 * cumulative totals (the server-side `?seconds=` delta mishandles in-use values, golang/go#67942).
 */
export function allocationRates(p: PodTimeline, topN = 10): AllocRate[] {
  const out: AllocRate[] = [];
  for (let i = 1; i < p.allocs.length; i++) {
    const a = p.allocs[i - 1];
    const b = p.allocs[i];
    const dt = (b.t - a.t) / 1000;
    if (b.epoch !== a.epoch || dt <= 0) continue;
    const before = p.topOf(a);
    const top: AllocRate['top'] = [];
    for (const [name, v] of p.topOf(b)) {
      const d = v - (before.get(name) ?? 0);
      if (d > 0) top.push({ name, bytesPerSecond: d / dt });
    }
    top.sort((x, y) => y.bytesPerSecond - x.bytesPerSecond || (x.name < y.name ? -1 : 1));
    out.push({ t: b.t, round: b.round, file: b.file, epoch: b.epoch, bytesPerSecond: (b.a - a.a) / dt, objectsPerSecond: (b.b - a.b) / dt, top: top.slice(0, topN) });
  }
  return out;
}

function podSeries(p: PodTimeline): Series[] {
  const out: Series[] = [];
  const pod = p.pod;
  if (p.goroutine.length) {
    out.push({ pod, kind: 'goroutine', metric: 'goroutines', unit: 'count', points: p.goroutine.map((x) => pt(x, x.total)) });
    const states = new Map<string, number>();
    for (const x of p.goroutine) for (const [s, c] of Object.entries(x.states)) states.set(s, (states.get(s) ?? 0) + c);
    for (const s of [...states].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([s]) => s)) {
      out.push({ pod, kind: 'goroutine', metric: `goroutines:${s}`, unit: 'count', points: p.goroutine.map((x) => pt(x, x.states[s] ?? 0)) });
    }
  }
  if (p.heap.length) {
    out.push({ pod, kind: 'heap', metric: 'inuse_bytes', unit: 'bytes', points: p.heap.map((x) => pt(x, x.a)) });
    out.push({ pod, kind: 'heap', metric: 'inuse_objects', unit: 'count', points: p.heap.map((x) => pt(x, x.b)) });
  }
  if (p.allocs.length) {
    const rates = allocationRates(p, 0);
    out.push({ pod, kind: 'allocs', metric: 'alloc_bytes_per_second', unit: 'bytes/s', points: rates.map((r) => pt(r, r.bytesPerSecond)) });
    out.push({ pod, kind: 'allocs', metric: 'alloc_objects_per_second', unit: 'objects/s', points: rates.map((r) => pt(r, r.objectsPerSecond)) });
  }
  if (p.cpu.length) {
    const sums = new Map<string, number>();
    for (const x of p.cpu) for (const [n, v] of p.topOf(x)) sums.set(n, (sums.get(n) ?? 0) + v);
    const chosen = [...sums].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, CPU_SERIES).map(([n]) => n);
    for (const fn of chosen) {
      out.push({ pod, kind: 'cpu', metric: `cpu_share:${fn}`, unit: 'share', points: p.cpu.map((x) => pt(x, p.topOf(x).get(fn) ?? 0)) });
    }
  }
  if (p.metrics.length) {
    const mp = (x: MetricsPoint, value: number): SeriesPoint => ({ t: iso(x.t), value, round: x.round, file: '' });
    const of = (metric: string, unit: Series['unit'], get: (x: MetricsPoint) => number | undefined): void => {
      const points = p.metrics.flatMap((x) => {
        const v = get(x);
        return v === undefined ? [] : [mp(x, v)];
      });
      if (points.length) out.push({ pod, kind: 'metrics', metric, unit, points });
    };
    of(METRIC_SERIES.dbSize, 'bytes', (x) => x.dbSizeBytes);
    of(METRIC_SERIES.dbInUse, 'bytes', (x) => x.dbSizeInUseBytes);
    of(METRIC_SERIES.fsyncP99, 'seconds', (x) => x.fsyncP99);
    of(METRIC_SERIES.leaderChanges, 'count', (x) => x.leaderChanges);
  }
  return out;
}

/** Names of the etcd metrics series (`kind: "metrics"`) in the timeline and `timeline --json`. */
export const METRIC_SERIES = {
  /** etcd_mvcc_db_total_size_in_bytes */
  dbSize: 'db_size_bytes',
  /** etcd_mvcc_db_total_size_in_use_in_bytes */
  dbInUse: 'db_size_in_use_bytes',
  /** p99 of etcd_disk_wal_fsync_duration_seconds between consecutive rounds (cumulative when none in between) */
  fsyncP99: 'wal_fsync_p99_seconds',
  /** etcd_server_leader_changes_seen_total */
  leaderChanges: 'leader_changes_seen_total',
} as const;
