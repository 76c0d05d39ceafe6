// A local TCP listener on 127.0.0.1 whose every accepted connection becomes one port-forward WebSocket
// (v4.channel.k8s.io) through the API server, authenticated from the kubeconfig by client-node. The
// WebSocket is our own wsClient rather than client-node's PortForward, which has no backpressure and
// allocates per TLS record (see wsClient.ts). This file owns both ends: each side's close or error ends
// the other, and stop() closes the listener and every live pair.
import net from 'node:net';
import { AuthorizationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { podRestarts } from './pods.ts';
import { WsClient } from './wsClient.ts';
import { ClusterError, forbiddenMessage, httpStatusOf, toClusterError, type ClusterAction } from './errors.ts';

export interface ForwardTarget {
  namespace: string;
  pod: string;
  remotePort: number;
}

export interface StartForwardOptions extends ForwardTarget {
  kubeConfig: KubeConfig;
  /** Preferred local port; defaults to the remote port. 0 asks for any free port. */
  localPort?: number;
  /** Ask the API server (SelfSubjectAccessReview) and check the pod's phase before listening. Default true. */
  preflight?: boolean;
}

/** `pod-gone`: deleted, replaced or not running; `pod-restarted`: a container restarted, open connections dropped. */
export type ForwardState = 'active' | 'stopped' | 'pod-gone' | 'pod-restarted';

/** What identifies the pod instance a forward started on. */
export interface PodIdentity {
  uid?: string;
  /** Sum of the containers' restart counts. */
  restarts: number;
}

type Listener = () => void;

/** Bytes from the pod queued in a local socket before we stop reading from the API server. */
const MAX_QUEUED = 1024 * 1024;

export class PortForwardSession {
  readonly namespace: string;
  readonly pod: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** The local port the caller asked for (same as remote unless told otherwise). */
  readonly requestedPort: number;
  readonly context: string;
  readonly startedAt = new Date();
  state: ForwardState = 'active';
  /** Last per-connection failure (refused upgrade, error text from the kubelet, dropped stream). */
  lastError?: string;
  /** The last refused WebSocket upgrade (403, 401, pod gone), with its code, and when it happened. */
  lastFailure?: { error: ClusterError; at: number };
  totalConnections = 0;
  /** The pod's uid when the forward started (when readable): a different uid later means the pod was replaced. */
  podUid?: string;
  /** The containers' restart count when the forward started (when readable). */
  podRestarts?: number;

  private readonly server: net.Server;
  private readonly kubeConfig: KubeConfig;
  private readonly pairs = new Map<net.Socket, WsClient | undefined>();
  private readonly listeners = new Set<Listener>();

  constructor(server: net.Server, kubeConfig: KubeConfig, target: ForwardTarget, localPort: number, requestedPort: number) {
    this.server = server;
    this.kubeConfig = kubeConfig;
    this.namespace = target.namespace;
    this.pod = target.pod;
    this.remotePort = target.remotePort;
    this.localPort = localPort;
    this.requestedPort = requestedPort;
    this.context = kubeConfig.getCurrentContext();
    server.on('connection', (socket) => this.accept(socket));
  }

  get activeConnections(): number {
    return this.pairs.size;
  }

  get samePort(): boolean {
    return this.localPort === this.requestedPort;
  }

  /** `http://127.0.0.1:<local port>` (the scheme of the endpoint is the caller's business). */
  url(scheme: 'http' | 'https' = 'http'): string {
    return `${scheme}://127.0.0.1:${this.localPort}`;
  }

  /** One line for the user: which local port was taken and why. */
  describe(): string {
    const base = `127.0.0.1:${this.localPort} → ${this.namespace}/${this.pod}:${this.remotePort}`;
    return this.samePort || this.requestedPort === 0 ? base : `${base} (local port ${this.requestedPort} was in use)`;
  }

  onDidChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** The pod was deleted, replaced, or a container restarted: offer to reconnect. */
  get stale(): boolean {
    return this.state === 'pod-gone' || this.state === 'pod-restarted';
  }

  /** A few words for the stale states, for labels. */
  get staleLabel(): string {
    return this.state === 'pod-restarted' ? 'pod restarted' : this.state === 'pod-gone' ? 'pod gone' : '';
  }

  /** Marks the forward as pointing at a pod that was deleted or replaced (the caller watches pods). */
  markPodGone(reason: string): void {
    this.markStale('pod-gone', reason);
  }

  /** A container of the pod restarted: connections open then were dropped, the process behind the port is new. */
  markPodRestarted(reason: string): void {
    this.markStale('pod-restarted', reason);
  }

  private markStale(state: 'pod-gone' | 'pod-restarted', reason: string): void {
    if (this.state !== 'active') return;
    this.state = state;
    this.lastError = reason;
    this.changed();
  }

  /** Reads the pod: marks the forward `pod-gone` when it was deleted, replaced or is terminating, `pod-restarted` when a container restarted. */
  async checkPod(): Promise<ForwardState> {
    if (this.state !== 'active') return this.state;
    const core = this.kubeConfig.makeApiClient(CoreV1Api);
    try {
      const pod = await core.readNamespacedPod({ name: this.pod, namespace: this.namespace });
      if (pod.metadata?.deletionTimestamp) this.markPodGone(`pod ${this.namespace}/${this.pod} is being deleted`);
      else if (this.podUid && pod.metadata?.uid !== this.podUid) this.markPodGone(`pod ${this.namespace}/${this.pod} was replaced by a new one`);
      else if (pod.status?.phase !== 'Running') this.markPodGone(`pod ${this.namespace}/${this.pod} is ${pod.status?.phase ?? 'not running'}`);
      else if (this.podRestarts !== undefined && podRestarts(pod) > this.podRestarts) {
        const which = (pod.status?.containerStatuses ?? []).filter((c) => (c.restartCount ?? 0) > 0).map((c) => `${c.name} (${c.restartCount})`);
        this.markPodRestarted(`a container of ${this.namespace}/${this.pod} restarted — ${which.join(', ')} — connections open then were dropped`);
      }
    } catch (err) {
      if (httpStatusOf(err) === 404) this.markPodGone(`pod ${this.namespace}/${this.pod} was deleted`);
    }
    return this.state;
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const [socket, ws] of this.pairs) {
      socket.destroy();
      ws?.destroy();
    }
    this.pairs.clear();
    await closed;
    this.changed();
  }

  private accept(socket: net.Socket): void {
    if (this.state === 'stopped') {
      socket.destroy();
      return;
    }
    this.totalConnections++;
    this.pairs.set(socket, undefined);
    socket.setNoDelay(true);
    let done = false;
    const finish = (error?: string): void => {
      if (done) return;
      done = true;
      if (error) this.lastError = error;
      const ws = this.pairs.get(socket);
      this.pairs.delete(socket);
      ws?.destroy();
      // A clean end from the remote flushes what is buffered; an error drops the connection.
      if (error) socket.destroy();
      else socket.end(() => socket.destroy());
      this.changed();
    };
    socket.on('error', () => finish());
    socket.on('close', () => finish());

    // Bytes from the pod arrive as views on the WebSocket's read buffers: a view still queued in the local
    // socket keeps its buffer held until the socket has flushed everything, and reading pauses while too
    // much waits there (a slow reader must not make us buffer the whole transfer).
    const held: (() => void)[] = [];
    let readingPaused = false;
    const flushed = (): void => {
      if (socket.writableLength > 0) return;
      for (const release of held.splice(0)) release();
      if (readingPaused) {
        readingPaused = false;
        this.pairs.get(socket)?.resume();
      }
    };
    // v4.channel.k8s.io: each message starts with its channel byte (0 data, 1 error); the first message on
    // each channel carries the port number in two bytes.
    const portBytesLeft = [2, 2];
    let channel = -1;
    // The kubelet reports dial failures ("connection refused" inside the pod) on the error channel.
    const errText: Buffer[] = [];
    const flushErr = (): string | undefined => {
      const text = Buffer.concat(errText).toString('utf8').trim();
      return text ? `${this.namespace}/${this.pod}:${this.remotePort}: ${text}` : undefined;
    };
    const path = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods/${encodeURIComponent(this.pod)}/portforward?ports=${this.remotePort}`;
    socket.pause();
    WsClient.connect(this.kubeConfig, path, ['v4.channel.k8s.io'], {
      onData: (payload, first, _opcode, hold) => {
        if (first) {
          channel = payload[0] ?? -1;
          payload = payload.subarray(1);
        }
        if (channel === 0 || channel === 1) {
          const skip = Math.min(portBytesLeft[channel], payload.length);
          portBytesLeft[channel] -= skip;
          payload = payload.subarray(skip);
        }
        if (payload.length === 0 || done) return;
        if (channel === 1) {
          errText.push(Buffer.from(payload));
          return;
        }
        if (channel !== 0) return;
        socket.write(payload, flushed);
        if (socket.writableLength === 0) return;
        held.push(hold());
        if (socket.writableLength > MAX_QUEUED && !readingPaused) {
          readingPaused = true;
          this.pairs.get(socket)?.pause();
        }
      },
      onDrain: () => socket.resume(),
      onClose: ({ error }) => {
        const text = flushErr();
        finish(text ?? (error ? `connection dropped: ${error.message}` : undefined));
        for (const release of held.splice(0)) release();
        // The kubelet answers this way once the pod is gone or replaced.
        if (text && /pod .* (not found|is not running)/i.test(text)) this.markPodGone(text);
      },
    })
      .then((ws) => {
        if (done) {
          ws.destroy();
          return;
        }
        this.pairs.set(socket, ws);
        socket.on('data', (chunk: Buffer) => {
          if (!ws.send(chunk, 0)) socket.pause();
        });
        socket.on('end', () => ws.close());
        socket.resume();
      })
      .catch((err: unknown) => {
        const e = portForwardError(err, this);
        this.lastFailure = { error: e, at: Date.now() };
        finish(e.message);
        if (e.code === 'pod-not-running' || e.code === 'not-found') this.markPodGone(e.message);
      });
  }
}

function portForwardAction(target: ForwardTarget): ClusterAction {
  return { verb: 'create', resource: 'pods/portforward', namespace: target.namespace, name: target.pod };
}

function portForwardError(err: unknown, target: ForwardTarget): ClusterError {
  const status = httpStatusOf(err);
  if (status === 400 || status === 500) {
    return new ClusterError(
      'pod-not-running',
      `Port-forward to ${target.namespace}/${target.pod} refused (${status}): the pod is probably not running or was deleted. Refresh the pod list.`,
      status,
      portForwardAction(target),
    );
  }
  return toClusterError(err, portForwardAction(target));
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: '127.0.0.1', port, exclusive: true });
  });
}

/**
 * Checks RBAC and pod phase so a forward fails at start with a clear message, not at first use. Returns the
 * pod's uid and restart count when the pod could be read (to notice later that it was replaced or restarted).
 */
export async function preflightPortForward(kubeConfig: KubeConfig, target: ForwardTarget): Promise<PodIdentity | undefined> {
  const action = portForwardAction(target);
  const authz = kubeConfig.makeApiClient(AuthorizationV1Api);
  const review = await authz
    .createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: {
            namespace: target.namespace,
            verb: 'create',
            resource: 'pods',
            subresource: 'portforward',
            name: target.pod,
          },
        },
      },
    })
    .catch((err: unknown) => {
      throw toClusterError(err, { verb: 'create', resource: 'selfsubjectaccessreviews' });
    });
  if (review.status && !review.status.allowed) {
    throw new ClusterError('forbidden', forbiddenMessage(action), 403, action);
  }
  const core = kubeConfig.makeApiClient(CoreV1Api);
  try {
    const pod = await core.readNamespacedPod({ name: target.pod, namespace: target.namespace });
    const phase = pod.status?.phase;
    if (pod.metadata?.deletionTimestamp || phase !== 'Running') {
      throw new ClusterError(
        'pod-not-running',
        `Pod ${target.namespace}/${target.pod} is not running (phase ${phase ?? 'unknown'}${pod.metadata?.deletionTimestamp ? ', being deleted' : ''}).`,
      );
    }
    return { uid: pod.metadata?.uid, restarts: podRestarts(pod) };
  } catch (err) {
    if (err instanceof ClusterError) throw err;
    // Not being allowed to read the pod does not stop the forward; a missing pod does.
    if (httpStatusOf(err) === 403) return undefined;
    throw toClusterError(err, { verb: 'get', resource: 'pods', namespace: target.namespace, name: target.pod });
  }
}

/** Listens on 127.0.0.1: the preferred port (default: the remote one) when free, else any free port. */
export async function startPortForward(options: StartForwardOptions): Promise<PortForwardSession> {
  const target: ForwardTarget = { namespace: options.namespace, pod: options.pod, remotePort: options.remotePort };
  const identity = options.preflight !== false ? await preflightPortForward(options.kubeConfig, target) : undefined;
  const requested = options.localPort ?? options.remotePort;
  let server = net.createServer({ pauseOnConnect: false, noDelay: true });
  let port: number;
  try {
    port = await listen(server, requested);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (requested !== 0 && (code === 'EADDRINUSE' || code === 'EACCES')) {
      server = net.createServer({ noDelay: true });
      port = await listen(server, 0);
    } else {
      throw new ClusterError('failed', `Cannot listen on 127.0.0.1:${requested}: ${(err as Error).message}`);
    }
  }
  const session = new PortForwardSession(server, options.kubeConfig, target, port, requested);
  session.podUid = identity?.uid;
  session.podRestarts = identity?.restarts;
  return session;
}
