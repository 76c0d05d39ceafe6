// The merged call tree (every distinct root-to-leaf path of nodes, with cum and self) and the
// callers / callees of one node, computed as pprof's graph edges are.
import { BASE_LABEL, buildNodes, resolveSampleIndex } from './aggregate.ts';
import type { Nodes } from './aggregate.ts';
import { stackCursor } from './columns.ts';
import { filterProfile } from './filter.ts';
import type { FlameData, Profile, ViewSelection } from './types.ts';

export interface CallTree extends FlameData {
  nodes: Nodes;
  sampleIndex: number;
}

export interface TreeOptions {
  /** Reuse a node table built by `buildNodes` for the same (filtered) profile. */
  nodes?: Nodes;
  /**
   * Samples carrying the pprof::base label (see diff.ts) count only in `delta`; `cum`/`self`
   * then describe the profile alone and `delta` is profile − base per path.
   */
  withDelta?: boolean;
}

function isBase(labels: readonly { key: string }[]): boolean {
  for (const l of labels) if (l.key === BASE_LABEL) return true;
  return false;
}

/** Builds the call tree of an (already filtered) profile. */
export function callTree(profile: Profile, sampleIndex: number, granularity: ViewSelection['granularity'], options: TreeOptions = {}): CallTree {
  const nodes = options.nodes ?? buildNodes(profile, granularity ?? 'functions');
  const byLocation = nodes.byLocation;
  const F = nodes.infos.length + 1;
  const withDelta = options.withDelta === true;

  // Growable columns of the tree in creation order; node 0 is the root.
  let cap = 1024;
  let parent = new Int32Array(cap);
  let frame = new Int32Array(cap);
  let cum = new Float64Array(cap);
  let self = new Float64Array(cap);
  let delta = new Float64Array(withDelta ? cap : 0);
  let count = 1;
  parent[0] = -1;
  frame[0] = -1;
  const children = new Map<number, number>();
  const grow = () => {
    cap *= 2;
    const p = new Int32Array(cap); p.set(parent); parent = p;
    const f = new Int32Array(cap); f.set(frame); frame = f;
    const c = new Float64Array(cap); c.set(cum); cum = c;
    const s = new Float64Array(cap); s.set(self); self = s;
    if (withDelta) { const d = new Float64Array(cap); d.set(delta); delta = d; }
  };

  const cursor = stackCursor(profile, sampleIndex);
  for (let si = 0; si < cursor.count; si++) {
    const w = cursor.load(si);
    if (w === 0) continue;
    const base = withDelta && isBase(cursor.labels());
    const cw = base ? 0 : w;
    let cur = 0;
    cum[0] += cw;
    if (withDelta) delta[0] += w;
    const { locs, lo } = cursor;
    for (let i = cursor.hi - 1; i >= lo; i--) {
      const ln = byLocation[locs[i]];
      for (let j = ln.length - 1; j >= 0; j--) {
        const f = ln[j];
        const key = cur * F + f;
        let child = children.get(key);
        if (child === undefined) {
          if (count === cap) grow();
          child = count++;
          parent[child] = cur;
          frame[child] = f;
          children.set(key, child);
        }
        cum[child] += cw;
        if (withDelta) delta[child] += w;
        cur = child;
      }
    }
    self[cur] += cw; // at the root when the stack is empty
  }

  return toPreorder(nodes, sampleIndex, count, parent, frame, cum, self, withDelta ? delta : null);
}

// Lays the tree out in depth-first preorder with children by descending cum, then name,
// dropping paths that carry nothing.
function toPreorder(
  nodes: Nodes, sampleIndex: number, count: number, parent: Int32Array, frame: Int32Array,
  cum: Float64Array, self: Float64Array, delta: Float64Array | null,
): CallTree {
  const keep = (i: number) => i === 0 || cum[i] !== 0 || self[i] !== 0 || (delta !== null && delta[i] !== 0);
  // Children lists in CSR form.
  const childCount = new Int32Array(count + 1);
  for (let i = 1; i < count; i++) if (keep(i)) childCount[parent[i] + 1]++;
  for (let i = 0; i < count; i++) childCount[i + 1] += childCount[i];
  const childStart = childCount.slice();
  const childList = new Int32Array(childCount[count]);
  for (let i = 1; i < count; i++) if (keep(i)) childList[childStart[parent[i]]++] = i;
  const labels = nodes.labels;
  const order = (a: number, b: number) => {
    const d = Math.abs(cum[b]) - Math.abs(cum[a]);
    if (d !== 0) return d;
    const na = labels[frame[a]];
    const nb = labels[frame[b]];
    return na < nb ? -1 : na > nb ? 1 : 0;
  };

  const n = childList.length + 1;
  const out: CallTree = {
    nodes,
    sampleIndex,
    depth: new Uint16Array(n),
    frame: new Int32Array(n),
    cum: new Float64Array(n),
    self: new Float64Array(n),
    end: new Uint32Array(n),
  };
  if (delta) out.delta = new Float64Array(n);
  // Iterative DFS; a negative stack entry closes the subtree of node ~entry.
  const stack: number[] = [0];
  const position = new Int32Array(count);
  let next = 0;
  let depth = 0;
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (entry < 0) {
      out.end[position[~entry]] = next;
      depth--;
      continue;
    }
    const at = next++;
    position[entry] = at;
    out.depth[at] = Math.min(depth, 65535);
    out.frame[at] = frame[entry];
    out.cum[at] = cum[entry];
    out.self[at] = self[entry];
    if (delta) out.delta![at] = delta[entry];
    stack.push(~entry);
    depth++;
    const kids = Array.from(childList.subarray(childCount[entry], childCount[entry + 1])).sort(order);
    for (let k = kids.length - 1; k >= 0; k--) stack.push(kids[k]);
  }
  return out;
}

/** The call tree of a profile for a view selection (filters applied). */
export function buildCallTree(profile: Profile, selection: ViewSelection = {}): CallTree {
  const sampleIndex = selection.sampleIndex ?? resolveSampleIndex(profile);
  return callTree(filterProfile(profile, selection), sampleIndex, selection.granularity);
}

export interface Neighbor {
  /** Node index in the node table. */
  frame: number;
  name: string;
  /** Sum of the samples in which this call edge occurs (each sample once per edge). */
  value: number;
}

export interface Neighbors {
  frame: number;
  name: string;
  flat: number;
  cum: number;
  callers: Neighbor[];
  callees: Neighbor[];
}

/**
 * Callers and callees of node `frame` (an index into `nodes`, or a name matched against the
 * printable names), with edge weights as pprof's graph has them. Null when the node is unknown.
 */
export function neighbors(profile: Profile, selection: ViewSelection, frame: number | string, nodes?: Nodes): Neighbors | null {
  const sampleIndex = selection.sampleIndex ?? resolveSampleIndex(profile);
  const filtered = filterProfile(profile, selection);
  const table = nodes ?? buildNodes(filtered, selection.granularity ?? 'functions');
  const target = typeof frame === 'number' ? frame : table.labels.indexOf(frame);
  if (target < 0 || target >= table.infos.length) return null;
  const callers = new Map<number, number>();
  const callees = new Map<number, number>();
  let flat = 0;
  let cum = 0;
  const seenIn = new Set<number>();
  const seenOut = new Set<number>();
  const cursor = stackCursor(filtered, sampleIndex);
  for (let si = 0; si < cursor.count; si++) {
    const w = cursor.load(si);
    if (w === 0) continue;
    let parent = -1;
    let inStack = false;
    seenIn.clear();
    seenOut.clear();
    const { locs, lo } = cursor;
    for (let i = cursor.hi - 1; i >= lo; i--) {
      const ln = table.byLocation[locs[i]];
      for (let j = ln.length - 1; j >= 0; j--) {
        const n = ln[j];
        if (n === target) inStack = true;
        if (parent >= 0 && n !== parent) {
          if (n === target && !seenIn.has(parent)) {
            seenIn.add(parent);
            callers.set(parent, (callers.get(parent) ?? 0) + w);
          }
          if (parent === target && !seenOut.has(n)) {
            seenOut.add(n);
            callees.set(n, (callees.get(n) ?? 0) + w);
          }
        }
        parent = n;
      }
    }
    if (inStack) cum += w;
    if (parent === target) flat += w;
  }
  const list = (m: Map<number, number>) =>
    [...m].map(([f, value]) => ({ frame: f, name: table.labels[f], value }))
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || (a.name < b.name ? -1 : 1));
  return { frame: target, name: table.labels[target], flat, cum, callers: list(callers), callees: list(callees) };
}
