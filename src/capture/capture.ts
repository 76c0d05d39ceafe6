// One capture, start to file: reach the endpoint (src/capture/podRequest.ts), record with a countdown, check
// the answer is what the kind promises, save atomically. Cancel (AbortSignal) aborts the request; failure or
// cancel leaves no file.
import type { ForwardRegistry } from '../cluster/forwardRegistry.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { writeCaptureMeta } from './captureMeta.ts';
import type { PprofEndpoint } from './endpoint.ts';
import { captureKind, capturePath, type CaptureKind, type CaptureKindId } from './kinds.ts';
import { asCaptureError, requestFromPod, type CaptureMethod } from './podRequest.ts';
import { captureFilePath, saveAtomically } from './save.ts';
import { CaptureError, checkCaptureResponse } from './validate.ts';

export type { CaptureMethod } from './podRequest.ts';

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
  /** Larger answers stop with a message and nothing is saved (default 1 GiB). */
  maxBytes?: number;
  signal?: AbortSignal;
  onProgress?: (p: CaptureProgress) => void;
  /** Log lines for an output channel / stderr. Never receives key material. */
  log?: (line: string) => void;
  /**
   * For a profile, also record what source resolution needs (image, etcd's /version, go_info from /metrics) in a
   * sidecar beside the file (captureMeta.ts); best effort, bounded, never fails the capture.
   */
  metadata?: boolean;
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

export async function capture(req: CaptureRequest): Promise<CaptureResult> {
  const kind = typeof req.kind === 'string' ? captureKind(req.kind) : req.kind;
  const { kubeConfig, namespace, signal } = req;
  const context = kubeConfig.getCurrentContext();
  const log = req.log ?? (() => undefined);
  const progress = req.onProgress ?? (() => undefined);
  const seconds = kind.timed ? Math.max(1, Math.round(req.seconds ?? 30)) : 0;
  const path = capturePath(kind, seconds);
  let countdown: NodeJS.Timeout | undefined;

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

  try {
    progress({ phase: 'preparing', message: `Looking up ${namespace}/${req.pod}` });
    log(`Capturing ${kind.label} from ${namespace}/${req.pod}`);
    const answer = await requestFromPod(
      {
        kubeConfig,
        namespace,
        pod: req.pod,
        method: req.method,
        endpoint: req.endpoint,
        registry: req.registry,
        insecureSkipVerify: req.insecureSkipVerify,
        signal,
        log,
        quietSeconds: seconds,
        maxBytes: req.maxBytes,
        onCertificates: () => progress({ phase: 'certificates', message: `Getting etcd's client certificate for ${req.pod}` }),
        onRequest: startCountdown,
        onBytes: (bytes) => progress({ phase: 'receiving', message: `Receiving ${kind.label}: ${bytes} bytes`, bytes }),
      },
      path,
    );
    if (countdown) clearInterval(countdown);
    signal?.throwIfAborted();
    checkCaptureResponse(kind, answer.status, answer.contentType, answer.body, answer.endpoint.flavor);
    progress({ phase: 'saving', message: `Saving ${answer.body.length} bytes`, bytes: answer.body.length });
    const target = req.outputFile ?? captureFilePath({ folder: req.folder ?? '.profiles', context, namespace, pod: req.pod, kind });
    const file = await saveAtomically(target, answer.body, { root: req.outputFile ? undefined : (req.folder ?? '.profiles') });
    log(`Saved ${kind.label} (${answer.body.length} bytes) to ${file}`);
    // Profiles only: their frames are what the source resolution opens (dumps and traces get none).
    if (req.metadata && kind.format === 'profile') await writeCaptureMeta(file, answer, req, log);
    return { file, kind, bytes: answer.body.length, method: answer.method, endpoint: answer.endpoint, forward: answer.forward, tlsSource: answer.tlsSource, context };
  } catch (err) {
    const e = signal?.aborted && !(err instanceof CaptureError && err.code === 'cancelled') ? new CaptureError('cancelled', 'Capture cancelled; nothing saved.') : asCaptureError(err);
    log(`Capture failed: ${e.message}`);
    throw e;
  } finally {
    if (countdown) clearInterval(countdown);
  }
}
