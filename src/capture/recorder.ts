// A recording: rounds of ordinary captures at a fixed interval, from one or more pods, into a directory with
// an index (src/profile/recordingIndex.ts). Rounds start on a fixed schedule (start + k × interval; a round
// that overruns skips the slots it missed). A failed capture is written into its round and the next round
// still runs. Pods are followed by name: each round reads the pod, and a new uid (a new pod took the name, as
// an etcd member does) or a higher container restart count marks the round `replaced` / `restarted`.
// Stop (AbortSignal) cancels captures in flight (they save nothing) and ends the index.
// etcd members: each round also reads the member's /metrics (same path and mutual TLS as a capture) and keeps a
// few numbers in the round (db size, in use, leader changes, WAL fsync buckets; src/profile/etcdMetrics.ts).
// Triggers (optional): when a round's goroutine count or heap in use reaches a threshold, a goroutine debug=2
// dump and a heap profile are captured on the spot into `<pod>/triggered-…`, at most once per cool-down per pod,
// and written into the round as `triggered` with the reason.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ForwardRegistry } from '../cluster/forwardRegistry.ts';
import { podRestarts } from '../cluster/pods.ts';
import { summarizeCapture, type CaptureSummary, type GoroutineSummary, type HeapSummary } from '../profile/captureSummary.ts';
import { summarizeEtcdMetrics } from '../profile/etcdMetrics.ts';
import { TriggerGate, hasTriggers, type TriggerOptions } from '../profile/triggers.ts';
import { findLeaks, type Finding } from '../profile/findings.ts';
import { RECORDING_FORMAT, RECORDING_INDEX, indexLine, type RecordKind, type RecordingEnd, type RecordingHeader, type RoundCapture, type RoundEntry } from '../profile/recordingIndex.ts';
import { Timeline } from '../profile/timeline.ts';
import { capture, type CaptureMethod } from './capture.ts';
import { captureKind, type CaptureKind, type CaptureKindId } from './kinds.ts';
import { groupOf, type PprofEndpoint } from './endpoint.ts';
import { requestFromPod } from './podRequest.ts';
import { safeSegment, utcStamp } from './save.ts';
import { CaptureError } from './validate.ts';

/** The capture kind behind each recording kind: goroutines as debug=2 dumps, for states and creators. */
export const RECORD_CAPTURE_KIND: Record<RecordKind, CaptureKindId> = { goroutine: 'goroutine-debug2', heap: 'heap', allocs: 'allocs', cpu: 'cpu' };

/** The capture kind a recording uses; heap asks for a GC first (`?gc=1`): in-use figures are those of the last GC. */
export function recordCaptureKind(kind: RecordKind, heapGc = true): CaptureKind {
  const base = captureKind(RECORD_CAPTURE_KIND[kind]);
  return kind === 'heap' && heapGc ? { ...base, params: { ...base.params, gc: '1' } } : base;
}

export interface RecorderOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  pods: string[];
  kinds: RecordKind[];
  everySeconds: number;
  /** null: until stopped. */
  forSeconds: number | null;
  /** Length of each CPU profile; default the smaller of 10 s and half the interval. */
  cpuSeconds?: number;
  /** The recording directory (created; must not hold a recording yet). */
  dir: string;
  method?: CaptureMethod;
  endpoint?: Partial<PprofEndpoint>;
  registry?: ForwardRegistry;
  insecureSkipVerify?: boolean;
  maxBytes?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** When round `n` starts (before its captures). */
  onRoundStart?: (n: number) => void;
  /** After each pod's round is written: the round, the findings so far. */
  onRound?: (round: RoundEntry, findings: Finding[]) => void;
  /** Heap captures ask the runtime for a GC first (`?gc=1`) so in-use is current; default true. */
  heapGc?: boolean;
  /** Reads a pod's uid and restart count; default: GET the pod. */
  readPod?: (name: string) => Promise<{ uid: string; restarts: number; etcd?: boolean } | undefined>;
  /** Read etcd members' /metrics each round: default (undefined) for pods that are etcd members; false: never. */
  etcdMetrics?: boolean;
  /** Capture a dump and a heap profile when a threshold is reached (see src/profile/triggers.ts). */
  triggers?: TriggerOptions;
}

/** Largest /metrics answer read (etcd's is ~170 KB). */
const MAX_METRICS_BYTES = 16 << 20;

export interface RecordingResult {
  dir: string;
  index: string;
  rounds: number;
  captures: number;
  failed: number;
  /** Triggers fired. */
  triggered: number;
  reason: RecordingEnd['reason'];
  findings: Finding[];
  timeline: Timeline;
}

export function defaultCpuSeconds(everySeconds: number): number {
  return Math.max(1, Math.min(10, Math.floor(everySeconds / 2)));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class Recorder {
  readonly options: RecorderOptions;
  readonly timeline = new Timeline();
  readonly indexFile: string;
  readonly header: RecordingHeader;
  rounds = 0;
  captures = 0;
  /** Set when run() has written the end of the index. */
  done = false;
  failed = 0;
  /** Triggers fired so far. */
  triggered = 0;
  private readonly gate?: TriggerGate;
  private readonly last = new Map<string, { uid?: string; restarts?: number }>();
  private readonly stopper = new AbortController();
  private readonly cpuSeconds: number;

  constructor(options: RecorderOptions) {
    if (!(options.everySeconds > 0)) throw new Error('The interval must be more than 0 s.');
    if (options.pods.length === 0) throw new Error('Choose at least one pod to record.');
    if (options.kinds.length === 0) throw new Error('Choose at least one kind to record.');
    if (hasTriggers(options.triggers)) {
      if (options.triggers.goroutines !== undefined && !options.kinds.includes('goroutine')) throw new Error('A goroutine trigger needs goroutine among the kinds recorded (its count is read from each round\'s dump).');
      if (options.triggers.heapInuseBytes !== undefined && !options.kinds.includes('heap')) throw new Error('A heap trigger needs heap among the kinds recorded (its in-use bytes are read from each round\'s profile).');
      this.gate = new TriggerGate(options.triggers);
    }
    this.options = options;
    this.cpuSeconds = Math.max(1, Math.round(options.cpuSeconds ?? defaultCpuSeconds(options.everySeconds)));
    this.indexFile = path.join(options.dir, RECORDING_INDEX);
    this.header = {
      format: RECORDING_FORMAT,
      version: 1,
      context: options.kubeConfig.getCurrentContext(),
      namespace: options.namespace,
      pods: [...options.pods],
      kinds: [...options.kinds],
      everySeconds: options.everySeconds,
      forSeconds: options.forSeconds,
      cpuSeconds: options.kinds.includes('cpu') ? this.cpuSeconds : 0,
      started: new Date().toISOString(),
      ...(this.gate ? { triggers: this.gate.options } : {}),
    };
    options.signal?.addEventListener('abort', () => this.stop(), { once: true });
    if (options.signal?.aborted) this.stop();
  }

  stop(): void {
    this.stopper.abort();
  }

  get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  findings(): Finding[] {
    return findLeaks(this.timeline);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  async run(): Promise<RecordingResult> {
    const o = this.options;
    await mkdir(o.dir, { recursive: true });
    // 'wx': never append to (or overwrite) another recording's index.
    await appendFile(this.indexFile, indexLine(this.header), { flag: 'wx' });
    const start = Date.parse(this.header.started);
    const every = o.everySeconds * 1000;
    const endAt = o.forSeconds === null ? Infinity : start + o.forSeconds * 1000;
    let reason: RecordingEnd['reason'] = 'duration';
    let message: string | undefined;
    let n = 0;
    try {
      for (let slot = 0; ; ) {
        const at = start + slot * every;
        if (at >= endAt) break;
        await sleep(at - Date.now(), this.stopper.signal);
        if (this.stopped) break;
        n++;
        this.log(`Round ${n}: ${o.pods.join(', ')}`);
        o.onRoundStart?.(n);
        await Promise.all(o.pods.map((pod) => this.round(n, pod)));
        if (this.stopped) break;
        slot = Math.max(slot + 1, Math.ceil((Date.now() - start) / every));
      }
      if (this.stopped) reason = 'stopped';
    } catch (err) {
      reason = 'error';
      message = (err as Error).message;
      this.log(`Recording stopped: ${message}`);
    }
    const end: RecordingEnd = { ended: new Date().toISOString(), reason, ...(message ? { message } : {}) };
    await appendFile(this.indexFile, indexLine(end));
    this.done = true;
    return { dir: o.dir, index: this.indexFile, rounds: this.rounds, captures: this.captures, failed: this.failed, triggered: this.triggered, reason, findings: this.findings(), timeline: this.timeline };
  }

  /** One capture of `pod` into `outputFile`, with the recording's cluster settings; stops with the recording. */
  private captureTo(pod: string, kind: CaptureKind, outputFile: string, seconds?: number) {
    const o = this.options;
    return capture({
      kubeConfig: o.kubeConfig,
      namespace: o.namespace,
      pod,
      kind,
      seconds,
      method: o.method,
      endpoint: o.endpoint,
      registry: o.registry,
      insecureSkipVerify: o.insecureSkipVerify,
      maxBytes: o.maxBytes,
      outputFile,
      signal: this.stopper.signal,
    });
  }

  private async readPod(name: string): Promise<{ uid: string; restarts: number; etcd?: boolean } | undefined> {
    if (this.options.readPod) return this.options.readPod(name);
    try {
      const core = this.options.kubeConfig.makeApiClient(CoreV1Api);
      const pod = await core.readNamespacedPod({ name, namespace: this.options.namespace });
      return { uid: pod.metadata?.uid ?? '', restarts: podRestarts(pod), etcd: groupOf(pod) === 'etcd' };
    } catch {
      return undefined;
    }
  }

  private async round(n: number, pod: string): Promise<void> {
    const o = this.options;
    const t = new Date().toISOString();
    const entry: RoundEntry = { round: n, pod, t, captures: [] };
    const seen = await this.readPod(pod);
    const prev = this.last.get(pod);
    if (seen) {
      entry.podUid = seen.uid;
      entry.restarts = seen.restarts;
      if (prev?.uid && seen.uid && prev.uid !== seen.uid) entry.change = 'replaced';
      else if (prev?.restarts !== undefined && seen.restarts > prev.restarts) entry.change = 'restarted';
      this.last.set(pod, { uid: seen.uid, restarts: seen.restarts });
    }
    if (entry.change) this.log(`${pod}: ${entry.change === 'replaced' ? 'a new pod took the name' : 'its container restarted'} since the last round`);

    const summaries: Partial<Record<RecordKind, { summary: CaptureSummary; file: string; t: string }>> = {};
    const failures: Array<{ kind: RecordKind; error: string; code: string }> = [];
    const one = async (kind: RecordKind): Promise<void> => {
      const ck = recordCaptureKind(kind, o.heapGc !== false);
      const at = new Date();
      const outputFile = path.join(o.dir, safeSegment(pod), `${ck.id}-${utcStamp(at)}${ck.extension}`);
      try {
        const r = await this.captureTo(pod, ck, outputFile, this.cpuSeconds);
        const file = path.relative(o.dir, r.file).split(path.sep).join('/');
        const captured: RoundCapture = { kind, file, bytes: r.bytes, t: at.toISOString() };
        entry.captures.push(captured);
        this.captures++;
        try {
          summaries[kind] = { summary: summarizeCapture(kind, await readFile(r.file), path.basename(r.file)), file, t: captured.t };
        } catch (err) {
          this.log(`${pod}: ${kind} saved to ${file} but not readable as one: ${(err as Error).message}`);
        }
      } catch (err) {
        if (this.stopped) return; // stopped mid-capture: nothing saved, nothing to say
        const code = err instanceof CaptureError ? err.code : 'failed';
        const error = (err as Error).message;
        entry.captures.push({ kind, error, code, t: at.toISOString() });
        failures.push({ kind, error, code });
        this.failed++;
        this.log(`${pod}: ${kind} failed: ${error}`);
      }
    };
    // CPU runs its seconds alongside the instant kinds, which go one after the other; an etcd member's /metrics
    // is read first, before the instant kinds.
    const instant = o.kinds.filter((k) => k !== 'cpu');
    const wantMetrics = o.etcdMetrics === true || (o.etcdMetrics === undefined && seen?.etcd === true);
    await Promise.all([
      (async () => {
        if (wantMetrics && !this.stopped) await this.readMetrics(pod, entry);
        for (const k of instant) if (!this.stopped) await one(k);
      })(),
      o.kinds.includes('cpu') ? one('cpu') : Promise.resolve(),
    ]);
    if (entry.captures.length === 0) return;
    if (this.gate && !this.stopped) {
      const fire = this.gate.check(pod, Date.now(), {
        goroutines: (summaries.goroutine?.summary as GoroutineSummary | undefined)?.total,
        heapInuseBytes: (summaries.heap?.summary as HeapSummary | undefined)?.inuseBytes,
      });
      if (fire) await this.triggerCaptures(pod, entry, fire);
    }
    if (failures.length && !entry.change && seen && !this.stopped) {
      // A capture failed: did the pod restart or get replaced meanwhile? The API shows it within moments (a
      // dropped TLS handshake alone reads like a certificate problem). If so, this is the round to mark.
      for (let i = 0; i < 6 && !entry.change && !this.stopped; i++) {
        if (i) await sleep(500, this.stopper.signal);
        const now = await this.readPod(pod);
        if (now?.uid && seen.uid && now.uid !== seen.uid) entry.change = 'replaced';
        else if (now && now.restarts > seen.restarts) entry.change = 'restarted';
        if (now && entry.change) this.last.set(pod, { uid: now.uid, restarts: now.restarts });
      }
      if (entry.change) {
        const why = entry.change === 'replaced' ? `${pod} was replaced by a new pod during this round` : `a container of ${pod} restarted during this round`;
        for (const c of entry.captures) if ('error' in c && !/restarted|deleted|replaced/.test(c.error)) c.error = `${why[0].toUpperCase()}${why.slice(1)}; nothing was saved. (${c.error})`;
        for (const f of failures) if (!/restarted|deleted|replaced/.test(f.error)) f.error = `${why[0].toUpperCase()}${why.slice(1)}; nothing was saved. (${f.error})`;
      }
    }
    entry.captures.sort((a, b) => o.kinds.indexOf(a.kind) - o.kinds.indexOf(b.kind));
    if (this.stopped && entry.metrics && 'error' in entry.metrics) delete entry.metrics;
    await appendFile(this.indexFile, indexLine(entry));
    this.rounds++;
    this.timeline.add(entry, summaries, failures);
    o.onRound?.(entry, this.findings());
  }

  /** An etcd member's /metrics into `entry.metrics`: the numbers, or why it could not be read. Never throws. */
  private async readMetrics(pod: string, entry: RoundEntry): Promise<void> {
    const o = this.options;
    const t = new Date().toISOString();
    try {
      const answer = await requestFromPod(
        { kubeConfig: o.kubeConfig, namespace: o.namespace, pod, method: o.method, endpoint: o.endpoint, registry: o.registry, insecureSkipVerify: o.insecureSkipVerify, maxBytes: MAX_METRICS_BYTES, signal: this.stopper.signal },
        '/metrics',
      );
      if (answer.status !== 200) throw new CaptureError('http-error', `/metrics answered ${answer.status}: ${answer.body.subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim()}`);
      entry.metrics = { t, ...summarizeEtcdMetrics(answer.body.toString('utf8')) };
    } catch (err) {
      if (this.stopped) return;
      const code = err instanceof CaptureError ? err.code : 'failed';
      entry.metrics = { t, error: (err as Error).message, code };
      this.log(`${pod}: /metrics failed: ${(err as Error).message}`);
    }
  }

  /** A fired trigger: a goroutine debug=2 dump, then a heap profile, into `<pod>/triggered-…`; written into the round. */
  private async triggerCaptures(pod: string, entry: RoundEntry, fire: { reason: string; crossed: NonNullable<RoundEntry['triggered']>['crossed'] }): Promise<void> {
    const o = this.options;
    this.triggered++;
    this.log(`${pod}: trigger (${fire.reason}): capturing a goroutine dump and a heap profile`);
    const triggered: NonNullable<RoundEntry['triggered']> = { reason: fire.reason, crossed: fire.crossed, captures: [] };
    for (const kind of ['goroutine', 'heap'] as const) {
      if (this.stopped) break;
      const ck = recordCaptureKind(kind, o.heapGc !== false);
      const at = new Date();
      const outputFile = path.join(o.dir, safeSegment(pod), `triggered-${ck.id}-${utcStamp(at)}${ck.extension}`);
      try {
        const r = await this.captureTo(pod, ck, outputFile);
        triggered.captures.push({ kind, file: path.relative(o.dir, r.file).split(path.sep).join('/'), bytes: r.bytes, t: at.toISOString() });
      } catch (err) {
        if (this.stopped) break;
        triggered.captures.push({ kind, error: (err as Error).message, code: err instanceof CaptureError ? err.code : 'failed', t: at.toISOString() });
        this.log(`${pod}: triggered ${kind} failed: ${(err as Error).message}`);
      }
    }
    if (triggered.captures.length) entry.triggered = triggered;
  }
}
