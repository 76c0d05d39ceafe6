// The expandable call tree as a flat list of rows over the preorder arrays. No DOM.
import type { FlameData } from '../../src/protocol.ts';

export interface TreeRow {
  node: number;
  /** Indentation level (root's children are level 0). */
  level: number;
  hasChildren: boolean;
  expanded: boolean;
  /** Set on a "… n more" row: the parent's children past the limit. */
  more?: { parent: number; count: number; value: number };
}

export function childrenOf(data: FlameData, i: number): number[] {
  const out: number[] = [];
  for (let j = i + 1; j < data.end[i]; j = data.end[j]) out.push(j);
  return out;
}

/** Rows for the nodes reachable through expanded nodes, children by descending cum, at most `maxChildren` each. */
export function treeRows(data: FlameData, expanded: ReadonlySet<number>, maxChildren = 200, showAll: ReadonlySet<number> = new Set()): TreeRow[] {
  const rows: TreeRow[] = [];
  const walk = (parent: number, level: number) => {
    const kids = childrenOf(data, parent).sort((a, b) => data.cum[b] - data.cum[a]);
    for (let k = 0; k < kids.length; k++) {
      if (k === maxChildren && !showAll.has(parent)) {
        let value = 0;
        for (let m = k; m < kids.length; m++) value += data.cum[kids[m]];
        rows.push({ node: -1, level, hasChildren: false, expanded: false, more: { parent, count: kids.length - k, value } });
        break;
      }
      const c = kids[k];
      const hasChildren = data.end[c] > c + 1;
      const open = hasChildren && expanded.has(c);
      rows.push({ node: c, level, hasChildren, expanded: open });
      if (open) walk(c, level + 1);
    }
  };
  walk(0, 0);
  return rows;
}

/** Nodes to expand first: the heaviest path while one child carries most of its parent. */
export function initialExpansion(data: FlameData, maxLevels = 12): Set<number> {
  const out = new Set<number>([0]);
  let i = 0;
  for (let level = 0; level < maxLevels; level++) {
    const kids = childrenOf(data, i);
    if (kids.length === 0) break;
    let best = kids[0];
    for (const k of kids) if (data.cum[k] > data.cum[best]) best = k;
    out.add(best);
    if (data.cum[best] < 0.5 * data.cum[i]) break;
    i = best;
  }
  return out;
}
