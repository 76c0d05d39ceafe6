// What a recording keeps of each capture: a few numbers and the top functions, not the profile. A summary
// is plain JSON-safe data, small (a few KB), built once from the capture's bytes.
import { resolveSampleIndex } from './aggregate.ts';
import { decodeProfile } from './decode.ts';
import { groupKey } from './goroutineDiff.ts';
import { parseGoroutineDump, type GoroutineDump } from './goroutines.ts';
import type { RecordKind } from './recordingIndex.ts';
import { buildTop } from './top.ts';
import type { Profile } from './types.ts';

/** Frames kept per goroutine group (innermost first): enough to name it. */
export const GROUP_FRAMES = 16;
/** Functions kept per heap / allocs / CPU summary. */
export const TOP_HEAP = 40;
export const TOP_ALLOCS = 80;
export const TOP_CPU = 10;

export interface GroupSummary {
  /** Identity across dumps: state, full stack and creator (see goroutineDiff.groupKey). */
  key: string;
  state: string;
  count: number;
  /** Function names, innermost first, at most GROUP_FRAMES. */
  frames: string[];
  /** `file:line` of each kept frame. */
  files: string[];
  createdBy: string | null;
}

export interface GoroutineSummary {
  kind: 'goroutine';
  total: number;
  states: Record<string, number>;
  groups: GroupSummary[];
}

export interface FunctionValue {
  name: string;
  value: number;
}

export interface HeapSummary {
  kind: 'heap';
  inuseBytes: number;
  inuseObjects: number;
  /** Functions by flat in-use bytes, largest first. */
  top: FunctionValue[];
}

export interface AllocsSummary {
  kind: 'allocs';
  /** Since the process started (allocs profiles are cumulative). */
  allocBytes: number;
  allocObjects: number;
  /** Functions by flat allocated bytes since start, largest first. */
  top: FunctionValue[];
}

export interface CpuSummary {
  kind: 'cpu';
  seconds: number;
  /** CPU time sampled, in seconds. */
  cpuSeconds: number;
  /** Functions by flat share of the sampled CPU time (0..1), largest first. */
  top: FunctionValue[];
}

export type CaptureSummary = GoroutineSummary | HeapSummary | AllocsSummary | CpuSummary;

export function summarizeGoroutineDump(dump: GoroutineDump): GoroutineSummary {
  const groups = new Map<string, GroupSummary>();
  for (const g of dump.groups) {
    const key = groupKey(g, true);
    const had = groups.get(key);
    if (had) {
      had.count += g.count;
      continue;
    }
    const kept = g.frames.slice(0, GROUP_FRAMES);
    groups.set(key, {
      key,
      state: g.state,
      count: g.count,
      frames: kept.map((f) => f.function),
      files: kept.map((f) => `${f.file}:${f.line}`),
      createdBy: g.createdBy ? g.createdBy.function : null,
    });
  }
  return { kind: 'goroutine', total: dump.goroutines, states: { ...dump.states }, groups: [...groups.values()] };
}

function total(profile: Profile, type: string): number {
  const i = profile.sampleTypes.findIndex((t) => t.type === type);
  if (i < 0) return 0;
  let sum = 0;
  for (const s of profile.samples) sum += s.values[i];
  return sum;
}

function topFunctions(profile: Profile, type: string, limit: number): FunctionValue[] {
  const sampleIndex = resolveSampleIndex(profile, type);
  const top = buildTop(profile, { sampleIndex, granularity: 'functions' });
  const out: FunctionValue[] = [];
  for (const r of top.rows) {
    if (out.length >= limit) break;
    if (r.flat > 0) out.push({ name: r.name, value: r.flat });
  }
  return out;
}

export function summarizeHeap(profile: Profile): HeapSummary {
  return { kind: 'heap', inuseBytes: total(profile, 'inuse_space'), inuseObjects: total(profile, 'inuse_objects'), top: topFunctions(profile, 'inuse_space', TOP_HEAP) };
}

export function summarizeAllocs(profile: Profile): AllocsSummary {
  return { kind: 'allocs', allocBytes: total(profile, 'alloc_space'), allocObjects: total(profile, 'alloc_objects'), top: topFunctions(profile, 'alloc_space', TOP_ALLOCS) };
}

export function summarizeCpu(profile: Profile): CpuSummary {
  const type = profile.sampleTypes.some((t) => t.type === 'cpu') ? 'cpu' : profile.sampleTypes[profile.sampleTypes.length - 1]?.type ?? '';
  const nanos = total(profile, type);
  const top = nanos > 0 ? topFunctions(profile, type, TOP_CPU).map((f) => ({ name: f.name, value: f.value / nanos })) : [];
  return { kind: 'cpu', seconds: profile.durationNanos / 1e9, cpuSeconds: nanos / 1e9, top };
}

/** Summary of a capture file's bytes; throws `ProfileError` when they are not what the kind promises. */
export function summarizeCapture(kind: RecordKind, bytes: Uint8Array, name?: string): CaptureSummary {
  switch (kind) {
    case 'goroutine':
      return summarizeGoroutineDump(parseGoroutineDump(bytes, name));
    case 'heap':
      return summarizeHeap(decodeProfile(bytes, name));
    case 'allocs':
      return summarizeAllocs(decodeProfile(bytes, name));
    case 'cpu':
      return summarizeCpu(decodeProfile(bytes, name));
  }
}
