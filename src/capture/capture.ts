// One capture, start to file: find the endpoint, reach it (an active forward, a forward of its own, or exec),
// get etcd's client certificate when the endpoint is mutual TLS, record with a countdown, check the answer,
// save atomically. Cancel (AbortSignal) aborts the request; failure or cancel leaves no file.
import { AuthorizationV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ClusterError, httpStatusOf, toClusterError, forbiddenMessage } from '../cluster/errors.ts';
import { etcdCertPathCandidates, loadEtcdTls } from '../cluster/etcdCerts.ts';
import type { ForwardRegistry } from '../cluster/forwardRegistry.ts';
import { startPortForward, type PortForwardSession } from '../cluster/portForward.ts';
import { resolveEndpoint, type PprofEndpoint } from './endpoint.ts';
import { execFetchPprof } from './execFetch.ts';
import { fetchPprof, type FetchResult } from './fetch.ts';
import { captureKind, capturePath, type CaptureKind, type CaptureKindId } from './kinds.ts';
import { captureFilePath, saveAtomically } from './save.ts';
import { CaptureError, checkCaptureResponse } from './validate.ts';

export type CaptureMethod = 'auto' | 'forward' | 'exec';

export interface CaptureProgress {
  phase: 'preparing' | 'certificates' | 'recording' | 'receiving' | 'saving';
  message: string;
  /** Timed kinds: seconds left in the recording. */
  secondsLeft?: number;
  /** Bytes received so far. */
  bytes?: number;
}

export interface CaptureRequest {
  /** Its current context is the cluster to use. */
  kubeConfig: KubeConfig;
  namespace: string;
  pod: string;
  kind: CaptureKindId | CaptureKind;
  /** Timed kinds (CPU, trace); default 30. */
  seconds?: number;
  /** `auto`: forward, or exec when port-forward is forbidden. */
  method?: CaptureMethod;
  /** Overrides detection (e.g. the "Other Go pods" port). */
  endpoint?: Partial<PprofEndpoint>;
  /** Root folder of saved captures; the file goes to `<folder>/<context>/<ns>/<pod>/<kind>-<time><ext>`. */
  folder?: string;
  /** Exact output file instead of the folder layout. */
  outputFile?: string;
  /** Active forwards to reuse; without one, or without a match, the capture opens and closes its own. */
  registry?: ForwardRegistry;
  insecureSkipVerify?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: CaptureProgress) => void;
  /** Log lines for an output channel / stderr. Never receives key material. */
  log?: (line: string) => void;
}

export interface CaptureResult {
  file: string;
  kind: CaptureKind;
  bytes: number;
  method: 'forward' | 'exec';
  endpoint: PprofEndpoint;
  /** Forward used: reused from the registry or opened for this capture. */
  forward?: { localPort: number; reused: boolean };
  /** Where etcd's client certificate came from (never the bytes). */
  tlsSource?: string;
  context: string;
}

function asCaptureError(err: unknown): Error {
  if (err instanceof CaptureError) return err;
  if ((err as Error)?.name === 'AbortError') return new CaptureError('cancelled', 'Capture cancelled.');
  if (err instanceof ClusterError) {
    const code =
      err.code === 'forbidden' || err.code === 'unauthorized' || err.code === 'pod-not-running' || err.code === 'connection-dropped'
        ? err.code
        : 'failed';
    return new CaptureError(code, err.message);
  }
  return err instanceof Error ? err : new Error(String(err));
}

async function readPod(core: CoreV1Api, namespace: string, name: string): Promise<V1Pod> {
  try {
    return await core.readNamespacedPod({ name, namespace });
  } catch (err) {
    throw toClusterError(err, { verb: 'get', resource: 'pods', namespace, name });
  }
}

function checkRunning(pod: V1Pod): void {
  const phase = pod.status?.phase;
  if (pod.metadata?.deletionTimestamp) {
    throw new CaptureError('pod-not-running', `Pod ${pod.metadata.namespace}/${pod.metadata.name} is being deleted.`);
  }
  if (phase !== 'Running') {
    throw new CaptureError('pod-not-running', `Pod ${pod.metadata?.namespace}/${pod.metadata?.name} is not running (phase ${phase ?? 'unknown'}). Wait for it or pick another pod.`);
  }
}

async function canPortForward(kubeConfig: KubeConfig, namespace: string, pod: string): Promise<boolean> {
  const authz = kubeConfig.makeApiClient(AuthorizationV1Api);
  try {
    const review = await authz.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { namespace, verb: 'create', resource: 'pods', subresource: 'portforward', name: pod } } },
    });
    return review.status?.allowed === true;
  } catch (err) {
    throw toClusterError(err, { verb: 'create', resource: 'selfsubjectaccessreviews' });
  }
}

/** After a dropped connection: was the pod deleted or its container restarted? */
async function explainDrop(core: CoreV1Api, before: V1Pod, err: CaptureError): Promise<CaptureError> {
  const ns = before.metadata!.namespace!;
  const name = before.metadata!.name!;
  try {
    const now = await core.readNamespacedPod({ name, namespace: ns });
    if (now.metadata?.uid !== before.metadata?.uid || now.metadata?.deletionTimestamp) {
      return new CaptureError('pod-not-running', `Pod ${ns}/${name} was deleted during the capture. Nothing was saved; retry once it is back.`);
    }
    const restarts = (p: V1Pod) => (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
    if (restarts(now) > restarts(before)) {
      return new CaptureError('pod-not-running', `A container of ${ns}/${name} restarted during the capture. Nothing was saved; retry.`);
    }
  } catch (e) {
    if (httpStatusOf(e) === 404) {
      return new CaptureError('pod-not-running', `Pod ${ns}/${name} was deleted during the capture. Nothing was saved.`);
    }
  }
  return err;
}

export async function capture(req: CaptureRequest): Promise<CaptureResult> {
  const kind = typeof req.kind === 'string' ? captureKind(req.kind) : req.kind;
  const { kubeConfig, namespace, signal } = req;
  const context = kubeConfig.getCurrentContext();
  const log = req.log ?? (() => undefined);
  const progress = req.onProgress ?? (() => undefined);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const seconds = kind.timed ? Math.max(1, Math.round(req.seconds ?? 30)) : 0;
  const path = capturePath(kind, seconds);
  let ownForward: PortForwardSession | undefined;
  let pod: V1Pod | undefined;
  let countdown: NodeJS.Timeout | undefined;

  try {
    progress({ phase: 'preparing', message: `Looking up ${namespace}/${req.pod}` });
    pod = await readPod(core, namespace, req.pod);
    checkRunning(pod);
    const given = req.endpoint;
    const endpoint: PprofEndpoint =
      given?.port && given.scheme && given.flavor && given.container
        ? ({ source: 'given', ...given } as PprofEndpoint)
        : { ...(await resolveEndpoint(kubeConfig, pod, given?.port)), ...given };
    signal?.throwIfAborted();

    let method = req.method ?? 'auto';
    const existing = req.registry?.get(context, { namespace, pod: req.pod, remotePort: endpoint.port });
    if (method === 'auto') {
      if (existing || (await canPortForward(kubeConfig, namespace, req.pod))) method = 'forward';
      else {
        method = 'exec';
        log(`${forbiddenMessage({ verb: 'create', resource: 'pods/portforward', namespace })} Using exec.`);
      }
    }
    log(`Capturing ${kind.label} from ${namespace}/${req.pod} (${endpoint.scheme}://127.0.0.1:${endpoint.port}${path}, ${endpoint.source}) by ${method}`);

    const onBytes = (bytes: number): void => progress({ phase: 'receiving', message: `Receiving ${kind.label}: ${bytes} bytes`, bytes });
    const startCountdown = (): void => {
      if (!kind.timed) {
        progress({ phase: 'recording', message: `Requesting ${kind.label}` });
        return;
      }
      const end = Date.now() + seconds * 1000;
      const tick = (): void => {
        const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
        progress({ phase: 'recording', message: `Recording ${kind.label}: ${left} s left`, secondsLeft: left });
        if (left === 0 && countdown) clearInterval(countdown);
      };
      tick();
      countdown = setInterval(tick, 1000);
    };

    let answer: FetchResult;
    let tlsSource: string | undefined;
    let forwardInfo: CaptureResult['forward'];
    if (method === 'forward') {
      let session = existing;
      if (!session) {
        ownForward = await startPortForward({ kubeConfig, namespace, pod: req.pod, remotePort: endpoint.port, localPort: 0, preflight: false });
        session = ownForward;
      }
      forwardInfo = { localPort: session.localPort, reused: !ownForward };
      let material;
      if (endpoint.scheme === 'https') {
        progress({ phase: 'certificates', message: `Getting etcd's client certificate for ${req.pod}` });
        material = await loadEtcdTls(kubeConfig, pod, { signal });
        tlsSource = material.source;
        log(`Client certificate from ${material.source}`);
      }
      signal?.throwIfAborted();
      startCountdown();
      answer = await fetchPprof(
        { scheme: endpoint.scheme, host: '127.0.0.1', port: session.localPort, tls: material, insecureSkipVerify: req.insecureSkipVerify },
        path,
        { signal, onBytes, idleTimeoutMs: (seconds + 30) * 1000 },
      );
    } else {
      const candidates = endpoint.scheme === 'https' ? etcdCertPathCandidates(pod) : [undefined];
      startCountdown();
      let lastErr: unknown;
      answer = undefined as unknown as FetchResult;
      for (const certs of candidates) {
        try {
          answer = await execFetchPprof({
            kubeConfig,
            namespace,
            pod: req.pod,
            container: certs?.container ?? endpoint.container,
            scheme: endpoint.scheme,
            port: endpoint.port,
            path,
            certs,
            insecureSkipVerify: req.insecureSkipVerify,
            maxSeconds: seconds + 60,
            signal,
            onBytes,
          });
          if (certs) tlsSource = `files in container ${certs.container} (${certs.cert})`;
          lastErr = undefined;
          break;
        } catch (err) {
          lastErr = err;
          // Another set of certificate paths may exist; other failures are final.
          if (!(err instanceof CaptureError && err.code === 'tls' && /certificate or key files|CA file/.test(err.message))) break;
        }
      }
      if (lastErr) throw lastErr;
    }
    if (countdown) clearInterval(countdown);
    signal?.throwIfAborted();

    checkCaptureResponse(kind, answer.status, answer.contentType, answer.body, endpoint.flavor);
    progress({ phase: 'saving', message: `Saving ${answer.body.length} bytes`, bytes: answer.body.length });
    const target =
      req.outputFile ?? captureFilePath({ folder: req.folder ?? '.profiles', context, namespace, pod: req.pod, kind });
    const file = await saveAtomically(target, answer.body);
    log(`Saved ${kind.label} (${answer.body.length} bytes) to ${file}`);
    return { file, kind, bytes: answer.body.length, method, endpoint, forward: forwardInfo, tlsSource, context };
  } catch (err) {
    let e = asCaptureError(err);
    if (e instanceof CaptureError && (e.code === 'connection-dropped' || e.code === 'failed') && pod && !signal?.aborted) e = await explainDrop(core, pod, e);
    if (signal?.aborted) e = new CaptureError('cancelled', 'Capture cancelled; nothing saved.');
    log(`Capture failed: ${e.message}`);
    throw e;
  } finally {
    if (countdown) clearInterval(countdown);
    if (ownForward) await ownForward.stop();
  }
}
