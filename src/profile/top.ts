// The top table (`go tool pprof -top`): one row per node with flat and cum, sorted as pprof sorts
// it (|flat| descending, then name, then |cum|).
import { aggregate, buildNodes, computeTotal, resolveSampleIndex } from './aggregate.ts';
import type { Aggregate } from './aggregate.ts';
import { filterProfile } from './filter.ts';
import type { Profile, TopData, ViewSelection } from './types.ts';

export interface TopRow {
  /** pprof's printable name of the node. */
  name: string;
  flat: number;
  cum: number;
  /** '(inline)', '(partial-inline)' or ''. */
  inline: string;
}

export interface TopResult {
  sampleType: string;
  unit: string;
  /** Total of the unfiltered profile, as pprof reports percentages against it. */
  total: number;
  rows: TopRow[];
}

/** Node indices with non-zero flat or cum, in pprof's text order. */
export function topOrder(agg: Aggregate): number[] {
  const { flat, cum } = agg;
  const labels = agg.nodes.labels;
  const order: number[] = [];
  for (let i = 0; i < flat.length; i++) if (flat[i] !== 0 || cum[i] !== 0) order.push(i);
  order.sort((a, b) => {
    const fa = Math.abs(flat[a]);
    const fb = Math.abs(flat[b]);
    if (fa !== fb) return fb - fa;
    const na = labels[a];
    const nb = labels[b];
    if (na !== nb) return na < nb ? -1 : 1;
    const ca = Math.abs(cum[a]);
    const cb = Math.abs(cum[b]);
    if (ca !== cb) return cb - ca;
    return a - b;
  });
  return order;
}

export function aggregateView(profile: Profile, selection: ViewSelection = {}, inlineMarkers = false): Aggregate {
  const sampleIndex = selection.sampleIndex ?? resolveSampleIndex(profile);
  const filtered = filterProfile(profile, selection);
  const agg = aggregate(filtered, {
    sampleIndex,
    nodes: buildNodes(filtered, selection.granularity ?? 'functions'),
    inlineMarkers,
  });
  if (filtered !== profile) agg.total = computeTotal(profile, sampleIndex);
  return agg;
}

export function buildTop(profile: Profile, selection: ViewSelection = {}): TopResult {
  const agg = aggregateView(profile, selection, true);
  const rows = topOrder(agg).map((i) => ({
    name: agg.nodes.labels[i],
    flat: agg.flat[i],
    cum: agg.cum[i],
    inline: agg.inline[i],
  }));
  return { sampleType: agg.sampleType, unit: agg.unit, total: agg.total, rows };
}

/**
 * The webview's top table over an aggregate. With `base` (an aggregate over the same node table),
 * rows present only in the base follow, and `delta` is flat(profile) − flat(base).
 */
export function topData(agg: Aggregate, base?: Aggregate): TopData {
  const order = topOrder(agg);
  if (base) {
    for (const i of topOrder(base)) if (agg.flat[i] === 0 && agg.cum[i] === 0) order.push(i);
  }
  const data: TopData = {
    frame: Int32Array.from(order),
    flat: Float64Array.from(order, (i) => agg.flat[i]),
    cum: Float64Array.from(order, (i) => agg.cum[i]),
  };
  if (base) data.delta = Float64Array.from(order, (i) => agg.flat[i] - base.flat[i]);
  return data;
}
