// Everything the profile panel shows for one selection, as compact typed arrays: the frame table,
// the flame graph (call tree in preorder) and the top table. With a base profile, the flame's
// delta and the top's delta are profile − base, while widths stay those of the profile.
import { aggregate, buildNodes, computeTotal, frameTable, resolveSampleIndex } from './aggregate.ts';
import { callTree } from './calltree.ts';
import { diffProfiles } from './diff.ts';
import { filterProfile } from './filter.ts';
import { topData } from './top.ts';
import type { FlameData, FrameTable, Profile, TopData, ViewSelection } from './types.ts';

export interface ProfileView {
  sampleIndex: number;
  sampleType: string;
  unit: string;
  /** Total of the selected sample type over the unfiltered profile (pprof's percentage base). */
  total: number;
  frames: FrameTable;
  flame: FlameData;
  top: TopData;
}

export function buildView(profile: Profile, selection: ViewSelection = {}, base?: Profile): ProfileView {
  const sampleIndex = selection.sampleIndex ?? resolveSampleIndex(profile);
  const granularity = selection.granularity ?? 'functions';
  const st = profile.sampleTypes[sampleIndex];
  if (!base) {
    const filtered = filterProfile(profile, selection);
    const nodes = buildNodes(filtered, granularity);
    const agg = aggregate(filtered, { sampleIndex, nodes });
    const tree = callTree(filtered, sampleIndex, granularity, { nodes });
    return {
      sampleIndex, sampleType: st.type, unit: st.unit,
      total: computeTotal(profile, sampleIndex),
      frames: frameTable(nodes),
      flame: flameOnly(tree),
      top: topData(agg),
    };
  }
  const merged = filterProfile(diffProfiles(profile, base), selection);
  const nodes = buildNodes(merged, granularity);
  const baseLabel = (s: Profile['samples'][number]) => s.labels.some((l) => l.key === 'pprof::base');
  const current = { ...merged, samples: merged.samples.filter((s) => !baseLabel(s)) };
  const negatedBase = { ...merged, samples: merged.samples.filter(baseLabel) };
  const aggCur = aggregate(current, { sampleIndex, nodes });
  const aggBase = aggregate(negatedBase, { sampleIndex, nodes });
  // aggBase holds −base; topData wants base to subtract.
  for (let i = 0; i < aggBase.flat.length; i++) {
    aggBase.flat[i] = -aggBase.flat[i];
    aggBase.cum[i] = -aggBase.cum[i];
  }
  const tree = callTree(merged, sampleIndex, granularity, { nodes, withDelta: true });
  return {
    sampleIndex, sampleType: st.type, unit: st.unit,
    total: computeTotal(profile, sampleIndex),
    frames: frameTable(nodes),
    flame: flameOnly(tree),
    top: topData(aggCur, aggBase),
  };
}

/** Just the flame graph and its frame table. */
export function buildFlame(profile: Profile, selection: ViewSelection = {}): { frames: FrameTable; flame: FlameData } {
  const sampleIndex = selection.sampleIndex ?? resolveSampleIndex(profile);
  const filtered = filterProfile(profile, selection);
  const tree = callTree(filtered, sampleIndex, selection.granularity);
  return { frames: frameTable(tree.nodes), flame: flameOnly(tree) };
}

function flameOnly(tree: FlameData): FlameData {
  const out: FlameData = { depth: tree.depth, frame: tree.frame, cum: tree.cum, self: tree.self, end: tree.end };
  if (tree.delta) out.delta = tree.delta;
  return out;
}
