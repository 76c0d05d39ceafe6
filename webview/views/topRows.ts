// Rows of the top table: plain objects of display strings, sorted and cut to a limit. No DOM.
import type { FrameTable, TopData } from '../../src/protocol.ts';
import { formatPercent, formatSigned, formatValue } from '../format.ts';

export type TopKey = 'flat' | 'flatPct' | 'cum' | 'cumPct' | 'name' | 'delta' | 'location';

export interface TopRow {
  frame: number;
  flat: string;
  flatPct: string;
  cum: string;
  cumPct: string;
  delta: string;
  name: string;
  location: string;
}

export interface TopSort {
  key: TopKey;
  descending: boolean;
}

export function topRows(
  top: TopData,
  frames: FrameTable,
  unit: string,
  total: number,
  sort: TopSort,
  filter?: RegExp,
  limit = 500,
): { rows: TopRow[]; matched: number } {
  const idx: number[] = [];
  for (let i = 0; i < top.frame.length; i++) {
    if (!filter || filter.test(frames.names[top.frame[i]])) idx.push(i);
  }
  const by = sort.key === 'flatPct' ? 'flat' : sort.key === 'cumPct' ? 'cum' : sort.key;
  const sign = sort.descending ? -1 : 1;
  const num = (a: Float64Array) => (x: number, y: number) => sign * (a[x] - a[y]) || top.flat[y] - top.flat[x];
  // Growth and shrink both matter in a comparison: delta sorts by magnitude.
  const abs = (a: Float64Array) => (x: number, y: number) => sign * (Math.abs(a[x]) - Math.abs(a[y])) || a[y] - a[x];
  const str = (f: (i: number) => string) => (x: number, y: number) => sign * f(x).localeCompare(f(y));
  const cmp =
    by === 'flat'
      ? num(top.flat)
      : by === 'cum'
        ? num(top.cum)
        : by === 'delta'
          ? top.delta
            ? abs(top.delta)
            : num(top.flat)
          : by === 'name'
            ? str((i) => frames.names[top.frame[i]])
            : str((i) => frames.files[top.frame[i]]);
  idx.sort(cmp);
  const rows = idx.slice(0, limit).map((i) => {
    const f = top.frame[i];
    return {
      frame: f,
      flat: formatValue(top.flat[i], unit),
      flatPct: formatPercent(top.flat[i], total),
      cum: formatValue(top.cum[i], unit),
      cumPct: formatPercent(top.cum[i], total),
      delta: top.delta ? formatSigned(top.delta[i], unit) : '',
      name: frames.names[f],
      location: frames.files[f] ? (frames.lines[f] ? `${frames.files[f]}:${frames.lines[f]}` : frames.files[f]) : '',
    };
  });
  return { rows, matched: idx.length };
}

/** The table as tab-separated text for the clipboard. */
export function topToText(rows: TopRow[], withDelta: boolean): string {
  const head = ['flat', 'flat%', 'cum', 'cum%', ...(withDelta ? ['delta'] : []), 'name', 'location'];
  const lines = rows.map((r) => [r.flat, r.flatPct, r.cum, r.cumPct, ...(withDelta ? [r.delta] : []), r.name, r.location].join('\t'));
  return [head.join('\t'), ...lines].join('\n') + '\n';
}
