// The index of a recording: a directory with `recording.jsonl` and the ordinary capture files of each round
// under `<pod>/<kind>-<UTC time><ext>`. The index is JSON lines, appended as the recording goes, so a recording
// cut short (crash, kill) keeps every round written before:
//   line 1   {"format":"etcd-profiler-recording","version":1, context, namespace, pods, kinds, everySeconds, …}
//   then     {"round":N,"pod":…,"t":ISO,"captures":[{kind,file,bytes}|{kind,error,code}], change?…,
//             metrics?: {t, dbSizeBytes, dbSizeInUseBytes, leaderChanges, walFsync:{le,counts}} | {t,error,code}
//             (etcd members: numbers read from their /metrics, no file),
//             triggered?: {reason, crossed:[{metric,value,threshold}], captures:[…as above]}}
//   last     {"ended":ISO,"reason":"duration"|"stopped"|"error"} (absent while it runs or when it was killed)
// Capture file paths are relative to the directory, with `/` separators. The index is untrusted input: every
// field is checked, and a file path that leaves the directory is refused.

import type { EtcdMetricsSummary } from './etcdMetrics.ts';
import type { TriggerMetric, TriggerOptions } from './triggers.ts';

export const RECORDING_INDEX = 'recording.jsonl';
export const RECORDING_FORMAT = 'etcd-profiler-recording';

/** What a recording takes each round. `goroutine` is a debug=2 dump (states and creators). */
export type RecordKind = 'goroutine' | 'heap' | 'allocs' | 'cpu';
export const RECORD_KINDS: readonly RecordKind[] = ['goroutine', 'heap', 'allocs', 'cpu'];

export interface RecordingHeader {
  format: typeof RECORDING_FORMAT;
  version: 1;
  context: string;
  namespace: string;
  pods: string[];
  kinds: RecordKind[];
  everySeconds: number;
  /** null: until stopped. */
  forSeconds: number | null;
  cpuSeconds: number;
  started: string;
  /** Thresholds that capture a dump and a heap profile on the spot (absent: none). */
  triggers?: TriggerOptions;
}

export type RoundCapture =
  | { kind: RecordKind; file: string; bytes: number; t: string }
  | { kind: RecordKind; error: string; code: string; t: string };

/** How the pod differs from its previous round: its container restarted, or a new pod took its name. */
export type PodChange = 'restarted' | 'replaced';

export interface RoundEntry {
  round: number;
  pod: string;
  /** Start of the round. */
  t: string;
  podUid?: string;
  restarts?: number;
  change?: PodChange;
  captures: RoundCapture[];
  /** An etcd member's /metrics read this round: the numbers kept, or why it could not be read. */
  metrics?: RoundMetrics;
  /** A trigger fired this round: why, and the dump and heap profile it captured. */
  triggered?: RoundTrigger;
}

export type RoundMetrics = (EtcdMetricsSummary & { t: string }) | { t: string; error: string; code: string };

export interface RoundTrigger {
  reason: string;
  crossed: Array<{ metric: TriggerMetric; value: number; threshold: number }>;
  captures: RoundCapture[];
}

export interface RecordingEnd {
  ended: string;
  reason: 'duration' | 'stopped' | 'error';
  message?: string;
}

export interface RecordingIndex {
  header: RecordingHeader;
  rounds: RoundEntry[];
  end?: RecordingEnd;
  /** Lines that could not be read (a torn last line after a crash): counted, not fatal. */
  skippedLines: number;
}

export class RecordingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordingError';
  }
}

export function recordKindOf(s: string): RecordKind {
  if ((RECORD_KINDS as readonly string[]).includes(s)) return s as RecordKind;
  throw new RecordingError(`Unknown recording kind "${s}"; use ${RECORD_KINDS.join(', ')}.`);
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isTime = (v: unknown): v is string => isStr(v) && v.length < 40 && !Number.isNaN(Date.parse(v));

/** A capture path inside the recording: relative, `/`-separated, no `..`, no absolute or drive prefix. */
export function isSafeRelativePath(p: string): boolean {
  if (!p || p.length > 1000 || p.includes('\\') || p.includes('\0') || p.startsWith('/') || /^[A-Za-z]:/.test(p)) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

function parseHeader(v: Record<string, unknown>): RecordingHeader {
  if (v.format !== RECORDING_FORMAT) throw new RecordingError(`not an etcd Profiler recording (format is ${JSON.stringify(v.format)}).`);
  if (v.version !== 1) throw new RecordingError(`recording version ${JSON.stringify(v.version)} is not supported (this version reads 1).`);
  const pods = Array.isArray(v.pods) ? v.pods.filter(isStr) : [];
  const kinds = Array.isArray(v.kinds) ? v.kinds.filter((k): k is RecordKind => isStr(k) && (RECORD_KINDS as readonly string[]).includes(k)) : [];
  if (!isStr(v.context) || !isStr(v.namespace) || pods.length === 0 || kinds.length === 0 || !isNum(v.everySeconds) || !isTime(v.started)) {
    throw new RecordingError('the recording header lacks its context, namespace, pods, kinds, interval or start time.');
  }
  return {
    format: RECORDING_FORMAT,
    version: 1,
    context: v.context,
    namespace: v.namespace,
    pods,
    kinds,
    everySeconds: v.everySeconds,
    forSeconds: isNum(v.forSeconds) ? v.forSeconds : null,
    cpuSeconds: isNum(v.cpuSeconds) ? v.cpuSeconds : 0,
    started: v.started,
    ...(triggersOf(v.triggers) ?? {}),
  };
}

function triggersOf(v: unknown): { triggers: TriggerOptions } | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const t: TriggerOptions = {};
  if (isNum(o.goroutines)) t.goroutines = o.goroutines;
  if (isNum(o.heapInuseBytes)) t.heapInuseBytes = o.heapInuseBytes;
  if (isNum(o.cooldownSeconds)) t.cooldownSeconds = o.cooldownSeconds;
  return t.goroutines !== undefined || t.heapInuseBytes !== undefined ? { triggers: t } : undefined;
}

function parseCaptures(list: unknown, t0: string): RoundCapture[] {
  const captures: RoundCapture[] = [];
  if (!Array.isArray(list)) return captures;
  for (const c of list as Array<Record<string, unknown>>) {
    if (!c || typeof c !== 'object' || !isStr(c.kind) || !(RECORD_KINDS as readonly string[]).includes(c.kind)) continue;
    const kind = c.kind as RecordKind;
    const t = isTime(c.t) ? c.t : t0;
    if (isStr(c.file) && isSafeRelativePath(c.file)) captures.push({ kind, file: c.file, bytes: isNum(c.bytes) ? c.bytes : 0, t });
    else if (isStr(c.error)) captures.push({ kind, error: c.error.slice(0, 2000), code: isStr(c.code) ? c.code : 'error', t });
  }
  return captures;
}

const isCount = (v: unknown): v is number => isNum(v) && v >= 0;

function parseMetrics(v: unknown, t0: string): RoundMetrics | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const m = v as Record<string, unknown>;
  const t = isTime(m.t) ? m.t : t0;
  if (isStr(m.error)) return { t, error: m.error.slice(0, 2000), code: isStr(m.code) ? m.code : 'error' };
  const out: EtcdMetricsSummary & { t: string } = { t };
  if (isCount(m.dbSizeBytes)) out.dbSizeBytes = m.dbSizeBytes;
  if (isCount(m.dbSizeInUseBytes)) out.dbSizeInUseBytes = m.dbSizeInUseBytes;
  if (isCount(m.leaderChanges)) out.leaderChanges = m.leaderChanges;
  const w = m.walFsync as Record<string, unknown> | undefined;
  if (w && typeof w === 'object' && Array.isArray(w.le) && Array.isArray(w.counts) && w.le.length <= 64 && w.counts.length === w.le.length + 1) {
    const le = w.le as unknown[];
    const counts = w.counts as unknown[];
    if (le.every(isNum) && counts.every(isCount) && le.every((x, i) => i === 0 || x > (le[i - 1] as number)) && counts.every((x, i) => i === 0 || x >= (counts[i - 1] as number))) {
      out.walFsync = { le: le as number[], counts: counts as number[] };
    }
  }
  return out;
}

function parseTrigger(v: unknown, t0: string): RoundTrigger | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (!isStr(o.reason)) return undefined;
  const crossed: RoundTrigger['crossed'] = [];
  if (Array.isArray(o.crossed)) {
    for (const c of o.crossed as Array<Record<string, unknown>>) {
      if (c && (c.metric === 'goroutines' || c.metric === 'heap_inuse_bytes') && isNum(c.value) && isNum(c.threshold)) crossed.push({ metric: c.metric, value: c.value, threshold: c.threshold });
    }
  }
  return { reason: o.reason.slice(0, 500), crossed, captures: parseCaptures(o.captures, t0) };
}

function parseRound(v: Record<string, unknown>): RoundEntry | undefined {
  if (!isNum(v.round) || !isStr(v.pod) || !isTime(v.t) || !Array.isArray(v.captures)) return undefined;
  const round: RoundEntry = { round: v.round, pod: v.pod, t: v.t, captures: parseCaptures(v.captures, v.t) };
  if (isStr(v.podUid)) round.podUid = v.podUid;
  if (isNum(v.restarts)) round.restarts = v.restarts;
  if (v.change === 'restarted' || v.change === 'replaced') round.change = v.change;
  const metrics = parseMetrics(v.metrics, v.t);
  if (metrics) round.metrics = metrics;
  const triggered = parseTrigger(v.triggered, v.t);
  if (triggered) round.triggered = triggered;
  return round;
}

/** Reads an index's text; throws `RecordingError` when its header is missing or wrong. */
export function parseRecordingIndex(text: string): RecordingIndex {
  const lines = text.split('\n');
  let header: RecordingHeader | undefined;
  const rounds: RoundEntry[] = [];
  let end: RecordingEnd | undefined;
  let skippedLines = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      if (!header) throw new RecordingError('the first line of the recording index is not JSON.');
      skippedLines++;
      continue;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      skippedLines++;
      continue;
    }
    const o = v as Record<string, unknown>;
    if (!header) {
      header = parseHeader(o);
      continue;
    }
    if ('ended' in o) {
      if (isTime(o.ended)) {
        const reason = o.reason === 'duration' || o.reason === 'stopped' || o.reason === 'error' ? o.reason : 'stopped';
        end = { ended: o.ended, reason, ...(isStr(o.message) ? { message: o.message.slice(0, 2000) } : {}) };
      } else skippedLines++;
      continue;
    }
    const r = parseRound(o);
    if (r) rounds.push(r);
    else skippedLines++;
  }
  if (!header) throw new RecordingError('the recording index is empty.');
  return { header, rounds, end, skippedLines };
}

/** One line of the index (with its newline). */
export function indexLine(entry: RecordingHeader | RoundEntry | RecordingEnd): string {
  return JSON.stringify(entry) + '\n';
}

/** `10s`, `2m`, `1h30m`, `90` (seconds) → seconds; throws on anything else. */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t))) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n / 1000 : m[2] === 's' ? n : m[2] === 'm' ? n * 60 : n * 3600;
    pos = re.lastIndex;
  }
  if (pos !== t.length || pos === 0) throw new RecordingError(`"${s}" is not a duration; write it like 30s, 2m or 1h.`);
  return total;
}
