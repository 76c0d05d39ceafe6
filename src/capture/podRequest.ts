// One GET from a pod's pprof endpoint, however it is reached: an active forward from the registry, a forward of
// its own (closed afterwards), or exec of curl/wget in the container when port-forward is forbidden or chosen.
// For etcd (https) the client certificate is loaded in memory for the forward path; the exec path passes the
// certificate files already mounted in the container. Errors come out as CaptureError with what to do.
import { AuthorizationV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ClusterError, forbiddenMessage, httpStatusOf, toClusterError } from '../cluster/errors.ts';
import { etcdCertPathCandidates, loadEtcdTls, type EtcdTls } from '../cluster/etcdCerts.ts';
import type { ForwardRegistry } from '../cluster/forwardRegistry.ts';
import { podRestarts } from '../cluster/pods.ts';
import { startPortForward, type PortForwardSession } from '../cluster/portForward.ts';
import { resolveEndpoint, type PprofEndpoint } from './endpoint.ts';
import { execFetchPprof } from './execFetch.ts';
import { fetchPprof, type FetchResult } from './fetch.ts';
import { CaptureError } from './validate.ts';

export type CaptureMethod = 'auto' | 'forward' | 'exec';

export interface PodRequestOptions {
  /** Its current context is the cluster to use. */
  kubeConfig: KubeConfig;
  namespace: string;
  pod: string;
  /** `auto`: forward, or exec when port-forward is forbidden. */
  method?: CaptureMethod;
  /** Overrides detection (e.g. the "Other Go pods" port). */
  endpoint?: Partial<PprofEndpoint>;
  /** Active forwards to reuse; without one, or without a match, a forward is opened and closed for this request. */
  registry?: ForwardRegistry;
  insecureSkipVerify?: boolean;
  signal?: AbortSignal;
  /** Log lines for an output channel / stderr. Never receives key material. */
  log?: (line: string) => void;
  /** Called when certificates are being fetched. */
  onCertificates?: () => void;
  /** Called right before the request goes out (start a countdown here). */
  onRequest?: (method: 'forward' | 'exec', endpoint: PprofEndpoint) => void;
  onBytes?: (received: number) => void;
  /** How long the server may legitimately stay silent (a CPU profile's duration), seconds. */
  quietSeconds?: number;
  /** Larger answers stop with a `too-large` CaptureError (default 1 GiB). */
  maxBytes?: number;
  /** POST this JSON body instead of a GET (etcd's /v3/maintenance/status). */
  postJson?: string;
  /** etcd client material already loaded for this pod (a bundle asks many times); else loaded per request. */
  tls?: () => Promise<EtcdTls>;
}

export interface PodAnswer extends FetchResult {
  method: 'forward' | 'exec';
  endpoint: PprofEndpoint;
  /** Forward used: reused from the registry or opened for this request. */
  forward?: { localPort: number; reused: boolean };
  /** Where etcd's client certificate came from (never the bytes). */
  tlsSource?: string;
  podObject: V1Pod;
}

export function asCaptureError(err: unknown): Error {
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

export async function canPortForward(kubeConfig: KubeConfig, namespace: string, pod: string): Promise<boolean> {
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
    if (podRestarts(now) > podRestarts(before)) {
      return new CaptureError('pod-not-running', `A container of ${ns}/${name} restarted during the capture. Nothing was saved; retry.`);
    }
  } catch (e) {
    if (httpStatusOf(e) === 404) {
      return new CaptureError('pod-not-running', `Pod ${ns}/${name} was deleted during the capture. Nothing was saved.`);
    }
  }
  return err;
}

export async function requestFromPod(o: PodRequestOptions, path: string): Promise<PodAnswer> {
  const { kubeConfig, namespace, signal } = o;
  const context = kubeConfig.getCurrentContext();
  const log = o.log ?? (() => undefined);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const quiet = o.quietSeconds ?? 0;
  let ownForward: PortForwardSession | undefined;
  let pod: V1Pod | undefined;
  let chosen: CaptureMethod | undefined;
  try {
    pod = await readPod(core, namespace, o.pod);
    checkRunning(pod);
    const given = o.endpoint;
    const endpoint: PprofEndpoint =
      given?.port && given.scheme && given.flavor && given.container
        ? ({ source: 'given', ...given } as PprofEndpoint)
        : { ...(await resolveEndpoint(kubeConfig, pod, given?.port)), ...given };
    signal?.throwIfAborted();

    let method = o.method ?? 'auto';
    const existing = o.registry?.get(context, { namespace, pod: o.pod, remotePort: endpoint.port });
    if (method === 'auto') {
      if (existing || (await canPortForward(kubeConfig, namespace, o.pod))) method = 'forward';
      else {
        method = 'exec';
        log(`${forbiddenMessage({ verb: 'create', resource: 'pods/portforward', namespace })} Using exec.`);
      }
    }
    chosen = method;
    log(`GET ${endpoint.scheme}://127.0.0.1:${endpoint.port}${path} in ${namespace}/${o.pod} (endpoint from ${endpoint.source}) by ${method}`);

    if (method === 'forward') {
      let session = existing;
      if (!session) {
        ownForward = await startPortForward({ kubeConfig, namespace, pod: o.pod, remotePort: endpoint.port, localPort: 0, preflight: false });
        session = ownForward;
      }
      let material;
      let tlsSource: string | undefined;
      if (endpoint.scheme === 'https') {
        o.onCertificates?.();
        material = await (o.tls ? o.tls() : loadEtcdTls(kubeConfig, pod, { signal }));
        tlsSource = material.source;
        log(`Client certificate from ${material.source}`);
      }
      signal?.throwIfAborted();
      o.onRequest?.('forward', endpoint);
      const sent = Date.now();
      const answer = await fetchPprof(
        { scheme: endpoint.scheme, host: '127.0.0.1', port: session.localPort, tls: material, insecureSkipVerify: o.insecureSkipVerify },
        path,
        { signal, onBytes: o.onBytes, idleTimeoutMs: (quiet + 30) * 1000, maxBytes: o.maxBytes, postJson: o.postJson },
      ).catch((err: unknown) => {
        // The forward closed our socket because the API server refused the upgrade (403, 401, pod gone):
        // that, not the TLS or HTTP symptom, is what the user must hear.
        const refused = session.lastFailure;
        throw refused && refused.at >= sent ? refused.error : err;
      });
      return { ...answer, method, endpoint, tlsSource, forward: { localPort: session.localPort, reused: !ownForward }, podObject: pod };
    }

    const candidates = endpoint.scheme === 'https' ? etcdCertPathCandidates(pod) : [undefined];
    o.onRequest?.('exec', endpoint);
    let lastErr: unknown;
    const missing: string[] = [];
    for (const certs of candidates) {
      try {
        const answer = await execFetchPprof({
          kubeConfig,
          namespace,
          pod: o.pod,
          container: certs?.container ?? endpoint.container,
          scheme: endpoint.scheme,
          port: endpoint.port,
          path,
          certs,
          insecureSkipVerify: o.insecureSkipVerify,
          maxSeconds: quiet + 60,
          maxBytes: o.maxBytes,
          postJson: o.postJson,
          signal,
          onBytes: o.onBytes,
        });
        const tlsSource = certs ? `files in container ${certs.container} (${certs.cert})` : undefined;
        return { ...answer, method, endpoint, tlsSource, podObject: pod };
      } catch (err) {
        lastErr = err;
        // Another set of certificate paths may exist; other failures are final.
        if (!(err instanceof CaptureError && err.code === 'tls' && /certificate or key files|CA file/.test(err.message))) break;
        if (certs) missing.push(certs.cert);
      }
    }
    // Every known layout was tried and none had readable files: say so, rather than the last layout's detail.
    if (missing.length > 1 && missing.length === candidates.length) {
      throw new CaptureError(
        'tls',
        `No readable etcd client certificate in ${namespace}/${o.pod} (container ${candidates[0]?.container}): tried ${missing.join(', ')} and their keys and CAs. ` +
          `Capture through a port-forward instead (the certificate then comes from secret etcd-all-certs or etcd-client). Last error: ${(lastErr as Error).message}`,
      );
    }
    throw lastErr;
  } catch (err) {
    let e = asCaptureError(err);
    if (signal?.aborted) {
      // Closing the exec stream does not stop the request already running inside the pod.
      const note = chosen === 'exec' && quiet > 0 ? ` The request inside the pod runs until its ${quiet} s are up; a new CPU profile or trace is refused until then.` : '';
      e = new CaptureError('cancelled', `Capture cancelled; nothing saved.${note}`);
    }
    else if (e instanceof CaptureError && (e.code === 'connection-dropped' || e.code === 'failed') && pod) e = await explainDrop(core, pod, e);
    throw e;
  } finally {
    if (ownForward) await ownForward.stop();
  }
}
