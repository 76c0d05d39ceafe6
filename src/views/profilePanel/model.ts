// The panel's use of the model: decode, filter, aggregate and shape the typed arrays the webview
// draws. No `vscode` import, so tests and the benchmark run it under plain Node.
import { resolveSampleIndex } from '../../profile/aggregate.ts';
import { decodeProfile } from '../../profile/decode.ts';
import { diffProfiles } from '../../profile/diff.ts';
import { ProfileError } from '../../profile/errors.ts';
import { buildView as buildModelView, type ProfileView } from '../../profile/flame.ts';
import { aggregateView } from '../../profile/top.ts';
import type { FilterMatchers, Profile } from '../../profile/types.ts';
import type { CaptureInfo, ProfileHeader, ProfilePayload, ViewOptions } from '../../protocol.ts';

export interface LoadedProfile {
  profile: Profile;
  name: string;
}

export interface BuiltView {
  payload: ProfilePayload;
  /** The profile's functions by name: file and start line for opening sources. */
  functions: Map<string, { filename: string; startLine: number }>;
}

export interface ViewMeta {
  fileName: string;
  baseFileName?: string;
  /** The file's path and the captures folder, to read context/namespace/pod from the path. */
  path?: string;
  capturesRoot?: string;
  /** The captured pod's node, when the cluster still knows the pod. */
  node?: string;
  /** The options' focus / ignore / hide already matched off-thread (regexGuard.prepareFilterMatchers). */
  matchers?: FilterMatchers;
  /** Problems found before building, e.g. a filter expression that was stopped. */
  warnings?: string[];
  /** The base's path, to warn when it comes from another pod. */
  basePath?: string;
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

/**
 * What kind of profile this is, from its sample and period types. Block and mutex profiles have the same
 * types: the file name tells them apart (captures are named `block-…`/`mutex-…`), else the stacks do (a
 * mutex profile's samples end in the Unlock that woke a waiter).
 */
export function profileKind(p: Profile, fileName?: string): string {
  const types = p.sampleTypes.map((t) => t.type);
  const has = (t: string) => types.includes(t);
  if (has('cpu') || (p.periodType?.type === 'cpu' && has('samples'))) return 'cpu';
  if (has('inuse_space') || has('alloc_space')) return p.defaultSampleType === 'alloc_space' ? 'allocs' : 'heap';
  if (has('goroutine') || p.periodType?.type === 'goroutine') return 'goroutine';
  if (has('contentions')) return contentionKind(p, fileName) ?? (has('delay') ? 'block or mutex' : 'contentions');
  if (has('threadcreate')) return 'threadcreate';
  return types.join(', ') || 'profile';
}

function contentionKind(p: Profile, fileName: string | undefined): 'block' | 'mutex' | undefined {
  const named = fileName ? /(?:^|[._-])(block|mutex)(?=[._-]|$)/.exec(fileName.toLowerCase())?.[1] : undefined;
  if (named === 'block' || named === 'mutex') return named;
  if (p.samples.length === 0) return undefined;
  for (const s of p.samples) {
    const loc = p.locations[s.locations[0]];
    const fn = loc?.lines[0] ? p.functions[loc.lines[0].function]?.name : undefined;
    if (fn && /(?:\.R?Unlock|^runtime\.unlock|_LostContended\w*)$/.test(fn)) return 'mutex';
  }
  return 'block';
}

/** Why a profile of this kind can be empty, and what to do about it. */
export function emptyProfileHint(kind: string): string {
  const block =
    'block profiling is off unless the process calls runtime.SetBlockProfileRate (etcd does not by default), so an empty block profile is the usual answer. Set a rate in the program (e.g. runtime.SetBlockProfileRate(10000)) to record where goroutines wait on channels, selects, mutexes and wait groups.';
  const mutex =
    'mutex profiling is off unless the process calls runtime.SetMutexProfileFraction (etcd sets a fraction of 5 when started with --enable-pprof; other programs usually do not), or no lock was contended since it was turned on.';
  switch (kind) {
    case 'block':
      return `This block profile has no samples: ${block}`;
    case 'mutex':
      return `This mutex profile has no samples: ${mutex}`;
    case 'block or mutex':
      return `This block or mutex profile has no samples: ${block} Likewise, ${mutex}`;
    case 'cpu':
      return 'This CPU profile has no samples: the process used (almost) no CPU while it was captured. Capture for longer, or while the process is under load.';
    default:
      return 'This profile has no samples for this sample type.';
  }
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

export function buildView(loaded: LoadedProfile, options: ViewOptions, base: LoadedProfile | undefined, meta: ViewMeta): BuiltView {
  const warnings: string[] = [...(meta.warnings ?? [])];
  const profile = loaded.profile;
  const sampleIndex = options.sampleIndex >= 0 && options.sampleIndex < profile.sampleTypes.length ? options.sampleIndex : resolveSampleIndex(profile);
  const opts: ViewOptions = { ...options, sampleIndex };
  // Refuse bases of another kind before anything else, with the model's message.
  if (base) diffProfiles(profile, base.profile, loaded.name, base.name);
  let view: ProfileView;
  try {
    view = buildModelView(profile, { ...opts, matchers: meta.matchers }, base?.profile);
  } catch (err) {
    if (!(err instanceof ProfileError) || err.kind !== 'bad-option' || !(opts.focus || opts.ignore || opts.hide)) throw err;
    warnings.push(`${err.message} The filters were not applied.`);
    opts.focus = opts.ignore = opts.hide = '';
    view = buildModelView(profile, opts, base?.profile);
  }
  const header: ProfileHeader = {
    fileName: meta.fileName,
    kind: profileKind(profile, meta.fileName),
    sampleTypes: profile.sampleTypes.map((t) => ({ type: t.type, unit: t.unit })),
    unit: view.unit,
    total: view.total,
    durationNanos: profile.durationNanos,
    timeNanos: profile.timeNanos,
    capture: withNode(captureInfoFromPath(meta.path, meta.capturesRoot), meta.node),
    baseFileName: meta.baseFileName,
  };
  if (base) warnings.push(...baseWarnings({ path: meta.path, kind: header.kind }, { path: meta.basePath, kind: profileKind(base.profile, base.name), fileName: meta.baseFileName ?? base.name }, meta.capturesRoot));
  if (view.flame.cum.length <= 1) {
    const filtered = opts.focus || opts.ignore || opts.hide;
    warnings.push(filtered ? 'No samples left after the filters.' : profile.samples.length === 0 ? emptyProfileHint(header.kind) : 'This profile has no samples for this sample type.');
  }
  const frames = view.frames;
  const functions = functionIndex(profile);
  if (opts.granularity === 'functions') {
    // Function frames carry no file in the model; the panel shows where each function starts.
    for (let i = 0; i < frames.names.length; i++) {
      const fn = functions.get(frames.names[i]);
      if (fn && !frames.files[i]) {
        frames.files[i] = fn.filename;
        frames.lines[i] = Math.max(0, fn.startLine);
      }
    }
  }
  return {
    payload: { type: 'profile', header, options: opts, frames, flame: view.flame, top: view.top, warnings },
    functions,
  };
}

/** Warnings for a comparison whose base is another pod's or another kind's profile. */
export function baseWarnings(
  current: { path?: string; kind: string },
  base: { path?: string; kind: string; fileName: string },
  capturesRoot: string | undefined,
): string[] {
  const out: string[] = [];
  const a = captureInfoFromPath(current.path, capturesRoot);
  const b = captureInfoFromPath(base.path, capturesRoot);
  if (a && b && (a.pod !== b.pod || a.namespace !== b.namespace || a.context !== b.context)) {
    out.push(
      `The base ${base.fileName} was captured from ${b.namespace}/${b.pod}, this profile from ${a.namespace}/${a.pod}: the difference includes how the two pods differ, not only change over time.`,
    );
  }
  if (base.kind !== current.kind) {
    const a = (k: string) => (/^[aeiou]/.test(k) ? `an ${k}` : `a ${k}`);
    out.push(`The base ${base.fileName} is ${a(base.kind)} profile, this one ${a(current.kind)} profile: the difference mixes what the two kinds measure.`);
  }
  return out;
}

function withNode(info: CaptureInfo | undefined, node: string | undefined): CaptureInfo | undefined {
  return info && node ? { ...info, node } : info;
}

function functionIndex(profile: Profile): Map<string, { filename: string; startLine: number }> {
  const byName = new Map<string, { filename: string; startLine: number }>();
  for (const f of profile.functions) if (!byName.has(f.name) && f.filename) byName.set(f.name, f);
  return byName;
}

/** File, line and name of a frame, for opening its source. Function frames open at the function's first line. */
export function sourceOf(view: BuiltView, frame: number): { file: string; line: number; name: string } | undefined {
  const fr = view.payload.frames;
  if (frame < 0 || frame >= fr.names.length) return undefined;
  const name = fr.names[frame];
  let file = fr.files[frame];
  let line = fr.lines[frame];
  const fn = view.functions.get(name);
  if (fn) {
    if (!file) file = fn.filename;
    if (!line) line = fn.startLine;
  }
  return { file, line, name };
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
