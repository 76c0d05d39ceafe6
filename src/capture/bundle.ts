// A profiling bundle for a support case: from every etcd member and the operator of one context, the chosen
// profiles and dumps, etcd's version, metrics and endpoint status, the operator's log head, in one .tar.gz with
// a manifest.json (who, what, sizes and sha256, what failed and why) and a SUMMARY.md (made by the caller's
// `summarize`, from src/profile). CPU profiles of the different processes run concurrently, everything else
// after them (so it does not show in the CPU profiles), one pod's items one after another. An item that fails is
// recorded and the rest is collected; cancel or nothing collected leaves no file. Certificates and secrets are
// never collected; key material stays in memory as for any capture.
import { createHash } from 'node:crypto';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { loadEtcdTls, type EtcdTls } from '../cluster/etcdCerts.ts';
import { ForwardRegistry } from '../cluster/forwardRegistry.ts';
import { discoverPods, podRestarts } from '../cluster/pods.ts';
import { asCaptureError, requestFromPod, type CaptureMethod, type PodRequestOptions } from './podRequest.ts';
import {
  BUNDLE_FORMAT,
  BUNDLE_KINDS,
  bundleFileName,
  bundleSummaryLine,
  goVersionFromMetrics,
  parseEndpointStatus,
  serverHost,
  type BundleFile,
  type BundleItem,
  type BundleManifest,
  type BundlePod,
  type BundleProblem,
} from './bundleManifest.ts';
import { captureKind, capturePath, type CaptureKindId } from './kinds.ts';
import { resolveEndpoint, type PprofEndpoint } from './endpoint.ts';
import { fetchPprofIndex } from './pprofIndex.ts';
import { saveAtomically } from './save.ts';
import { writeTarGz, type TarEntry } from './tar.ts';
import { CaptureError, checkCaptureResponse } from './validate.ts';

export interface BundleTarget {
  namespace: string;
  name: string;
  group: 'etcd' | 'operator';
}

export interface BundleProgress {
  namespace: string;
  pod: string;
  /** What the pod is doing now: `CPU profile 12 s left`, `heap`, `done`, `failed: …`. */
  status: string;
  /** Items finished (collected or failed) over all pods, and how many there are. */
  done: number;
  total: number;
}

/** The files collected, for the summary. */
export interface CollectedBundle {
  manifest: BundleManifest;
  files: Map<string, Uint8Array>;
}

export interface BundleRequest {
  /** Its current context is the cluster. */
  kubeConfig: KubeConfig;
  /** Where the .tar.gz goes (written through a temp file; an existing file is not overwritten, see saveAtomically). */
  output: string;
  /** CPU profile length (default 30). */
  seconds?: number;
  kinds?: readonly CaptureKindId[];
  /** Default: the etcd members and the operator pods the discovery finds. */
  targets?: readonly BundleTarget[];
  method?: CaptureMethod;
  insecureSkipVerify?: boolean;
  maxBytes?: number;
  toolVersion: string;
  /** SUMMARY.md from the collected files (src/profile/bundleSummary.ts); omitted when absent. */
  summarize?: (bundle: CollectedBundle) => string;
  signal?: AbortSignal;
  onProgress?: (p: BundleProgress) => void;
  log?: (line: string) => void;
  /** How long a member whose process restarted may take to answer again before its remaining items fail (ms, default 30 s). */
  recoverMs?: number;
}

export interface BundleResult {
  /** The written bundle; undefined when nothing was collected (then nothing is written). */
  file?: string;
  manifest: BundleManifest;
  summaryLine: string;
}

const LOG_HEAD_BYTES = 64 * 1024;
const PER_POD_CONCURRENCY = 3;
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The etcd members and operator pods of the context. */
export async function bundleTargets(kubeConfig: KubeConfig): Promise<BundleTarget[]> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const d = await discoverPods(core, kubeConfig.getCurrentContext());
  const out: BundleTarget[] = [];
  for (const g of d.groups) {
    if (g.kind !== 'etcd' && g.kind !== 'operator') continue;
    for (const p of g.pods) if (p.phase !== 'Succeeded' && p.phase !== 'Failed') out.push({ namespace: p.namespace, name: p.name, group: g.kind });
  }
  return out;
}

function describeBundlePod(t: BundleTarget, pod: V1Pod | undefined): BundlePod {
  const statuses = pod?.status?.containerStatuses ?? [];
  return {
    namespace: t.namespace,
    name: t.name,
    group: t.group,
    node: pod?.spec?.nodeName || undefined,
    containers: (pod?.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? '',
      restartCount: statuses.find((s) => s.name === c.name)?.restartCount ?? 0,
    })),
    restarts: pod ? podRestarts(pod) : 0,
  };
}

async function readPodObject(kubeConfig: KubeConfig, t: BundleTarget): Promise<V1Pod> {
  return kubeConfig.makeApiClient(CoreV1Api).readNamespacedPod({ name: t.name, namespace: t.namespace });
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new CaptureError('cancelled', 'Bundle cancelled; nothing saved.'));
    }, { once: true });
  });

/** A pod's collection: the endpoint found once, a forward kept open for its items. */
class PodCollector {
  readonly t: BundleTarget;
  private readonly req: BundleRequest;
  private readonly registry: ForwardRegistry;
  endpoint?: PprofEndpoint;
  /** Why nothing can be collected from this pod (its endpoint could not be reached). */
  unreachable?: string;
  offKinds = new Set<CaptureKindId>();
  /** A failure that suggests the process or connection went away: later items wait for it to answer again. */
  private shaken = false;
  /** The member's client certificate, loaded once for all its items (memory only). */
  private tls?: Promise<EtcdTls>;

  constructor(t: BundleTarget, req: BundleRequest, registry: ForwardRegistry) {
    this.t = t;
    this.req = req;
    this.registry = registry;
  }

  private options(extra: Partial<PodRequestOptions> = {}): PodRequestOptions {
    return {
      kubeConfig: this.req.kubeConfig,
      namespace: this.t.namespace,
      pod: this.t.name,
      method: this.req.method,
      endpoint: this.endpoint,
      registry: this.shaken ? undefined : this.registry,
      insecureSkipVerify: this.req.insecureSkipVerify,
      signal: this.req.signal,
      maxBytes: this.req.maxBytes,
      log: this.req.log,
      tls: () => {
        this.tls ??= readPodObject(this.req.kubeConfig, this.t).then((pod) => loadEtcdTls(this.req.kubeConfig, pod, { signal: this.req.signal }));
        this.tls.catch(() => (this.tls = undefined));
        return this.tls;
      },
      ...extra,
    };
  }

  /** Finds the endpoint (through the pprof index, which also says whether block and mutex profiling are on) and opens a forward. */
  async prepare(): Promise<void> {
    try {
      // The endpoint once, and the forward every item of this pod goes through, opened before the first request.
      if (this.req.method !== 'exec') {
        try {
          const pod = await readPodObject(this.req.kubeConfig, this.t);
          const endpoint = await resolveEndpoint(this.req.kubeConfig, pod);
          await this.registry.start(this.req.kubeConfig, { namespace: this.t.namespace, pod: this.t.name, remotePort: endpoint.port }, 0);
          this.endpoint = endpoint;
        } catch {
          // The index request below finds its own way (exec when port-forward is forbidden) and says what is wrong.
        }
      }
      const { entries, answer } = await fetchPprofIndex(this.options());
      this.endpoint = answer.endpoint;
      for (const k of ['block', 'mutex'] as const) {
        const e = entries.find((x) => x.name === k);
        if (e && e.count === 0) this.offKinds.add(k);
      }
    } catch (err) {
      const e = asCaptureError(err);
      if (e instanceof CaptureError && e.code === 'cancelled') throw e;
      this.unreachable = e.message;
    }
  }

  async get(path: string, quietSeconds = 0, postJson?: string, onRequest?: () => void): Promise<{ status: number; contentType?: string; body: Buffer }> {
    return requestFromPod(this.options({ quietSeconds, postJson, onRequest }), path);
  }

  private recovering?: Promise<void>;

  /** After a dropped connection: wait (bounded) until the pod answers again, so the remaining items are collected. */
  recover(): Promise<void> {
    this.recovering ??= this.waitForAnswer().finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  private async waitForAnswer(): Promise<void> {
    this.shaken = true;
    const until = Date.now() + (this.req.recoverMs ?? 30_000);
    while (Date.now() < until) {
      await sleep(1000, this.req.signal);
      try {
        const answer = await this.get('/debug/pprof/');
        if (answer.status === 200) return;
      } catch (err) {
        if (err instanceof CaptureError && err.code === 'cancelled') throw err;
      }
    }
  }

  markShaken(err: unknown): boolean {
    const e = asCaptureError(err);
    const shaky = e instanceof CaptureError && (e.code === 'connection-dropped' || e.code === 'pod-not-running');
    if (shaky) this.shaken = true;
    return shaky;
  }
}

export async function collectBundle(req: BundleRequest): Promise<BundleResult> {
  const { kubeConfig, signal } = req;
  const log = req.log ?? (() => undefined);
  const seconds = Math.max(1, Math.round(req.seconds ?? 30));
  const kinds = [...new Set(req.kinds ?? BUNDLE_KINDS)];
  for (const k of kinds) {
    if (captureKind(k).format === 'trace') throw new CaptureError('failed', 'Execution traces are not part of a bundle; capture one on its own.');
  }
  const startedAt = new Date();
  const context = kubeConfig.getCurrentContext();
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const targets = req.targets ? [...req.targets] : await bundleTargets(kubeConfig);
  if (targets.length === 0) throw new CaptureError('failed', `No etcd members or operator pods found in context "${context}".`);

  const readPod = (t: BundleTarget): Promise<V1Pod | undefined> => core.readNamespacedPod({ name: t.name, namespace: t.namespace }).catch(() => undefined);
  const pods = await Promise.all(targets.map(async (t) => describeBundlePod(t, await readPod(t))));
  const files = new Map<string, Uint8Array>();
  const fileList: BundleFile[] = [];
  const failed: BundleProblem[] = [];
  const skipped: BundleProblem[] = [];

  const itemsOf = (t: BundleTarget): BundleItem[] => [...kinds, ...(t.group === 'etcd' ? (['version', 'metrics', 'endpoint-status'] as const) : (['log'] as const))];
  let total = targets.reduce((n, t) => n + itemsOf(t).length, 0);
  let done = 0;
  const progress = (t: BundleTarget, status: string): void => req.onProgress?.({ namespace: t.namespace, pod: t.name, status, done, total });

  const add = (t: BundleTarget, item: BundleItem, data: Uint8Array): void => {
    const path = `${t.namespace}/${t.name}/${bundleFileName(item)}`;
    files.set(path, data);
    fileList.push({ path, namespace: t.namespace, pod: t.name, item, size: data.length, sha256: sha256(data) });
    done++;
  };
  const fail = (t: BundleTarget, item: BundleItem, err: unknown): void => {
    const e = asCaptureError(err);
    if (e instanceof CaptureError && e.code === 'cancelled') throw e;
    failed.push({ namespace: t.namespace, pod: t.name, item, reason: e.message });
    log(`${t.namespace}/${t.name} ${item} failed: ${e.message}`);
    done++;
    progress(t, `${item} failed`);
  };

  const registry = new ForwardRegistry();
  try {
    const collectors = targets.map((t) => new PodCollector(t, req, registry));
    await Promise.all(collectors.map(async (c) => {
      progress(c.t, 'connecting');
      await c.prepare();
      for (const k of kinds) {
        if (c.offKinds.has(k)) {
          skipped.push({ namespace: c.t.namespace, pod: c.t.name, item: k, reason: `${k} profiling is off in this process (the pprof index counts 0; runtime.Set${k === 'block' ? 'BlockProfileRate' : 'MutexProfileFraction'} was not called)` });
          total--;
        }
      }
    }));
    signal?.throwIfAborted();

    const collectKind = async (c: PodCollector, k: CaptureKindId): Promise<void> => {
      const kind = captureKind(k);
      const quiet = kind.timed ? seconds : 0;
      let timer: NodeJS.Timeout | undefined;
      const countdown = (): void => {
        if (!kind.timed) return progress(c.t, kind.label);
        const end = Date.now() + seconds * 1000;
        const tick = (): void => progress(c.t, `${kind.label} ${Math.max(0, Math.ceil((end - Date.now()) / 1000))} s left`);
        tick();
        timer = setInterval(tick, 1000);
      };
      try {
        const answer = await c.get(capturePath(kind, seconds), quiet, undefined, countdown);
        checkCaptureResponse(kind, answer.status, answer.contentType, answer.body, c.endpoint?.flavor ?? 'go');
        add(c.t, k, answer.body);
      } finally {
        if (timer) clearInterval(timer);
      }
    };

    // CPU first, every process at once.
    if (kinds.includes('cpu')) {
      await Promise.all(collectors.map(async (c) => {
        if (c.unreachable) return;
        try {
          await collectKind(c, 'cpu');
        } catch (err) {
          fail(c.t, 'cpu', err);
          if (c.markShaken(err)) await c.recover();
        }
      }));
    }
    signal?.throwIfAborted();

    await Promise.all(collectors.map(async (c) => {
      const t = c.t;
      const one = async (item: BundleItem): Promise<void> => {
        if (item === 'cpu' && kinds.includes('cpu') && !c.unreachable) return;
        if (c.offKinds.has(item as CaptureKindId)) return;
        if (c.unreachable && item !== 'log') {
          fail(t, item, new CaptureError('failed', c.unreachable));
          return;
        }
        for (let attempt = 0; ; attempt++) {
          try {
            if (item === 'log') {
              progress(t, 'log');
              const container = pods.find((p) => p.name === t.name && p.namespace === t.namespace)?.containers[0]?.name;
              const text = await core.readNamespacedPodLog({ name: t.name, namespace: t.namespace, container, limitBytes: LOG_HEAD_BYTES });
              add(t, item, Buffer.from(String(text), 'utf8'));
            } else if (item === 'version' || item === 'metrics' || item === 'endpoint-status') {
              progress(t, item);
              const path = item === 'version' ? '/version' : item === 'metrics' ? '/metrics' : '/v3/maintenance/status';
              const answer = await c.get(path, 0, item === 'endpoint-status' ? '{}' : undefined);
              if (answer.status !== 200) throw new CaptureError('http-error', `${path} answered ${answer.status}: ${answer.body.subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim()}`);
              add(t, item, answer.body);
            } else {
              await collectKind(c, item);
            }
            break;
          } catch (err) {
            // A process that just restarted (or a dropped forward) gets one more try once it answers again.
            if (attempt === 0 && c.markShaken(err)) {
              await c.recover();
              continue;
            }
            fail(t, item, err);
            break;
          }
        }
      };
      // Snapshots of one process a few at a time: they are small, and the forward carries them side by side.
      const queue = itemsOf(t);
      await Promise.all(Array.from({ length: PER_POD_CONCURRENCY }, async () => {
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) await one(item);
      }));
      progress(t, 'done');
    }));
    signal?.throwIfAborted();
  } catch (err) {
    if (signal?.aborted) throw new CaptureError('cancelled', 'Bundle cancelled; nothing saved.');
    throw err;
  } finally {
    await registry.stopAll();
  }

  // What the members said about themselves.
  for (const p of pods) {
    const dir = `${p.namespace}/${p.name}/`;
    const text = (name: string): string | undefined => {
      const f = files.get(dir + name);
      return f ? Buffer.from(f).toString('utf8') : undefined;
    };
    if (p.group === 'etcd') {
      p.etcd = { role: 'unknown' };
      const status = text('endpoint-status.json');
      if (status) {
        try {
          p.etcd = { ...p.etcd, ...parseEndpointStatus(status) };
        } catch {
          /* recorded as a file; not parsable, no figures */
        }
      }
      const version = text('version.json');
      if (version) {
        try {
          const v = JSON.parse(version) as { etcdserver?: string; etcdcluster?: string };
          p.etcd.version = v.etcdserver;
          p.etcd.clusterVersion = v.etcdcluster;
        } catch {
          /* as above */
        }
      }
    }
    const metrics = text('metrics.txt');
    if (metrics) p.goVersion = goVersionFromMetrics(metrics);
  }
  const after = await Promise.all(targets.map(readPod));
  after.forEach((pod, i) => {
    if (pod && podRestarts(pod) !== pods[i].restarts) pods[i].restartsAtEnd = podRestarts(pod);
  });

  const order = new Map(targets.map((t, i) => [`${t.namespace}/${t.name}/`, i]));
  const rank = (f: BundleFile): number => order.get(`${f.namespace}/${f.pod}/`) ?? -1;
  fileList.sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    tool: { name: 'etcd-profiler', version: req.toolVersion },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    cluster: { context, server: serverHost(kubeConfig.getCurrentCluster()?.server) },
    seconds,
    kinds,
    pods,
    files: fileList,
    failed,
    skipped,
    attempted: fileList.length + failed.length,
    collected: fileList.length,
  };
  const summaryLine = bundleSummaryLine(manifest);
  if (manifest.collected === 0) {
    log('Nothing collected; no bundle written.');
    return { manifest, summaryLine };
  }
  const entries: TarEntry[] = [];
  const collectedFiles = [...fileList];
  if (req.summarize) {
    const summary = Buffer.from(req.summarize({ manifest, files }), 'utf8');
    manifest.files.unshift({ path: 'SUMMARY.md', size: summary.length, sha256: sha256(summary) });
    entries.push({ path: 'SUMMARY.md', data: summary });
  }
  entries.unshift({ path: 'manifest.json', data: Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8') });
  for (const f of collectedFiles) entries.push({ path: f.path, data: files.get(f.path)! });
  signal?.throwIfAborted();
  const file = await saveAtomically(req.output, writeTarGz(entries));
  log(`Bundle written: ${file}`);
  return { file, manifest, summaryLine };
}

