// Messages between the profile panel's host (src/views/profilePanel) and its webview (webview/).
// The webview imports it with `import type`. Large data travels as typed arrays, which postMessage transfers
// without turning them into JSON trees. What comes from the webview is checked at runtime (`parseFromWebview`):
// the host trusts no shape it did not check.
import type { FlameData, FrameTable, Granularity, TopData } from './profile/types.ts';

export type { FlameData, FrameTable, Granularity, TopData };

export interface ViewOptions {
  /** Index into `ProfileHeader.sampleTypes`. */
  sampleIndex: number;
  granularity: Granularity;
  /** Regular expressions, empty when unset (pprof's -focus, -ignore, -hide). */
  focus: string;
  ignore: string;
  hide: string;
}

export interface CaptureInfo {
  context?: string;
  namespace?: string;
  pod?: string;
  node?: string;
  container?: string;
}

export interface ProfileHeader {
  fileName: string;
  /** cpu, heap, allocs, goroutine, block, mutex … as far as the file tells. */
  kind: string;
  sampleTypes: { type: string; unit: string }[];
  /** Unit of the selected sample type. */
  unit: string;
  /** Sum of the selected sample type over all samples (after filters). */
  total: number;
  durationNanos: number;
  timeNanos: number;
  capture?: CaptureInfo;
  /** Set when the view is a comparison: the base's file name. */
  baseFileName?: string;
}

export interface ProfilePayload {
  type: 'profile';
  header: ProfileHeader;
  options: ViewOptions;
  frames: FrameTable;
  flame: FlameData;
  top: TopData;
  /** Non-fatal problems, e.g. an invalid filter expression. */
  warnings: string[];
}

export type ToWebview =
  | ProfilePayload
  | { type: 'error'; message: string }
  | { type: 'busy'; busy: boolean };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'setOptions'; options: ViewOptions }
  /** Open the source of a frame (index into `FrameTable`). */
  | { type: 'openSource'; frame: number }
  | { type: 'compare' }
  | { type: 'clearCompare' }
  | { type: 'copyText'; text: string }
  | { type: 'exportSvg'; svg: string };

/** Longest focus / ignore / hide / search expression, in characters (also enforced on the host). */
export const MAX_PATTERN_LENGTH = 500;
/** Largest text the webview may hand over (copy as text, SVG export). */
const MAX_TEXT = 64 * 1024 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < max;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const GRANULARITIES: readonly Granularity[] = ['functions', 'lines', 'files'];

/** The fields of ViewOptions, checked and copied (no extra keys carried over), or undefined. */
export function parseViewOptions(v: unknown): ViewOptions | undefined {
  if (!isObject(v)) return undefined;
  const { sampleIndex, granularity, focus, ignore, hide } = v;
  if (!isIndex(sampleIndex, 1024) || !GRANULARITIES.includes(granularity as Granularity)) return undefined;
  // Over-long expressions pass through here; the host refuses them with a message (regexGuard).
  if (!isText(focus, MAX_TEXT) || !isText(ignore, MAX_TEXT) || !isText(hide, MAX_TEXT)) return undefined;
  return { sampleIndex, granularity: granularity as Granularity, focus, ignore, hide };
}

/** A message from the webview if it is one of the FromWebview shapes, else undefined (the caller drops it). */
export function parseFromWebview(msg: unknown): FromWebview | undefined {
  if (!isObject(msg) || typeof msg.type !== 'string') return undefined;
  switch (msg.type) {
    case 'ready':
    case 'compare':
    case 'clearCompare':
      return { type: msg.type };
    case 'setOptions': {
      const options = parseViewOptions(msg.options);
      return options ? { type: 'setOptions', options } : undefined;
    }
    case 'openSource':
      return isIndex(msg.frame, 2 ** 31) ? { type: 'openSource', frame: msg.frame } : undefined;
    case 'copyText':
      return isText(msg.text, MAX_TEXT) ? { type: 'copyText', text: msg.text } : undefined;
    case 'exportSvg':
      return isText(msg.svg, MAX_TEXT) ? { type: 'exportSvg', svg: msg.svg } : undefined;
    default:
      return undefined;
  }
}

/** A short description of a dropped message for the log: its type and keys, never its content. */
export function describeMessage(msg: unknown): string {
  if (!isObject(msg)) return msg === null ? 'null' : Array.isArray(msg) ? 'an array' : `a ${typeof msg}`;
  const type = typeof msg.type === 'string' ? JSON.stringify(msg.type.slice(0, 40)) : 'no type';
  return `type ${type}, keys ${Object.keys(msg).slice(0, 10).join(', ') || 'none'}`;
}
