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
  /** A JSON body to POST instead of a GET. */
  postJson?: string;
}

export type Tool = 'curl' | 'wget';

/**
 * The command run inside the container (exported for tests that run it on the host). `basic` is the wget
 * every BusyBox understands, for when GNU wget's options are refused: no timeout, retry or client-certificate
 * options, and no body on errors.
 */
export function fetchCommand(
  tool: Tool,
  o: Pick<ExecFetchOptions, 'scheme' | 'port' | 'path' | 'certs' | 'insecureSkipVerify' | 'maxSeconds' | 'postJson'>,
  basic = false,
): string[] {
  const url = `${o.scheme}://127.0.0.1:${o.port}${o.path}`;
  const post = o.postJson;
  if (tool === 'wget' && basic) {
    return ['wget', '-q', '-S', '-O', '-', ...(post !== undefined ? [`--post-data=${post}`] : []), ...(o.insecureSkipVerify ? ['--no-check-certificate'] : []), url];
  }
  if (tool === 'curl') {
    // Headers go to stderr (-D /dev/stderr) so the status is known while stdout stays the raw body.
    const cmd = ['curl', '-sS', '-D', '/dev/stderr', '--max-time', String(o.maxSeconds), '-o', '-'];
    if (post !== undefined) cmd.push('-X', 'POST', '-H', 'content-type: application/json', '--data-binary', post);
    if (o.scheme === 'https') {
      if (o.certs) cmd.push('--cacert', o.certs.ca, '--cert', o.certs.cert, '--key', o.certs.key);
      if (o.insecureSkipVerify) cmd.push('-k');
    }
    return [...cmd, url];
  }
  // GNU wget. -S prints the headers (indented) to stderr; -nv, not -q, which would hide why a request failed;
  // -t 1: a retry after a dropped connection restarts the download and appends a second copy to stdout;
  // --content-on-error keeps the body of a 4xx/5xx (Go's "cpu profiling already in use").
  const cmd = ['wget', '-nv', '-S', '-t', '1', '-T', String(o.maxSeconds), '--content-on-error', '-O', '-'];
  if (post !== undefined) cmd.push('--header=content-type: application/json', `--post-data=${post}`);
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

type Where = Pick<ExecFetchOptions, 'namespace' | 'pod' | 'container' | 'scheme' | 'certs'>;

/** The tool's own words: stderr without the headers and wget's progress and session-cache lines. */
function reasonLine(tool: Tool, stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.replace(/\r$/, ''));
  const kept =
    tool === 'curl'
      ? lines.map((l) => l.trim()).filter((l) => l && !/^(HTTP\/|[\w-]+:)/.test(l))
      : lines
          .filter((l) => !l.startsWith('  ')) // -S headers are indented
          .map((l) => l.trim())
          .filter((l) => l && !/ URL:| -> "-"|^\S+:\/\/\S+:$|Could not save SSL session data/.test(l));
  // wget's first ERROR line is the cause ("Failed to open cert …"); what follows are its consequences.
  return (tool === 'wget' ? kept.find((l) => l.startsWith('ERROR')) : undefined) ?? kept.pop() ?? '';
}

function wgetFailure(r: ExecResult, o: Where, status: number | undefined): [CaptureError['code'], string] | undefined {
  const text = r.stderr;
  // GNU wget exits 4 on these, BusyBox 1.
  if (/connection refused/i.test(text)) return ['connection-dropped', 'nothing listens on that port inside the pod (connection refused)'];
  if (/timed out/i.test(text)) return ['connection-dropped', 'the request timed out'];
  if (r.exitCode === 4) {
    if (status !== undefined) return ['connection-dropped', 'the connection dropped while receiving'];
    if (o.scheme === 'https') {
      // GNU wget goes on without a client certificate or key it cannot read and then only sees the server hang
      // up, as when the server refuses them. Worded so podRequest does not try further certificate paths: with
      // this CA file present these are the paths that should work, and the next candidates would only bury this.
      return o.certs
        ? ['tls', `the TLS connection failed and wget does not say why: it skips a client certificate or key it cannot read without a word, so either ${o.certs.cert} or ${o.certs.key} is missing or unreadable in the container, or the server refused them (curl in the container, or a port-forward, would tell which)`]
        : ['tls', 'the TLS connection failed (wget gives no reason)'];
    }
    return ['connection-dropped', 'the connection failed'];
  }
  if (r.exitCode === 5) {
    if (/failed to open cert|no such file|cannot open|could not open/i.test(text)) return ['tls', `wget could not read the CA file${o.certs ? ` ${o.certs.ca}` : ''}`];
    return ['tls', 'the server certificate did not verify against the CA file'];
  }
  return undefined;
}

/**
 * With TLS 1.3 a server that refuses the client certificate does so after curl's side of the handshake is
 * done: curl then only sees the connection reset, closed ("Transport endpoint is not connected", a broken pipe)
 * or an alert on its first send or receive (exit 16, 35, 55 or 56, depending on timing).
 */
function curlRefusedCert(r: ExecResult, o: Where): [CaptureError['code'], string] | undefined {
  if (!o.certs || ![16, 35, 55, 56].includes(r.exitCode)) return undefined;
  if (!/reset by peer|not connected|broken pipe|alert (certificate required|bad certificate|unknown ca|certificate unknown)/i.test(r.stderr)) return undefined;
  return ['tls', `the server dropped the TLS connection as soon as it saw the client certificate: it most likely refuses ${o.certs.cert} (signed by another CA, expired, or not a client certificate)`];
}

function toolError(tool: Tool, r: ExecResult, o: Where, status: number | undefined): CaptureError {
  const lastLine = reasonLine(tool, r.stderr);
  const known = tool === 'curl' ? (curlRefusedCert(r, o) ?? CURL_EXIT[r.exitCode]) : wgetFailure(r, o, status);
  const where = `${tool} in ${o.namespace}/${o.pod} (container ${o.container})`;
  if (known) return new CaptureError(known[0], `${where}: ${known[1]} (exit ${r.exitCode}${lastLine ? `: ${lastLine}` : ''}).`);
  return new CaptureError('failed', `${where} failed with exit ${r.exitCode}${lastLine ? `: ${lastLine}` : ''}.`);
}

/**
 * What a finished run of the tool means: the answer, `undefined` when the tool is not in the container, or a
 * CaptureError. wget exits 8 on a 4xx/5xx answer: that answer (with --content-on-error, its body) is returned
 * so the status is what the user hears, as with curl.
 */
export function readToolResult(tool: Tool, r: ExecResult, o: Where): FetchResult | undefined {
  if (missingTool(r)) return undefined;
  const status = statusFrom(r.stderr);
  if (status !== undefined && (r.exitCode === 0 || (tool === 'wget' && status >= 400))) {
    return { status, contentType: contentTypeFrom(r.stderr), body: r.stdout };
  }
  throw toolError(tool, r, o, status);
}

/**
 * A wget that is not GNU wget refused the options (BusyBox: "unrecognized option", exit 1; Debian's BusyBox,
 * built without -T, crashes on it: 139). Nothing was requested.
 */
function optionsRefused(r: ExecResult): boolean {
  if (statusFrom(r.stderr) !== undefined || r.stdout.length > 0) return false;
  return r.exitCode === 139 || (r.exitCode !== 0 && /unrecognized option|invalid option|unknown option|usage: wget/i.test(r.stderr));
}

/** Runs the request inside the pod; the answer has the same shape as fetchPprof's. */
export async function execFetchPprof(o: ExecFetchOptions): Promise<FetchResult & { tool: Tool }> {
  let received = 0;
  const max = o.maxBytes ?? DEFAULT_MAX_CAPTURE_BYTES;
  const run = async (command: string[]): Promise<ExecResult> => {
    try {
      return await execInPod({
        kubeConfig: o.kubeConfig,
        namespace: o.namespace,
        pod: o.pod,
        container: o.container,
        command,
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
  };
  for (const tool of ['curl', 'wget'] as const) {
    let r = await run(fetchCommand(tool, o));
    if (tool === 'wget' && optionsRefused(r)) {
      if (o.scheme === 'https' && o.certs) {
        const why = r.exitCode === 139 ? 'it crashed on them' : (/^.*(unrecognized|invalid|unknown) option.*$/im.exec(r.stderr)?.[0] ?? `exit ${r.exitCode}`);
        throw new CaptureError(
          'tls',
          `wget in ${o.namespace}/${o.pod} (container ${o.container}) is not GNU wget (BusyBox?) and refused GNU wget's options (${why.trim()}): it has no options for a client certificate and key, so it cannot do the endpoint's mutual TLS. Capture through a port-forward, or put curl or GNU wget in the container.`,
        );
      }
      r = await run(fetchCommand(tool, o, true));
    }
    const answer = readToolResult(tool, r, o);
    if (answer) return { ...answer, tool };
  }
  throw new CaptureError(
    'failed',
    `Neither curl nor wget exists in ${o.namespace}/${o.pod} container ${o.container}: capture through a port-forward instead.`,
  );
}
