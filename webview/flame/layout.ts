// Geometry of the flame graph over the preorder arrays of `FlameData`: x offsets, parents,
// which frames are wide enough to draw, hit testing and keyboard neighbours. No DOM.
import type { FlameData } from '../../src/protocol.ts';

export interface FlameLayout {
  readonly data: FlameData;
  readonly n: number;
  /** Left edge of each node in value units (root spans [0, cum[0])). */
  readonly x: Float64Array;
  readonly parent: Int32Array;
  readonly maxDepth: number;
}

export function buildLayout(data: FlameData): FlameLayout {
  const n = data.cum.length;
  const x = new Float64Array(n);
  const parent = new Int32Array(n);
  let maxDepth = 0;
  for (let i = 0; i < n; i++) if (data.depth[i] > maxDepth) maxDepth = data.depth[i];
  const nextX = new Float64Array(maxDepth + 2);
  const lastAt = new Int32Array(maxDepth + 2).fill(-1);
  for (let i = 0; i < n; i++) {
    const d = data.depth[i];
    const xi = d === 0 ? 0 : nextX[d];
    x[i] = xi;
    nextX[d] = xi + data.cum[i];
    nextX[d + 1] = xi;
    parent[i] = d === 0 ? -1 : lastAt[d - 1];
    lastAt[d] = i;
  }
  return { data, n, x, parent, maxDepth };
}

/** The horizontal window of a zoom: node `zoom` spans the full width. */
export interface Viewport {
  zoom: number;
  /** Pixels available for the full width. */
  width: number;
}

export function scaleOf(l: FlameLayout, vp: Viewport): number {
  const c = l.data.cum[vp.zoom];
  return c > 0 ? vp.width / c : 0;
}

/** Steps of the zoom path shown after the "…" of a long path. */
export const CRUMB_TAIL = 3;

/** Indexes into a zoom path of `n` steps of the crumbs to show; -1 is the "…" standing for the middle. */
export function crumbPath(n: number): number[] {
  if (n <= CRUMB_TAIL + 2) return Array.from({ length: n }, (_, k) => k);
  return [0, -1, ...Array.from({ length: CRUMB_TAIL }, (_, k) => n - CRUMB_TAIL + k)];
}

export function ancestors(l: FlameLayout, i: number): number[] {
  const out: number[] = [];
  for (let p = l.parent[i]; p >= 0; p = l.parent[p]) out.push(p);
  return out.reverse();
}

/**
 * Calls `emit(node, left, width)` in pixels for every frame to draw: the zoom node's ancestors at
 * full width, then the zoom node's subtree down to frames `minWidth` wide. Narrow subtrees are
 * skipped whole, so the cost follows what is visible, not the profile's size.
 */
export function forEachVisible(
  l: FlameLayout,
  vp: Viewport,
  minWidth: number,
  emit: (node: number, left: number, width: number) => void,
  depthRange?: { min: number; max: number },
): number {
  const { cum, end, depth } = l.data;
  const scale = scaleOf(l, vp);
  const x0 = l.x[vp.zoom];
  let count = 0;
  const dMin = depthRange?.min ?? 0;
  const dMax = depthRange?.max ?? Infinity;
  for (const a of ancestors(l, vp.zoom)) {
    if (depth[a] >= dMin && depth[a] <= dMax) {
      emit(a, 0, vp.width);
      count++;
    }
  }
  const stop = end[vp.zoom];
  let i = vp.zoom;
  while (i < stop) {
    const w = cum[i] * scale;
    const d = depth[i];
    if (w < minWidth || d > dMax) {
      i = end[i];
      continue;
    }
    if (d >= dMin) {
      emit(i, (l.x[i] - x0) * scale, w);
      count++;
    }
    i++;
  }
  return count;
}

/** The node under (px, row) where row is the depth, or -1. */
export function hitTest(l: FlameLayout, vp: Viewport, px: number, depthAt: number): number {
  const { depth, end, cum } = l.data;
  if (depthAt < 0 || px < 0 || px > vp.width) return -1;
  const zd = depth[vp.zoom];
  if (depthAt < zd) {
    const a = ancestors(l, vp.zoom);
    return a[depthAt] ?? -1;
  }
  const scale = scaleOf(l, vp);
  const xv = l.x[vp.zoom] + px / scale;
  let cur = vp.zoom;
  while (depth[cur] < depthAt) {
    let j = cur + 1;
    let next = -1;
    while (j < end[cur]) {
      if (xv >= l.x[j] && xv < l.x[j] + cum[j]) {
        next = j;
        break;
      }
      j = end[j];
    }
    if (next < 0) return -1;
    cur = next;
  }
  return cur;
}

function visibleWidth(l: FlameLayout, vp: Viewport, i: number): number {
  return l.data.cum[i] * scaleOf(l, vp);
}

function inView(l: FlameLayout, vp: Viewport, i: number): boolean {
  return i >= vp.zoom && i < l.data.end[vp.zoom];
}

/**
 * Keyboard neighbours. `dir` is logical: 'parent', 'child' (the widest), 'prev' and 'next'
 * (the nearest frame at the same depth to the left or right that is wide enough to see).
 */
export function neighbour(l: FlameLayout, vp: Viewport, i: number, dir: 'parent' | 'child' | 'prev' | 'next', minWidth = 1): number {
  const { depth, end } = l.data;
  switch (dir) {
    case 'parent':
      return l.parent[i] >= 0 ? l.parent[i] : i;
    case 'child':
      return i + 1 < end[i] && visibleWidth(l, vp, i + 1) >= minWidth ? i + 1 : i;
    case 'next': {
      if (!inView(l, vp, i) || i === vp.zoom) return i;
      const stop = end[vp.zoom];
      let j = end[i];
      while (j < stop) {
        if (depth[j] < depth[i]) {
          j++;
          continue;
        }
        if (depth[j] === depth[i] && visibleWidth(l, vp, j) >= minWidth) return j;
        j = end[j];
      }
      return i;
    }
    case 'prev': {
      if (!inView(l, vp, i) || i === vp.zoom) return i;
      for (let j = i - 1; j > vp.zoom; j--) {
        if (depth[j] === depth[i] && visibleWidth(l, vp, j) >= minWidth) return j;
      }
      return i;
    }
  }
}

/** Regular-expression search: matching nodes and their share (outermost matches only, so nesting does not double count). */
export function searchShare(l: FlameLayout, matchesFrame: (frame: number) => boolean): { matched: Uint8Array; value: number } {
  const { frame, cum, end } = l.data;
  const matched = new Uint8Array(l.n);
  let value = 0;
  let outerEnd = -1;
  for (let i = 0; i < l.n; i++) {
    if (frame[i] >= 0 && matchesFrame(frame[i])) {
      matched[i] = 1;
      if (i >= outerEnd) {
        value += cum[i];
        outerEnd = end[i];
      }
    }
  }
  return { matched, value };
}

/** The widest node of a frame: where the top table's "focus" lands. */
export function widestNodeOf(l: FlameLayout, frameIndex: number): number {
  let best = -1;
  for (let i = 0; i < l.n; i++) {
    if (l.data.frame[i] === frameIndex && (best < 0 || l.data.cum[i] > l.data.cum[best])) best = i;
  }
  return best;
}

export interface Weighted {
  frame: number;
  value: number;
}

/**
 * Callers and callees of a frame over the merged tree. Recursive occurrences nested inside an
 * outer occurrence of the same frame are not counted again.
 */
export function callersCallees(l: FlameLayout, target: number): { self: number; cum: number; callers: Weighted[]; callees: Weighted[] } {
  const { frame, cum, self, end } = l.data;
  const callers = new Map<number, number>();
  const callees = new Map<number, number>();
  let total = 0;
  let selfSum = 0;
  let outerEnd = -1;
  for (let i = 0; i < l.n; i++) {
    if (frame[i] !== target) continue;
    selfSum += self[i];
    if (i < outerEnd) continue;
    outerEnd = end[i];
    total += cum[i];
    const p = l.parent[i];
    const pf = p >= 0 ? frame[p] : -1;
    callers.set(pf, (callers.get(pf) ?? 0) + cum[i]);
    for (let j = i + 1; j < end[i]; j = end[j]) callees.set(frame[j], (callees.get(frame[j]) ?? 0) + cum[j]);
  }
  const sorted = (m: Map<number, number>) => [...m].map(([f, value]) => ({ frame: f, value })).sort((a, b) => b.value - a.value);
  return { self: selfSum, cum: total, callers: sorted(callers), callees: sorted(callees) };
}
