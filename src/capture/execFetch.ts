// The exec path: run `curl` (else `wget`) inside the container against the pod's own 127.0.0.1 and stream its
// binary stdout back through the API server. Used when port-forward is forbidden, or by choice. For etcd the
// client certificate files already mounted in the container are passed by path: no key crosses the wire.
import type { KubeConfig } from '@kubernetes/client-node';
import { execInPod, type ExecResult } from '../cluster/exec.ts';
import type { EtcdCertPaths } from '../cluster/etcdCerts.ts';
import { CaptureError, DEFAULT_MAX_CAPTURE_BYTES, tooLargeError } from './validate.ts';
import type { FetchResult } from './fetch.ts';

export interface ExecFetchOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  pod: string;
  container: string;
  scheme: 'http' | 'https';
  port: number;
  path: string;
  /** For https: files inside the container. */
  certs?: EtcdCertPaths;
  insecureSkipVerify?: boolean;
  /** Upper bound on the whole request, seconds (capture duration + margin). */
  maxSeconds: number;
  signal?: AbortSignal;
  onBytes?: (received: number) => void;
  /** Larger answers stop the command (default 1 GiB). */
  maxBytes?: number;
}

type Tool = 'curl' | 'wget';

function commandFor(tool: Tool, o: ExecFetchOptions): string[] {
  const url = `${o.scheme}://127.0.0.1:${o.port}${o.path}`;
  if (tool === 'curl') {
    // Headers go to stderr (-D /dev/stderr) so the status is known while stdout stays the raw body.
    const cmd = ['curl', '-sS', '-D', '/dev/stderr', '--max-time', String(o.maxSeconds), '-o', '-'];
    if (o.scheme === 'https') {
      if (o.certs) cmd.push('--cacert', o.certs.ca, '--cert', o.certs.cert, '--key', o.certs.key);
      if (o.insecureSkipVerify) cmd.push('-k');
    }
    return [...cmd, url];
  }
  const cmd = ['wget', '-q', '-S', '-T', String(o.maxSeconds), '-O', '-'];
  if (o.scheme === 'https') {
    if (o.certs) cmd.push(`--ca-certificate=${o.certs.ca}`, `--certificate=${o.certs.cert}`, `--private-key=${o.certs.key}`);
    if (o.insecureSkipVerify) cmd.push('--no-check-certificate');
  }
  return [...cmd, url];
}

function missingTool(r: ExecResult): boolean {
  return r.exitCode === 127 || r.exitCode === 126 || /not found|no such file|executable file/i.test(r.failure ?? '');
}

/** Last `HTTP/x y` status line in the tool's stderr (redirects print several). */
function statusFrom(stderr: string): number | undefined {
  const all = [...stderr.matchAll(/HTTP\/[\d.]+ (\d{3})/g)];
  return all.length ? Number(all[all.length - 1][1]) : undefined;
}

function contentTypeFrom(stderr: string): string | undefined {
  const all = [...stderr.matchAll(/content-type:\s*([^\r\n]+)/gi)];
  return all.length ? all[all.length - 1][1].trim() : undefined;
}

const CURL_EXIT: Record<number, [CaptureError['code'], string]> = {
  7: ['connection-dropped', 'nothing listens on that port inside the pod (connection refused)'],
  28: ['connection-dropped', 'the request timed out'],
  35: ['tls', 'the TLS handshake failed'],
  52: ['connection-dropped', 'the server closed the connection without answering'],
  56: ['connection-dropped', 'the connection dropped while receiving'],
  58: ['tls', 'curl could not use the client certificate or key files'],
  60: ['tls', 'the server certificate did not verify against the CA file'],
  77: ['tls', 'curl could not read the CA file'],
};

function toolError(tool: Tool, r: ExecResult, o: ExecFetchOptions): CaptureError {
  const lastLine = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^(HTTP\/|[\w-]+:)/.test(l)).pop() ?? '';
  const known = tool === 'curl' ? CURL_EXIT[r.exitCode] : undefined;
  const where = `${tool} in ${o.namespace}/${o.pod} (container ${o.container})`;
  if (known) return new CaptureError(known[0], `${where}: ${known[1]} (exit ${r.exitCode}${lastLine ? `: ${lastLine}` : ''}).`);
  return new CaptureError('failed', `${where} failed with exit ${r.exitCode}${lastLine ? `: ${lastLine}` : ''}.`);
}

/** Runs the request inside the pod; the answer has the same shape as fetchPprof's. */
export async function execFetchPprof(o: ExecFetchOptions): Promise<FetchResult & { tool: Tool }> {
  let received = 0;
  const max = o.maxBytes ?? DEFAULT_MAX_CAPTURE_BYTES;
  for (const tool of ['curl', 'wget'] as const) {
    let r: ExecResult;
    try {
      r = await execInPod({
        kubeConfig: o.kubeConfig,
        namespace: o.namespace,
        pod: o.pod,
        container: o.container,
        command: commandFor(tool, o),
        signal: o.signal,
        maxBytes: max,
        onStdout: (chunk) => {
          received += chunk.length;
          o.onBytes?.(received);
        },
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw new CaptureError('cancelled', 'Capture cancelled.');
      if (/exceeded \d+ bytes/.test((err as Error).message)) throw tooLargeError(o.path, max);
      throw err;
    }
    if (missingTool(r)) continue;
    const status = statusFrom(r.stderr);
    if (status !== undefined && (r.exitCode === 0 || (tool === 'wget' && r.exitCode === 8))) {
      return { status, contentType: contentTypeFrom(r.stderr), body: r.stdout, tool };
    }
    throw toolError(tool, r, o);
  }
  throw new CaptureError(
    'failed',
    `Neither curl nor wget exists in ${o.namespace}/${o.pod} container ${o.container}: capture through a port-forward instead.`,
  );
}
