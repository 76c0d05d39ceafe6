// The panel's use of the model: decode, filter, aggregate and shape the typed arrays the webview
// draws. No `vscode` import, so tests and the benchmark run it under plain Node.
import { BASE_LABEL, aggregate, buildNodes, computeTotal, frameTable, resolveSampleIndex, type Aggregate, type Nodes } from '../../profile/aggregate.ts';
import { decodeProfile } from '../../profile/decode.ts';
import { diffProfiles } from '../../profile/diff.ts';
import { filterProfile } from '../../profile/filter.ts';
import { aggregateView } from '../../profile/top.ts';
import type { FlameData, Profile, Sample, TopData } from '../../profile/types.ts';
import type { CaptureInfo, ProfileHeader, ProfilePayload, ViewOptions } from '../../protocol.ts';

export interface LoadedProfile {
  profile: Profile;
  name: string;
}

export interface BuiltView {
  payload: ProfilePayload;
  nodes: Nodes;
  profile: Profile;
}

export interface ViewMeta {
  fileName: string;
  baseFileName?: string;
  /** The file's path and the captures folder, to read context/namespace/pod from the path. */
  path?: string;
  capturesRoot?: string;
}

export function loadProfile(bytes: Uint8Array, name: string): LoadedProfile | { error: string } {
  try {
    return { profile: decodeProfile(bytes, name), name };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

export function defaultOptions(loaded: LoadedProfile): ViewOptions {
  return { sampleIndex: resolveSampleIndex(loaded.profile), granularity: 'functions', focus: '', ignore: '', hide: '' };
}

/** What kind of profile this is, from its sample and period types. */
export function profileKind(p: Profile): string {
  const types = p.sampleTypes.map((t) => t.type);
  const has = (t: string) => types.includes(t);
  if (has('cpu') || (p.periodType?.type === 'cpu' && has('samples'))) return 'cpu';
  if (has('inuse_space') || has('alloc_space')) return p.defaultSampleType === 'alloc_space' ? 'allocs' : 'heap';
  if (has('goroutine') || p.periodType?.type === 'goroutine') return 'goroutine';
  if (has('contentions') && p.periodType?.type === 'contentions') return types.includes('delay') ? 'block or mutex' : 'contentions';
  if (has('contentions')) return 'block or mutex';
  if (has('threadcreate')) return 'threadcreate';
  return types.join(', ') || 'profile';
}

/** `<captures>/<context>/<namespace>/<pod>/<file>` → context, namespace and pod. */
export function captureInfoFromPath(path: string | undefined, capturesRoot: string | undefined): CaptureInfo | undefined {
  if (!path || !capturesRoot) return undefined;
  const norm = (s: string) => s.replace(/\\/g, '/').replace(/\/+$/, '');
  const root = norm(capturesRoot) + '/';
  const p = norm(path);
  if (!p.startsWith(root)) return undefined;
  const parts = p.slice(root.length).split('/');
  if (parts.length !== 4) return undefined;
  return { context: parts[0], namespace: parts[1], pod: parts[2] };
}

function isBase(s: Sample): boolean {
  for (const l of s.labels) if (l.key === BASE_LABEL && l.str !== '') return true;
  return false;
}

/**
 * The merged call tree in preorder (the FlameData contract in src/profile/types.ts), built from
 * the aggregate's node table. With `splitBase`, samples labelled as the base are kept apart:
 * widths come from the profile, `delta` is profile − base per stack.
 */
export function flameFromNodes(profile: Profile, nodes: Nodes, sampleIndex: number, splitBase = false): FlameData {
  const nf = nodes.infos.length;
  // Trie: node ids, child lookup keyed by parent * (nf + 1) + frame.
  const frameOf: number[] = [-1];
  const parentOf: number[] = [-1];
  const cumP: number[] = [0];
  const cumB: number[] = [0];
  const selfP: number[] = [0];
  const child = new Map<number, number>();
  const stride = nf + 1;
  for (const s of profile.samples) {
    let w = s.values[sampleIndex];
    if (w === 0) continue;
    const base = splitBase && isBase(s);
    if (base) w = -w;
    const cum = base ? cumB : cumP;
    cum[0] += w;
    let cur = 0;
    const locs = s.locations;
    for (let i = locs.length - 1; i >= 0; i--) {
      const ln = nodes.byLocation[locs[i]];
      for (let j = ln.length - 1; j >= 0; j--) {
        const f = ln[j];
        const key = cur * stride + f;
        let next = child.get(key);
        if (next === undefined) {
          next = frameOf.length;
          child.set(key, next);
          frameOf.push(f);
          parentOf.push(cur);
          cumP.push(0);
          cumB.push(0);
          selfP.push(0);
        }
        cur = next;
        cum[cur] += w;
      }
    }
    if (!base) selfP[cur] += w;
  }
  const n = frameOf.length;
  const kids: number[][] = Array.from({ length: n }, () => []);
  for (let i = 1; i < n; i++) kids[parentOf[i]].push(i);
  const names = nodes.labels;
  const depth = new Uint16Array(n);
  const frame = new Int32Array(n);
  const cum = new Float64Array(n);
  const self = new Float64Array(n);
  const end = new Uint32Array(n);
  const delta = splitBase ? new Float64Array(n) : undefined;
  // Iterative preorder; a node's `end` is set when its last descendant has been placed.
  const stack: { id: number; d: number }[] = [{ id: 0, d: 0 }];
  const open: number[] = [];
  let k = 0;
  while (stack.length) {
    const { id, d } = stack.pop()!;
    while (open.length && depth[open[open.length - 1]] >= d) end[open.pop()!] = k;
    depth[k] = Math.min(d, 0xffff);
    frame[k] = frameOf[id];
    cum[k] = cumP[id];
    self[k] = selfP[id];
    if (delta) delta[k] = cumP[id] - cumB[id];
    open.push(k);
    const c = kids[id];
    c.sort((a, b) => cumP[b] - cumP[a] || (names[frameOf[a]] < names[frameOf[b]] ? -1 : 1));
    for (let m = c.length - 1; m >= 0; m--) stack.push({ id: c[m], d: d + 1 });
    k++;
  }
  while (open.length) end[open.pop()!] = k;
  return { depth, frame, cum, self, end, delta };
}

function topFrom(p: Aggregate, b?: Aggregate): TopData {
  const n = p.flat.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (p.flat[i] !== 0 || p.cum[i] !== 0 || (b && (b.flat[i] !== 0 || b.cum[i] !== 0))) order.push(i);
  order.sort((x, y) => Math.abs(p.flat[y]) - Math.abs(p.flat[x]) || Math.abs(p.cum[y]) - Math.abs(p.cum[x]) || x - y);
  const top: TopData = {
    frame: Int32Array.from(order),
    flat: Float64Array.from(order, (i) => p.flat[i]),
    cum: Float64Array.from(order, (i) => p.cum[i]),
  };
  if (b) top.delta = Float64Array.from(order, (i) => p.flat[i] - b.flat[i]);
  return top;
}

export function buildView(loaded: LoadedProfile, options: ViewOptions, base: LoadedProfile | undefined, meta: ViewMeta): BuiltView {
  const warnings: string[] = [];
  const profile0 = loaded.profile;
  const sampleIndex = options.sampleIndex >= 0 && options.sampleIndex < profile0.sampleTypes.length ? options.sampleIndex : resolveSampleIndex(profile0);
  const opts: ViewOptions = { ...options, sampleIndex };
  const merged = base ? diffProfiles(profile0, base.profile, loaded.name, base.name) : profile0;
  let filtered: Profile;
  try {
    filtered = filterProfile(merged, opts);
  } catch (err) {
    warnings.push(`${err instanceof Error ? err.message : String(err)} The filters were not applied.`);
    filtered = merged;
    opts.focus = opts.ignore = opts.hide = '';
  }
  const nodes = buildNodes(filtered, opts.granularity);
  const flame = flameFromNodes(filtered, nodes, sampleIndex, base !== undefined);
  let top: TopData;
  if (base) {
    const mine = { ...filtered, samples: filtered.samples.filter((s) => !isBase(s)) };
    const theirs = { ...filtered, samples: filtered.samples.filter(isBase).map((s) => ({ ...s, values: s.values.map((v) => -v) })) };
    top = topFrom(aggregate(mine, { sampleIndex, nodes }), aggregate(theirs, { sampleIndex, nodes }));
  } else {
    top = topFrom(aggregate(filtered, { sampleIndex, nodes }));
  }
  const st = profile0.sampleTypes[sampleIndex];
  const header: ProfileHeader = {
    fileName: meta.fileName,
    kind: profileKind(profile0),
    sampleTypes: profile0.sampleTypes.map((t) => ({ type: t.type, unit: t.unit })),
    unit: st.unit,
    total: computeTotal(profile0, sampleIndex),
    durationNanos: profile0.durationNanos,
    timeNanos: profile0.timeNanos,
    capture: captureInfoFromPath(meta.path, meta.capturesRoot),
    baseFileName: meta.baseFileName,
  };
  if (flame.cum.length <= 1) warnings.push(opts.focus || opts.ignore || opts.hide ? 'No samples left after the filters.' : 'This profile has no samples for this sample type.');
  const frames = frameTable(nodes);
  if (opts.granularity === 'functions') {
    // Function frames carry no file in the model; the panel shows where each function starts.
    const byName = new Map<string, { filename: string; startLine: number }>();
    for (const f of filtered.functions) if (!byName.has(f.name) && f.filename) byName.set(f.name, f);
    for (let i = 0; i < frames.names.length; i++) {
      const fn = byName.get(nodes.infos[i].function);
      if (fn && !frames.files[i]) {
        frames.files[i] = fn.filename;
        frames.lines[i] = Math.max(0, fn.startLine);
      }
    }
  }
  return {
    payload: { type: 'profile', header, options: opts, frames, flame, top, warnings },
    nodes,
    profile: filtered,
  };
}

/** File, line and name of a frame, for opening its source. Function frames open at the function's first line. */
export function sourceOf(view: BuiltView, frame: number): { file: string; line: number; name: string } | undefined {
  const info = view.nodes.infos[frame];
  if (!info) return undefined;
  let line = info.line;
  let file = info.file;
  if (info.function) {
    const fn = view.profile.functions.find((f) => f.name === info.function && (!file || f.filename === file || file.endsWith(f.filename)));
    if (fn) {
      if (!line) line = fn.startLine;
      if (!file) file = fn.filename;
    }
  }
  return { file, line, name: info.function || view.nodes.labels[frame] };
}

export interface LineValue {
  flat: number;
  cum: number;
}

/** Per build-path file: line → values. Pure, so it can be tested without VS Code. */
export function valuesByFileLine(loaded: LoadedProfile, sampleIndex: number): { unit: string; total: number; files: Map<string, Map<number, LineValue>> } {
  const agg = aggregateView(loaded.profile, { sampleIndex, granularity: 'lines' });
  const files = new Map<string, Map<number, LineValue>>();
  const infos = agg.nodes.infos;
  for (let i = 0; i < infos.length; i++) {
    const { file, line } = infos[i];
    if (!file || !line || (agg.flat[i] === 0 && agg.cum[i] === 0)) continue;
    let lines = files.get(file);
    if (!lines) files.set(file, (lines = new Map()));
    const v = lines.get(line);
    // Several functions on one line (inlining): flat adds up, cum is the largest, since the
    // inlined callee's samples are contained in its caller's.
    if (v) {
      v.flat += agg.flat[i];
      v.cum = Math.max(v.cum, agg.cum[i]);
    } else lines.set(line, { flat: agg.flat[i], cum: agg.cum[i] });
  }
  return { unit: agg.unit, total: agg.total, files };
}
