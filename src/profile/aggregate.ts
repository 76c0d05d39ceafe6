// Flat and cum per node, computed as `go tool pprof` does (graph.New after Profile.Aggregate):
// - a node is a function (default), a source line, or a file; inlined frames are expanded, each
//   location contributing its lines innermost first;
// - cum: every distinct node of a sample's stack gets the sample's value once, however often it
//   appears in that stack; flat: the innermost frame of the leaf location gets it;
// - total: the sum of |value| over all samples (over the base only, for a diff; see diff.ts).
import { stackCursor } from './columns.ts';
import { ProfileError } from './errors.ts';
import type { FrameTable, Granularity, Profile } from './types.ts';

/** Label key pprof puts on samples of the base profile in a diff. */
export const BASE_LABEL = 'pprof::base';

export interface NodeInfo {
  /** Function name ('' for `files` and for frames without a function). */
  function: string;
  file: string;
  line: number;
  /** Function start line, part of the identity only where pprof uses it (no function name). */
  startLine: number;
  /** Mapping (binary) file, part of the identity only where pprof uses it (no function name). */
  objfile: string;
}

/** The nodes of a profile at one granularity and, per location, its nodes innermost first. */
export interface Nodes {
  granularity: Granularity;
  infos: NodeInfo[];
  /** pprof's printable name of each node, e.g. `main.f`, `main.f /src/main.go:12`, `/src/main.go`. */
  labels: string[];
  /** Per location index: node indices of its lines, innermost (inlined callee) first. */
  byLocation: Int32Array[];
}

export interface Aggregate {
  sampleIndex: number;
  sampleType: string;
  unit: string;
  total: number;
  nodes: Nodes;
  flat: Float64Array;
  cum: Float64Array;
  /** pprof's "(inline)" / "(partial-inline)" marker per node, '' when neither. */
  inline: string[];
}

/** Go's path.Clean, which pprof applies to source file names. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else {
      out.push(part);
    }
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

function baseName(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return p === '' ? '.' : '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** pprof's NodeInfo.PrintableName (addresses are always aggregated away here). */
export function printableName(info: NodeInfo): string {
  const parts: string[] = [];
  if (info.function !== '') parts.push(info.function);
  if (info.line !== 0) parts.push(`${info.file}:${info.line}`);
  else if (info.file !== '') parts.push(info.file);
  else if (info.function !== '') {
    // the name alone
  } else if (info.objfile !== '') parts.push(`[${baseName(info.objfile)}]`);
  else parts.push('<unknown>');
  return parts.join(' ');
}

/** Builds the node table for `granularity` (pprof's Aggregate + CreateNodes). */
export function buildNodes(profile: Profile, granularity: Granularity = 'functions'): Nodes {
  const withFunction = granularity !== 'files';
  const withFile = granularity !== 'functions';
  const withLine = granularity === 'lines';
  const infos: NodeInfo[] = [];
  const labels: string[] = [];
  const index = new Map<string, number>();
  const cleaned = new Map<string, string>();
  const clean = (f: string): string => {
    let c = cleaned.get(f);
    if (c === undefined) {
      c = cleanPath(f);
      cleaned.set(f, c);
    }
    return c;
  };

  const nodeFor = (info: NodeInfo): number => {
    const key = `${info.function}\u0000${info.file}\u0000${info.line}\u0000${info.startLine}\u0000${info.objfile}`;
    let n = index.get(key);
    if (n === undefined) {
      n = infos.length;
      index.set(key, n);
      infos.push(info);
      labels.push(printableName(info));
    }
    return n;
  };

  const byLocation = profile.locations.map((loc) => {
    const objfile = loc.mapping >= 0 ? profile.mappings[loc.mapping].file : '';
    const count = Math.max(loc.lines.length, 1);
    const nodes = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const line = loc.lines[i];
      if (!line || line.function < 0) {
        nodes[i] = nodeFor({ function: '', file: '', line: 0, startLine: 0, objfile });
        continue;
      }
      const fn = profile.functions[line.function];
      const name = withFunction ? fn.name : '';
      const file = withFile && fn.filename !== '' ? clean(fn.filename) : '';
      const nameless = name === '';
      nodes[i] = nodeFor({
        function: name,
        file,
        line: withLine ? line.line : 0,
        startLine: nameless ? fn.startLine : 0,
        objfile: nameless ? objfile : '',
      });
    }
    return nodes;
  });
  return { granularity, infos, labels, byLocation };
}

/**
 * The index of the sample type named `name` (or given as a number), else the profile's default:
 * its default_sample_type, else the last type.
 */
export function resolveSampleIndex(profile: Profile, name?: string | number): number {
  const types = profile.sampleTypes;
  if (name === undefined || name === '') {
    if (profile.defaultSampleType) {
      const i = types.findIndex((t) => t.type === profile.defaultSampleType);
      if (i >= 0) return i;
    }
    return types.length - 1;
  }
  if (typeof name === 'number' || /^\d+$/.test(name)) {
    const i = Number(name);
    if (i >= 0 && i < types.length) return i;
  } else {
    const i = types.findIndex((t) => t.type === name);
    if (i >= 0) return i;
  }
  const known = types.map((t) => t.type).join(', ');
  throw new ProfileError('bad-option', `sample type "${name}" is not in this profile; it has: ${known}.`);
}

function isBaseSample(labels: readonly { key: string; str: string }[]): boolean {
  for (const l of labels) if (l.key === BASE_LABEL && l.str !== '') return true;
  return false;
}

/** pprof's computeTotal: the sum of |value|, or only over the base's samples in a diff. */
export function computeTotal(profile: Profile, sampleIndex: number): number {
  let total = 0;
  let baseTotal = 0;
  const cursor = stackCursor(profile, sampleIndex);
  for (let i = 0; i < cursor.count; i++) {
    const v = Math.abs(cursor.load(i));
    total += v;
    const labels = cursor.labels();
    if (labels.length && isBaseSample(labels)) baseTotal += v;
  }
  return baseTotal > 0 ? baseTotal : total;
}

export interface AggregateOptions {
  sampleIndex?: number;
  granularity?: Granularity;
  /** Reuse a node table built by `buildNodes` for the same profile and granularity. */
  nodes?: Nodes;
  /** Compute pprof's "(inline)" markers (costs a little). Default false. */
  inlineMarkers?: boolean;
}

export function aggregate(profile: Profile, options: AggregateOptions = {}): Aggregate {
  const sampleIndex = options.sampleIndex ?? resolveSampleIndex(profile);
  const nodes = options.nodes ?? buildNodes(profile, options.granularity ?? 'functions');
  const n = nodes.infos.length;
  const flat = new Float64Array(n);
  const cum = new Float64Array(n);
  const seen = new Int32Array(n).fill(-1);
  const byLocation = nodes.byLocation;
  const cursor = stackCursor(profile, sampleIndex);
  const markers = options.inlineMarkers === true;
  // For the inline markers: which locations were walked, and which nodes were entered from another
  // location (a call edge that is not inline).
  const usedLocation = markers ? new Uint8Array(byLocation.length) : null;
  const calledNotInline = markers ? new Uint8Array(n) : null;
  const crossEdges = markers ? new Set<number>() : null;
  // Only edges into nodes that are somewhere an inlined frame can change a marker.
  const inlineTarget = markers ? new Uint8Array(n) : null;
  if (inlineTarget) {
    for (const ln of byLocation) for (let j = 0; j < ln.length - 1; j++) inlineTarget[ln[j]] = 1;
  }

  for (let si = 0; si < cursor.count; si++) {
    const w = cursor.load(si);
    if (w === 0) continue;
    const { locs, lo } = cursor;
    let parent = -1;
    for (let i = cursor.hi - 1; i >= lo; i--) {
      const ln = byLocation[locs[i]];
      if (usedLocation) {
        usedLocation[locs[i]] = 1;
        const outer = ln[ln.length - 1];
        if (parent >= 0 && parent !== outer) {
          calledNotInline![outer] = 1;
          if (inlineTarget![outer]) crossEdges!.add(parent * n + outer);
        }
      }
      for (let j = ln.length - 1; j >= 0; j--) {
        const node = ln[j];
        if (seen[node] !== si) {
          seen[node] = si;
          cum[node] += w;
        }
        parent = node;
      }
    }
    if (parent >= 0) flat[parent] += w;
  }

  const inline = new Array<string>(n).fill('');
  if (usedLocation) {
    // An edge is inline only if it never also occurs as a real call; a node is "(inline)" when
    // some inline edge enters it, "(partial-inline)" when real calls enter it too.
    const hasInline = new Uint8Array(n);
    for (let li = 0; li < byLocation.length; li++) {
      if (!usedLocation[li]) continue;
      const ln = byLocation[li];
      for (let j = ln.length - 2; j >= 0; j--) {
        const from = ln[j + 1];
        const to = ln[j];
        if (from !== to && !crossEdges!.has(from * n + to)) hasInline[to] = 1;
      }
    }
    for (let i = 0; i < n; i++) {
      if (hasInline[i]) inline[i] = calledNotInline![i] ? '(partial-inline)' : '(inline)';
    }
  }

  const st = profile.sampleTypes[sampleIndex];
  return {
    sampleIndex,
    sampleType: st.type,
    unit: st.unit,
    total: computeTotal(profile, sampleIndex),
    nodes,
    flat,
    cum,
    inline,
  };
}

/** Go package (or directory for `files`) of each node, for colouring. */
export function packageOf(info: NodeInfo): string {
  if (info.function === '') {
    if (info.file !== '') return info.file.slice(0, Math.max(0, info.file.lastIndexOf('/')));
    return info.objfile;
  }
  const name = info.function;
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  return dot < 0 ? name : name.slice(0, dot);
}

/** The webview's frame table for a node table. */
export function frameTable(nodes: Nodes): FrameTable {
  const n = nodes.infos.length;
  const names = new Array<string>(n);
  const files = new Array<string>(n);
  const lines = new Uint32Array(n);
  const pkg = new Uint32Array(n);
  const packages: string[] = [];
  const pkgIndex = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const info = nodes.infos[i];
    names[i] = info.function !== '' ? info.function : nodes.labels[i];
    files[i] = info.file;
    lines[i] = info.line > 0 ? info.line : 0;
    const p = packageOf(info);
    let pi = pkgIndex.get(p);
    if (pi === undefined) {
      pi = packages.length;
      pkgIndex.set(p, pi);
      packages.push(p);
    }
    pkg[i] = pi;
  }
  return { names, labels: nodes.labels.slice(), files, lines, pkg, packages };
}
