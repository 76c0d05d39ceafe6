// Dump-to-dump comparison: which goroutine groups grew, shrank, appeared or vanished between a base dump
// and a later one (the goroutine-leak view). Groups match on their frames (function, file, line) and
// creator, and on their state when both dumps are debug=2; a debug=1 or protobuf dump has neither states nor
// creators, so against one of those groups match on their frames alone.
import type { GoroutineDump, GoroutineFrame, GoroutineGroup } from './goroutines.ts';

export type GroupChange = 'grew' | 'shrank' | 'appeared' | 'vanished' | 'same';

export interface GroupDiff {
  change: GroupChange;
  /** The state shown: the current dump's, else the base's; `unknown` when matched on the stack alone. */
  state: string;
  frames: GoroutineFrame[];
  createdBy: GoroutineFrame | null;
  before: number;
  after: number;
  /** after − before */
  delta: number;
  /** Wait range in the current dump (the base's for vanished groups). */
  waitMinutes: [number, number];
  /** First goroutine id of the group in the current dump (base for vanished), -1 when unknown. */
  firstId: number;
}

export interface GoroutineDiff {
  before: number;
  after: number;
  /** Whether groups were matched with their state and creator (both dumps debug=2), else on frames alone. */
  byState: boolean;
  /** Every group of either dump, changed ones first by |delta| (largest first), then unchanged by count. */
  groups: GroupDiff[];
  counts: Record<GroupChange, number>;
}

function frameKey(f: GoroutineFrame): string {
  return `${f.function}\u0000${f.file}\u0000${f.line}`;
}

/** The identity of a group across dumps: frames, plus state and creator when `byState`. */
export function groupKey(g: Pick<GoroutineGroup, 'state' | 'frames' | 'createdBy'>, byState: boolean): string {
  let key = byState ? g.state : '';
  for (const f of g.frames) key += '\u0001' + frameKey(f);
  if (byState && g.createdBy) key += '\u0002' + frameKey(g.createdBy);
  return key;
}

interface Acc {
  state: string;
  frames: GoroutineFrame[];
  createdBy: GoroutineFrame | null;
  count: number;
  wait: [number, number];
  firstId: number;
}

function collect(dump: GoroutineDump, byState: boolean): Map<string, Acc> {
  const out = new Map<string, Acc>();
  for (const g of dump.groups) {
    const key = groupKey(g, byState);
    const a = out.get(key);
    if (!a) {
      out.set(key, { state: byState ? g.state : 'unknown', frames: g.frames, createdBy: g.createdBy, count: g.count, wait: [g.waitMinutes[0], g.waitMinutes[1]], firstId: g.ids[0] ?? -1 });
    } else {
      a.count += g.count;
      a.wait[0] = Math.min(a.wait[0], g.waitMinutes[0]);
      a.wait[1] = Math.max(a.wait[1], g.waitMinutes[1]);
      if (a.firstId < 0 && g.ids.length) a.firstId = g.ids[0];
    }
  }
  return out;
}

const ORDER: Record<GroupChange, number> = { appeared: 0, grew: 0, shrank: 0, vanished: 0, same: 1 };

/** Compares `current` with `base` (the earlier dump). */
export function diffGoroutineDumps(base: GoroutineDump, current: GoroutineDump): GoroutineDiff {
  const byState = base.format === 'debug=2' && current.format === 'debug=2';
  const a = collect(base, byState);
  const b = collect(current, byState);
  const groups: GroupDiff[] = [];
  for (const [key, cur] of b) {
    const old = a.get(key);
    const before = old?.count ?? 0;
    const delta = cur.count - before;
    const change: GroupChange = !old ? 'appeared' : delta > 0 ? 'grew' : delta < 0 ? 'shrank' : 'same';
    groups.push({ change, state: cur.state, frames: cur.frames, createdBy: cur.createdBy, before, after: cur.count, delta, waitMinutes: cur.wait, firstId: cur.firstId });
  }
  for (const [key, old] of a) {
    if (b.has(key)) continue;
    groups.push({ change: 'vanished', state: old.state, frames: old.frames, createdBy: old.createdBy, before: old.count, after: 0, delta: -old.count, waitMinutes: old.wait, firstId: old.firstId });
  }
  groups.sort((x, y) =>
    ORDER[x.change] - ORDER[y.change] ||
    Math.abs(y.delta) - Math.abs(x.delta) ||
    y.after - x.after ||
    y.before - x.before ||
    (x.frames[0]?.function ?? '').localeCompare(y.frames[0]?.function ?? ''),
  );
  const counts: Record<GroupChange, number> = { grew: 0, shrank: 0, appeared: 0, vanished: 0, same: 0 };
  for (const g of groups) counts[g.change]++;
  return { before: base.goroutines, after: current.goroutines, byState, groups, counts };
}

function waitText(w: [number, number]): string {
  if (w[1] === 0) return '';
  return w[0] === w[1] ? `, ${w[0]} minutes` : `, ${w[0]}-${w[1]} minutes`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/**
 * The comparison as text in the layout of a debug=2 dump, so the dump language colours it and links its
 * `file:line`s: one block per changed group, `grew +50 (100 → 150) [chan receive]:`, then its frames.
 */
export function formatGoroutineDiff(diff: GoroutineDiff, baseName: string, currentName: string, options: { includeSame?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`# goroutine dump comparison`);
  out.push(`# base:    ${baseName} (${diff.before} goroutines)`);
  out.push(`# current: ${currentName} (${diff.after} goroutines)`);
  out.push(`# change:  ${signed(diff.after - diff.before)} goroutines; groups: ${diff.counts.grew} grew, ${diff.counts.shrank} shrank, ${diff.counts.appeared} appeared, ${diff.counts.vanished} vanished, ${diff.counts.same} unchanged${diff.byState ? '' : ' (matched on frames alone: a dump without states and creators)'}`);
  out.push('');
  for (const g of diff.groups) {
    if (g.change === 'same' && !options.includeSame) continue;
    out.push(`${g.change} ${signed(g.delta)} (${g.before} → ${g.after}) [${g.state}${waitText(g.waitMinutes)}]:`);
    for (const f of g.frames) {
      out.push(f.function);
      if (f.file) out.push(`\t${f.file}:${f.line}`);
    }
    if (g.createdBy) {
      out.push(`created by ${g.createdBy.function}`);
      if (g.createdBy.file) out.push(`\t${g.createdBy.file}:${g.createdBy.line}`);
    }
    out.push('');
  }
  if (diff.groups.every((g) => g.change === 'same')) out.push('# no group changed');
  return out.join('\n');
}
