// The pprof gateway: a plain-HTTP listener on 127.0.0.1 that serves `http://127.0.0.1:PORT/<token>/debug/pprof/...`
// by fetching the same path from one pod's pprof endpoint, so `go tool pprof`, curl and browsers can use an
// endpoint they cannot reach themselves (etcd's mutual TLS, a pod behind the API server). Through a port-forward
// kept open for the gateway's life (with etcd's client certificate and CA in memory, as captures use), or by
// exec of curl/wget in the container where port-forward is forbidden. gatewayPolicy.ts decides what passes.
// The token is in the URL only: it is never logged (log lines carry the path after the token).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ClusterError, forbiddenMessage, httpStatusOf, toClusterError } from '../cluster/errors.ts';
import { loadEtcdTls, serverIdentityCheck, sniFor, type EtcdTls } from '../cluster/etcdCerts.ts';
import { startPortForward, type PortForwardSession } from '../cluster/portForward.ts';
import { resolveEndpoint, type PprofEndpoint } from './endpoint.ts';
import { describeNetError } from './fetch.ts';
import { decide, quietSecondsOf, type GatewayDecision } from './gatewayPolicy.ts';
import { asCaptureError, canPortForward, requestFromPod, type CaptureMethod } from './podRequest.ts';
import { CaptureError } from './validate.ts';

export interface GatewayOptions {
  /** Its current context is the cluster to use. */
  kubeConfig: KubeConfig;
  namespace: string;
  pod: string;
  /** `auto` (default): port-forward, or exec when port-forward is forbidden. */
  method?: CaptureMethod;
  /** Overrides detection (e.g. the "Other Go pods" port). */
  endpoint?: Partial<PprofEndpoint>;
  /** Local port; 0 or unset picks a free one. */
  port?: number;
  insecureSkipVerify?: boolean;
  /** Also pass `/metrics` and `/version`. */
  allowMetrics?: boolean;
  /** Log lines (never the token, never key material). */
  log?: (line: string) => void;
  /** How often the pod is checked for being deleted or replaced (ms, default 10 s; 0 turns it off). */
  podCheckMs?: number;
}

type Listener = () => void;

/** Response headers from the pod that are passed on; everything else (cookies, server banners) is dropped. */
const PASSED_HEADERS = ['content-type', 'content-length', 'content-disposition', 'x-content-type-options', 'x-go-pprof', 'last-modified'];

function readPod(core: CoreV1Api, namespace: string, name: string): Promise<V1Pod> {
  return core.readNamespacedPod({ name, namespace }).catch((err: unknown) => {
    throw toClusterError(err, { verb: 'get', resource: 'pods', namespace, name });
  });
}

export class PprofGateway {
  readonly namespace: string;
  readonly pod: string;
  readonly context: string;
  readonly method: 'forward' | 'exec';
  readonly endpoint: PprofEndpoint;
  readonly startedAt = new Date();
  /** Where etcd's client certificate came from (never the bytes). */
  readonly tlsSource?: string;
  state: 'open' | 'closed' = 'open';
  /** Why it closed (pod deleted, stopped by the user, window closed). */
  closeReason?: string;
  /** Requests sent on to the pod. Refused requests never count here. */
  upstreamRequests = 0;
  /** Requests refused by the policy (403, 404, 400). */
  refusedRequests = 0;

  private readonly server: http.Server;
  private readonly token: string;
  private readonly allowMetrics: boolean;
  private readonly kubeConfig: KubeConfig;
  private readonly forward?: PortForwardSession;
  private readonly tls?: EtcdTls;
  private readonly insecureSkipVerify: boolean;
  private readonly podUid?: string;
  private readonly log: (line: string) => void;
  private readonly listeners = new Set<Listener>();
  private readonly sockets = new Set<net.Socket>();
  private timer?: NodeJS.Timeout;
  private _port = 0;

  constructor(o: GatewayOptions, init: { endpoint: PprofEndpoint; method: 'forward' | 'exec'; forward?: PortForwardSession; tls?: EtcdTls; podUid?: string }) {
    this.kubeConfig = o.kubeConfig;
    this.namespace = o.namespace;
    this.pod = o.pod;
    this.context = o.kubeConfig.getCurrentContext();
    this.method = init.method;
    this.endpoint = init.endpoint;
    this.forward = init.forward;
    this.tls = init.tls;
    this.tlsSource = init.tls?.source;
    this.podUid = init.podUid;
    this.insecureSkipVerify = o.insecureSkipVerify ?? false;
    this.allowMetrics = o.allowMetrics ?? false;
    this.log = o.log ?? (() => undefined);
    // 128 bits of randomness is the floor; 192 bits, base64url, is 32 characters.
    this.token = randomBytes(24).toString('base64url');
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.forward?.onDidChange(() => {
      if (this.forward?.state === 'pod-gone') void this.stop(this.forward.lastError ?? `pod ${this.namespace}/${this.pod} is gone`);
    });
    const every = o.podCheckMs ?? 10_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.checkPod(), every);
      this.timer.unref();
    }
  }

  get port(): number {
    return this._port;
  }

  /** `http://127.0.0.1:PORT/TOKEN/debug/pprof/` — the only place the token appears. */
  get url(): string {
    return `http://127.0.0.1:${this._port}/${this.token}/debug/pprof/`;
  }

  /** Connections the gateway's own port-forward carried to the pod (each upstream request opens one). */
  get forwardConnections(): number {
    return this.forward?.totalConnections ?? 0;
  }

  describe(): string {
    return `pprof gateway 127.0.0.1:${this._port} → ${this.namespace}/${this.pod}:${this.endpoint.port} (${this.endpoint.scheme}, by ${this.method})`;
  }

  onDidChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal */
  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        this.server.off('error', reject);
        this._port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  async stop(reason = 'stopped'): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    if (this.timer) clearInterval(this.timer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await Promise.all([closed, this.forward?.stop()]);
    this.log(`Closed ${this.describe()}: ${reason}`);
    for (const l of this.listeners) l();
  }

  /** Closes the gateway when its pod was deleted or replaced. */
  async checkPod(): Promise<void> {
    if (this.state !== 'open') return;
    const core = this.kubeConfig.makeApiClient(CoreV1Api);
    let gone: string | undefined;
    try {
      const pod = await core.readNamespacedPod({ name: this.pod, namespace: this.namespace });
      if (pod.metadata?.deletionTimestamp) gone = `pod ${this.namespace}/${this.pod} is being deleted`;
      else if (this.podUid && pod.metadata?.uid !== this.podUid) gone = `pod ${this.namespace}/${this.pod} was replaced by a new one`;
    } catch (err) {
      if (httpStatusOf(err) === 404) gone = `pod ${this.namespace}/${this.pod} was deleted`;
    }
    if (gone) await this.stop(gone);
  }

  private reply(res: http.ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      ...extra,
    });
    res.end(text + '\n');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.setHeader('referrer-policy', 'no-referrer');
    const d: GatewayDecision = decide({ token: this.token, port: this._port, allowMetrics: this.allowMetrics }, req.method, req.url, req.headers.host);
    if (!d.allow) {
      this.refusedRequests++;
      // Only the method and the status: the URL may hold the token (or a guess at it).
      this.log(`Gateway ${this.namespace}/${this.pod}: refused ${String(req.method).slice(0, 16)} with ${d.status}`);
      this.reply(res, d.status, d.reason, d.location ? { location: d.location } : {});
      return;
    }
    this.upstreamRequests++;
    const ac = new AbortController();
    // The client went away before the answer was complete: cancel the pod request (a CPU profile stops early).
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    const started = Date.now();
    const done = (status: number, bytes: number | string): void =>
      this.log(`Gateway ${this.namespace}/${this.pod}: ${d.method} ${d.upstreamPath} → ${status} (${bytes}${typeof bytes === 'number' ? ' bytes' : ''}, ${Date.now() - started} ms)`);
    if (this.method === 'forward') this.viaForward(d, res, ac.signal, done);
    else void this.viaExec(d, res, ac.signal, done);
  }

  private viaForward(d: Extract<GatewayDecision, { allow: true }>, res: http.ServerResponse, signal: AbortSignal, done: (s: number, b: number | string) => void): void {
    const forward = this.forward!;
    const scheme = this.endpoint.scheme;
    const target = { scheme, host: '127.0.0.1', port: forward.localPort };
    const common = { host: '127.0.0.1', port: forward.localPort, path: d.upstreamPath, method: d.method, signal, headers: { 'accept-encoding': 'identity' } };
    const up =
      scheme === 'https'
        ? https.request({
            ...common,
            agent: new https.Agent({ keepAlive: false, maxCachedSessions: 0 }),
            ca: this.tls?.ca,
            cert: this.tls?.cert,
            key: this.tls?.key,
            rejectUnauthorized: !this.insecureSkipVerify,
            servername: this.tls ? sniFor(this.tls.serverNames) : undefined,
            checkServerIdentity: this.tls && !this.insecureSkipVerify ? serverIdentityCheck(this.tls.serverNames) : () => undefined,
          })
        : http.request({ ...common, agent: false });
    const sent = Date.now();
    // Silence is normal for the length of a CPU profile or trace; beyond that plus a minute the pod is stuck.
    const quiet = quietSecondsOf(d.upstreamPath);
    up.setTimeout((quiet + 60) * 1000, () => up.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    up.on('error', (err) => {
      if (signal.aborted) {
        done(499, 'client went away');
        return;
      }
      const refused = forward.lastFailure && forward.lastFailure.at >= sent ? forward.lastFailure.error : undefined;
      const message = refused?.message ?? describeNetError(err as NodeJS.ErrnoException, target, d.upstreamPath).message;
      if (!res.headersSent) {
        this.reply(res, 502, `Bad gateway: ${this.namespace}/${this.pod}: ${message}`);
        done(502, message);
      } else {
        // Mid-body: a truncated answer must not look complete.
        res.destroy();
        done(res.statusCode, `dropped: ${message}`);
      }
    });
    up.on('response', (upRes) => {
      const headers: Record<string, string> = { 'cache-control': 'no-store' };
      for (const h of PASSED_HEADERS) {
        const v = upRes.headers[h];
        if (typeof v === 'string') headers[h] = v;
      }
      // Go redirects /debug/pprof to /debug/pprof/: keep the token in front of absolute locations.
      const loc = upRes.headers.location;
      if (loc && loc.startsWith('/') && !loc.startsWith('//')) headers.location = `/${this.token}${loc}`;
      res.writeHead(upRes.statusCode ?? 502, headers);
      let bytes = 0;
      upRes.on('data', (c: Buffer) => (bytes += c.length));
      upRes.on('aborted', () => res.destroy());
      upRes.on('end', () => done(upRes.statusCode ?? 0, bytes));
      upRes.pipe(res);
    });
    up.end();
  }

  /** Exec runs curl/wget to completion inside the pod: the answer is sent once it is complete (not streamed). */
  private async viaExec(d: Extract<GatewayDecision, { allow: true }>, res: http.ServerResponse, signal: AbortSignal, done: (s: number, b: number | string) => void): Promise<void> {
    try {
      const answer = await requestFromPod(
        { kubeConfig: this.kubeConfig, namespace: this.namespace, pod: this.pod, method: 'exec', endpoint: this.endpoint, insecureSkipVerify: this.insecureSkipVerify, signal, quietSeconds: quietSecondsOf(d.upstreamPath) },
        d.upstreamPath,
      );
      const headers: Record<string, string> = { 'cache-control': 'no-store', 'content-length': String(answer.body.length) };
      if (answer.contentType) headers['content-type'] = answer.contentType;
      res.writeHead(answer.status, headers);
      res.end(d.method === 'HEAD' ? undefined : answer.body);
      done(answer.status, answer.body.length);
    } catch (err) {
      if (signal.aborted) {
        done(499, 'client went away');
        return;
      }
      const message = (err as Error).message;
      if (!res.headersSent) this.reply(res, 502, `Bad gateway: ${this.namespace}/${this.pod}: ${message}`);
      done(502, message);
    }
  }
}

/**
 * Opens a gateway to the pod's pprof endpoint: reads the pod, finds the endpoint, opens the port-forward (or
 * settles on exec), loads etcd's client certificate, and listens. Failures are CaptureErrors that say what to do.
 */
export async function openPprofGateway(o: GatewayOptions): Promise<PprofGateway> {
  const { kubeConfig, namespace } = o;
  const log = o.log ?? (() => undefined);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  let forward: PortForwardSession | undefined;
  try {
    const pod = await readPod(core, namespace, o.pod);
    if (pod.metadata?.deletionTimestamp || pod.status?.phase !== 'Running') {
      throw new CaptureError('pod-not-running', `Pod ${namespace}/${o.pod} is not running (phase ${pod.status?.phase ?? 'unknown'}). Wait for it or pick another pod.`);
    }
    const given = o.endpoint;
    const endpoint: PprofEndpoint =
      given?.port && given.scheme && given.flavor && given.container
        ? ({ source: 'given', ...given } as PprofEndpoint)
        : { ...(await resolveEndpoint(kubeConfig, pod, given?.port)), ...given };
    let method = o.method ?? 'auto';
    if (method === 'auto') {
      method = (await canPortForward(kubeConfig, namespace, o.pod)) ? 'forward' : 'exec';
      if (method === 'exec') log(`${forbiddenMessage({ verb: 'create', resource: 'pods/portforward', namespace })} The gateway uses exec (answers arrive whole, not streamed).`);
    }
    let tls: EtcdTls | undefined;
    if (method === 'forward') {
      forward = await startPortForward({ kubeConfig, namespace, pod: o.pod, remotePort: endpoint.port, localPort: 0 });
      if (endpoint.scheme === 'https') {
        tls = await loadEtcdTls(kubeConfig, pod);
        log(`Client certificate from ${tls.source}`);
      }
    }
    const gateway = new PprofGateway(o, { endpoint, method, forward, tls, podUid: pod.metadata?.uid });
    try {
      await gateway.listen(o.port ?? 0);
    } catch (err) {
      await gateway.stop('could not listen');
      const code = (err as NodeJS.ErrnoException).code;
      throw new CaptureError('failed', `Cannot listen on 127.0.0.1:${o.port ?? 0}${code === 'EADDRINUSE' ? ': the port is in use; pick another or leave it out for a free one' : `: ${(err as Error).message}`}.`);
    }
    log(`Opened ${gateway.describe()}`);
    return gateway;
  } catch (err) {
    await forward?.stop();
    throw err instanceof ClusterError || err instanceof CaptureError ? asCaptureError(err) : err;
  }
}

/** The open gateways of a process (the extension's status bar lists them). */
export class GatewayRegistry {
  private readonly gateways = new Set<PprofGateway>();
  private readonly listeners = new Set<Listener>();

  onDidChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  list(): PprofGateway[] {
    return [...this.gateways];
  }

  add(g: PprofGateway): PprofGateway {
    this.gateways.add(g);
    g.onDidChange(() => {
      if (g.state === 'closed') this.gateways.delete(g);
      this.changed();
    });
    this.changed();
    return g;
  }

  /** Closes the gateways of a pod that is gone (the pods view's watch saw it deleted or replaced). */
  async podGone(context: string, namespace: string, pod: string, reason: string): Promise<void> {
    await Promise.all(this.list().filter((g) => g.context === context && g.namespace === namespace && g.pod === pod).map((g) => g.stop(reason)));
  }

  async stopAll(reason = 'window closed'): Promise<void> {
    await Promise.all(this.list().map((g) => g.stop(reason)));
  }
}
