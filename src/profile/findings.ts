// Leak findings over a timeline, per pod, within the pod's latest process (points after its last restart or
// replacement):
// - a goroutine group (same state, stack and creator) whose count rose in most rounds and never fell by much:
//   `+23/min main.parkedOnRequest · sync.WaitGroup.Wait`, with its count at start and end;
// - heap in-use bytes that grew by a clear amount, rising in at least three of four steps that changed, with the
//   functions whose in-use grew most.
import type { PodTimeline, Timeline } from './timeline.ts';
import { scaledLabel } from './units.ts';

export type FindingKind = 'goroutine-leak' | 'heap-leak';

export interface Finding {
  /** Stable across rounds for the same group / pod: a new id is a new finding. */
  id: string;
  kind: FindingKind;
  pod: string;
  /** One line, e.g. `+23/min main.parkedOnRequest · sync.WaitGroup.Wait`. */
  what: string;
  /** Count (goroutines) or bytes (heap) at the first and last point considered. */
  start: number;
  end: number;
  perMinute: number;
  from: string;
  to: string;
  /** Points considered and in how many steps the value rose. */
  points: number;
  rises: number;
  /** goroutine-leak: state, top frames (innermost first) and creator. */
  state?: string;
  frames?: string[];
  createdBy?: string | null;
  /** heap-leak: functions whose in-use bytes grew most, with the growth. */
  functions?: Array<{ name: string; growth: number }>;
  /** Files of the first and last capture considered (relative to the recording), for a compare. */
  files?: [string, string];
}

export interface FindingOptions {
  /** Fewest points (rounds with the capture) before anything is said. */
  minPoints: number;
  /** Share of steps that must rise. */
  riseShare: number;
  /** Share of steps that may fall. */
  fallShare: number;
  /** Least growth of a goroutine group, first to last. */
  minGoroutines: number;
  /** Least heap growth, first to last: the larger of these bytes and this share of the start. */
  minHeapBytes: number;
  minHeapShare: number;
}

export const DEFAULT_FINDING_OPTIONS: FindingOptions = {
  minPoints: 4,
  riseShare: 0.5,
  fallShare: 0.1,
  minGoroutines: 3,
  minHeapBytes: 1 << 20,
  minHeapShare: 0.1,
};

/** Standard-library packages: no dot in the first element of the import path (`sync`, `internal/poll`); not `main`. */
function isStdlib(fn: string): boolean {
  const slash = fn.lastIndexOf('/');
  const dot = fn.indexOf('.', slash + 1);
  const pkg = dot < 0 ? fn : fn.slice(0, dot);
  return pkg !== 'main' && !pkg.split('/')[0].includes('.');
}

/** The frame that names a group: the first outside the standard library, else the innermost. */
export function headlineFrame(frames: string[]): string {
  return frames.find((f) => !isStdlib(f)) ?? frames[0] ?? '?';
}

function perMinute(delta: number, fromMs: number, toMs: number): number {
  const minutes = (toMs - fromMs) / 60_000;
  return minutes > 0 ? delta / minutes : 0;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function signed(x: number, text: string): string {
  return `${x >= 0 ? '+' : '−'}${text}`;
}

/** Steps up and down of a series (equal values count as neither). */
function steps(values: number[]): { rises: number; falls: number } {
  let rises = 0;
  let falls = 0;
  for (let i = 1; i < values.length; i++) {
    if (values[i] > values[i - 1]) rises++;
    else if (values[i] < values[i - 1]) falls++;
  }
  return { rises, falls };
}

function steady(values: number[], o: FindingOptions): { ok: boolean; rises: number } {
  const n = values.length - 1;
  const { rises, falls } = steps(values);
  return { ok: values.length >= o.minPoints && rises > n * o.riseShare && falls <= Math.floor(n * o.fallShare), rises };
}

function latestEpoch<T extends { epoch: number }>(points: T[]): T[] {
  if (points.length === 0) return points;
  const e = points[points.length - 1].epoch;
  return points.filter((p) => p.epoch === e);
}

function goroutineFindings(p: PodTimeline, o: FindingOptions): Finding[] {
  const pts = latestEpoch(p.goroutine);
  if (pts.length < o.minPoints) return [];
  const counts = pts.map((x) => p.groupCounts(x));
  const ids = new Set<number>();
  for (const c of counts) for (const id of c.keys()) ids.add(id);
  const out: Finding[] = [];
  for (const id of ids) {
    const values = counts.map((c) => c.get(id) ?? 0);
    const start = values[0];
    const end = values[values.length - 1];
    if (end - start < o.minGoroutines) continue;
    const s = steady(values, o);
    if (!s.ok) continue;
    const g = p.groups[id];
    const first = pts[0];
    const last = pts[pts.length - 1];
    const rate = perMinute(end - start, first.t, last.t);
    out.push({
      id: `goroutine-leak:${p.pod}:${g.key}`,
      kind: 'goroutine-leak',
      pod: p.pod,
      what: `${signed(rate, `${round1(Math.abs(rate))}/min`)} ${headlineFrame(g.frames)} · ${g.state}`,
      start,
      end,
      perMinute: round1(rate),
      from: new Date(first.t).toISOString(),
      to: new Date(last.t).toISOString(),
      points: values.length,
      rises: s.rises,
      state: g.state,
      frames: g.frames,
      createdBy: g.createdBy,
      files: [first.file, last.file],
    });
  }
  return out.sort((a, b) => b.perMinute - a.perMinute || (a.what < b.what ? -1 : 1));
}

function heapFindings(p: PodTimeline, o: FindingOptions): Finding[] {
  const pts = latestEpoch(p.heap);
  if (pts.length < o.minPoints) return [];
  const values = pts.map((x) => x.a);
  const start = values[0];
  const end = values[values.length - 1];
  if (end - start < Math.max(o.minHeapBytes, start * o.minHeapShare)) return [];
  // Without a GC between two captures the heap profile does not change: equal steps say nothing, so
  // most of the steps that changed must rise.
  const { rises, falls } = steps(values);
  if (rises < 2 || rises < 3 * falls) return [];
  const s = { rises };
  const first = pts[0];
  const last = pts[pts.length - 1];
  const before = p.topOf(first);
  const functions: Array<{ name: string; growth: number }> = [];
  for (const [name, v] of p.topOf(last)) {
    const growth = v - (before.get(name) ?? 0);
    if (growth > 0) functions.push({ name, growth });
  }
  functions.sort((a, b) => b.growth - a.growth || (a.name < b.name ? -1 : 1));
  const top = functions.slice(0, 3);
  const rate = perMinute(end - start, first.t, last.t);
  const named = top.map((f) => `${f.name} +${scaledLabel(f.growth, 'bytes')}`).join(', ');
  return [
    {
      id: `heap-leak:${p.pod}`,
      kind: 'heap-leak',
      pod: p.pod,
      what: `+${scaledLabel(rate, 'bytes')}/min heap in use${named ? ` · ${named}` : ''}`,
      start,
      end,
      perMinute: Math.round(rate),
      from: new Date(first.t).toISOString(),
      to: new Date(last.t).toISOString(),
      points: values.length,
      rises: s.rises,
      functions: top,
      files: [first.file, last.file],
    },
  ];
}

export function findLeaks(timeline: Timeline, options: Partial<FindingOptions> = {}): Finding[] {
  const o = { ...DEFAULT_FINDING_OPTIONS, ...options };
  const out: Finding[] = [];
  for (const p of timeline.pods.values()) out.push(...goroutineFindings(p, o), ...heapFindings(p, o));
  return out;
}
