// The same capture from several pods at once (every etcd member): one capture per pod, run concurrently, each
// with its own result or error; one failing member does not stop the others.
import { capture, type CaptureProgress, type CaptureRequest, type CaptureResult } from './capture.ts';

export interface MemberCapture {
  pod: string;
  result?: CaptureResult;
  error?: Error;
}

/** Captures `base.kind` from every pod in `pods` concurrently; results in the order of `pods`. */
export async function captureAll(
  base: Omit<CaptureRequest, 'pod' | 'onProgress'>,
  pods: readonly string[],
  onProgress?: (pod: string, p: CaptureProgress) => void,
): Promise<MemberCapture[]> {
  const settled = await Promise.allSettled(
    pods.map((pod) => capture({ ...base, pod, onProgress: onProgress ? (p) => onProgress(pod, p) : undefined })),
  );
  return settled.map((s, i) => (s.status === 'fulfilled' ? { pod: pods[i], result: s.value } : { pod: pods[i], error: s.reason instanceof Error ? s.reason : new Error(String(s.reason)) }));
}
