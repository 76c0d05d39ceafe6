// Triggers of a recording: when a round's goroutine count or heap in use reaches a threshold, the recorder
// captures a goroutine debug=2 dump and a heap profile on the spot, at most once per cool-down per pod. Pure:
// the decision (TriggerGate) and the parsing of the user's thresholds; the captures are the recorder's.
import { RecordingError, parseDuration } from './recordingIndex.ts';

export interface TriggerOptions {
  /** Fire when a round's goroutine dump counts at least this many goroutines. */
  goroutines?: number;
  /** Fire when a round's heap profile shows at least this many bytes in use (inuse_space). */
  heapInuseBytes?: number;
  /** After firing for a pod, no trigger for that pod until this many seconds have passed. Default 300. */
  cooldownSeconds?: number;
}

export const DEFAULT_TRIGGER_COOLDOWN_SECONDS = 300;

export type TriggerMetric = 'goroutines' | 'heap_inuse_bytes';

export interface TriggerFire {
  /** e.g. `goroutines 812 ≥ 500` or `heap in use 600.0 MiB ≥ 512.0 MiB`, both when both crossed. */
  reason: string;
  crossed: Array<{ metric: TriggerMetric; value: number; threshold: number }>;
}

export function hasTriggers(o: TriggerOptions | undefined): o is TriggerOptions {
  return !!o && (o.goroutines !== undefined || o.heapInuseBytes !== undefined);
}

const mib = (x: number): string => `${(x / (1 << 20)).toFixed(1)} MiB`;

/** Decides, round by round, whether a pod's values fire a trigger: at or above a threshold and out of cool-down. */
export class TriggerGate {
  readonly options: TriggerOptions;
  private readonly lastFired = new Map<string, number>();

  constructor(options: TriggerOptions) {
    for (const [k, v] of [['goroutines', options.goroutines], ['heap', options.heapInuseBytes]] as const) {
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new RecordingError(`The ${k} trigger threshold must be a number above 0.`);
    }
    const c = options.cooldownSeconds ?? DEFAULT_TRIGGER_COOLDOWN_SECONDS;
    if (!(Number.isFinite(c) && c >= 0)) throw new RecordingError('The trigger cool-down must be a duration of 0 s or more.');
    this.options = { ...options, cooldownSeconds: c };
  }

  get cooldownMs(): number {
    return (this.options.cooldownSeconds ?? DEFAULT_TRIGGER_COOLDOWN_SECONDS) * 1000;
  }

  /** `t` in ms since the epoch. Returns the fire (and starts the pod's cool-down) or undefined. */
  check(pod: string, t: number, values: { goroutines?: number; heapInuseBytes?: number }): TriggerFire | undefined {
    const crossed: TriggerFire['crossed'] = [];
    const o = this.options;
    if (o.goroutines !== undefined && values.goroutines !== undefined && values.goroutines >= o.goroutines) crossed.push({ metric: 'goroutines', value: values.goroutines, threshold: o.goroutines });
    if (o.heapInuseBytes !== undefined && values.heapInuseBytes !== undefined && values.heapInuseBytes >= o.heapInuseBytes) {
      crossed.push({ metric: 'heap_inuse_bytes', value: values.heapInuseBytes, threshold: o.heapInuseBytes });
    }
    if (crossed.length === 0) return undefined;
    const last = this.lastFired.get(pod);
    if (last !== undefined && t - last < this.cooldownMs) return undefined;
    this.lastFired.set(pod, t);
    const reason = crossed.map((c) => (c.metric === 'goroutines' ? `goroutines ${c.value} ≥ ${c.threshold}` : `heap in use ${mib(c.value)} ≥ ${mib(c.threshold)}`)).join(', ');
    return { reason, crossed };
  }
}

/** `512MiB`, `1.5GiB`, `200MB`, `4096` (bytes) → bytes; throws `RecordingError` on anything else. */
export function parseByteSize(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?\s*$/i.exec(s);
  if (!m) throw new RecordingError(`"${s}" is not a size; write it like 512MiB, 2GiB or 800MB.`);
  const unit = (m[2] ?? 'B').toLowerCase();
  const mult: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3, tb: 1e12, tib: 1024 ** 4 };
  return Math.round(Number(m[1]) * mult[unit]);
}

/**
 * The Record… command's one-line form: `goroutines>5000 heap>512MiB cooldown=5m` (any order, commas or spaces;
 * `≥`, `>=`, `>` or `=`). Empty: no triggers (undefined).
 */
export function parseTriggerSpec(spec: string): TriggerOptions | undefined {
  const parts = spec.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0) return undefined;
  const o: TriggerOptions = {};
  for (const p of parts) {
    const m = /^(goroutines|heap|cooldown)(?:>=|≥|>|=)(.+)$/i.exec(p);
    if (!m) throw new RecordingError(`"${p}" is not a trigger; write goroutines>5000, heap>512MiB or cooldown=5m.`);
    const key = m[1].toLowerCase();
    if (key === 'goroutines') {
      if (!/^\d+$/.test(m[2]) || Number(m[2]) <= 0) throw new RecordingError(`goroutines needs a whole number above 0, not "${m[2]}".`);
      o.goroutines = Number(m[2]);
    } else if (key === 'heap') o.heapInuseBytes = parseByteSize(m[2]);
    else o.cooldownSeconds = parseDuration(m[2]);
  }
  if (!hasTriggers(o)) throw new RecordingError('Give a goroutines or heap threshold (a cool-down alone triggers nothing).');
  new TriggerGate(o); // validates
  return o;
}
