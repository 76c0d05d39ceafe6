// Decides whether an HTTP answer is what the capture kind promises, and says what to do when it is not.
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import type { CaptureKind } from './kinds.ts';

export type CaptureErrorCode =
  | 'pprof-disabled'
  | 'already-running'
  | 'html'
  | 'not-a-profile'
  | 'http-error'
  | 'tls'
  | 'connection-dropped'
  | 'cancelled'
  | 'forbidden'
  | 'unauthorized'
  | 'pod-not-running'
  | 'port-taken'
  | 'too-large'
  | 'no-traceback'
  | 'failed';

export class CaptureError extends Error {
  readonly code: CaptureErrorCode;
  constructor(code: CaptureErrorCode, message: string) {
    super(message);
    this.name = code === 'cancelled' ? 'AbortError' : 'CaptureError';
    this.code = code;
  }
}

/** Which program serves the endpoint: picks the switch a 404 names. */
export type EndpointFlavor = 'etcd' | 'operator' | 'go';

/** Default cap on one capture's size (the `etcdProfiler.maxCaptureMB` setting). */
export const DEFAULT_MAX_CAPTURE_BYTES = 1 << 30;

export function tooLargeError(path: string, max: number): CaptureError {
  const mb = max / (1 << 20);
  const shown = mb >= 1 ? `${Math.round(mb * 10) / 10} MiB` : `${max} bytes`;
  return new CaptureError(
    'too-large',
    `The answer to ${path} is larger than ${shown} (the etcdProfiler.maxCaptureMB setting); stopped, nothing saved. Raise the setting to capture it.`,
  );
}

export function pprofSwitch(flavor: EndpointFlavor): string {
  switch (flavor) {
    case 'etcd':
      return 'start etcd with `--enable-pprof` (or env `ETCD_ENABLE_PPROF=true` on the etcd container)';
    case 'operator':
      return 'set env `OPENSHIFT_PROFILE=web` on the operator (it then serves pprof on 127.0.0.1:6060)';
    default:
      return 'import net/http/pprof in the program and serve it on this port';
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

function looksLikeHtml(body: Buffer, contentType: string | undefined): boolean {
  if (contentType && /text\/html/i.test(contentType)) return true;
  const head = body.subarray(0, 256).toString('utf8').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || head.startsWith('<');
}

function snippet(body: Buffer): string {
  const text = body.subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim();
  // Only printable text goes into a message.
  return /^[\x20-\x7e]*$/.test(text) ? text : '(binary)';
}

/** Throws a CaptureError unless status and body fit the kind. */
export function checkCaptureResponse(
  kind: CaptureKind,
  status: number,
  contentType: string | undefined,
  body: Buffer,
  flavor: EndpointFlavor,
): void {
  if (status === 404) {
    throw new CaptureError('pprof-disabled', `pprof is not enabled on this endpoint (404 for ${kind.path}). To turn it on, ${pprofSwitch(flavor)}.`);
  }
  if (status === 401 || status === 403) {
    throw new CaptureError(status === 401 ? 'unauthorized' : 'forbidden', `The endpoint refused the request (${status}): ${snippet(body)}`);
  }
  if (status === 500 && /already (in use|enabled)|cpu profiling already|tracing is already/i.test(body.toString('utf8'))) {
    const what = kind.id === 'trace' ? 'An execution trace' : 'A CPU profile';
    throw new CaptureError(
      'already-running',
      `${what} is already being recorded in this process (Go allows one at a time). Wait for it to finish, then retry.`,
    );
  }
  if (status !== 200) {
    throw new CaptureError('http-error', `The endpoint answered ${status} for ${kind.path}: ${snippet(body)}`);
  }
  if (body.length === 0) {
    throw new CaptureError('not-a-profile', `The endpoint answered ${kind.path} with an empty body.`);
  }
  switch (kind.format) {
    case 'profile': {
      if (body[0] !== GZIP_MAGIC[0] || body[1] !== GZIP_MAGIC[1]) {
        if (looksLikeHtml(body, contentType)) {
          throw new CaptureError('html', `Expected a profile from ${kind.path} but got an HTML page: is this port a pprof endpoint? (${snippet(body)})`);
        }
        throw new CaptureError('not-a-profile', `Expected a gzipped profile from ${kind.path} but got: ${snippet(body)}`);
      }
      let raw: Buffer;
      try {
        raw = gunzipSync(body);
      } catch {
        throw new CaptureError('connection-dropped', `The profile from ${kind.path} is truncated (gzip stream incomplete): the connection dropped.`);
      }
      try {
        Profile.decode(raw);
      } catch (err) {
        throw new CaptureError('not-a-profile', `The answer from ${kind.path} is gzip but not a pprof profile: ${(err as Error).message}`);
      }
      return;
    }
    case 'text': {
      const head = body.subarray(0, 64).toString('utf8');
      if (!/^goroutine (profile: total \d+|\d+ \[)/.test(head)) {
        if (looksLikeHtml(body, contentType)) throw new CaptureError('html', `Expected a goroutine dump from ${kind.path} but got an HTML page.`);
        throw new CaptureError('not-a-profile', `Expected a goroutine dump from ${kind.path} but got: ${snippet(body)}`);
      }
      return;
    }
    case 'trace': {
      if (!/^go 1\.\d+ trace\0/.test(body.subarray(0, 16).toString('latin1'))) {
        if (looksLikeHtml(body, contentType)) throw new CaptureError('html', `Expected an execution trace from ${kind.path} but got an HTML page.`);
        throw new CaptureError('not-a-profile', `Expected an execution trace from ${kind.path} but got: ${snippet(body)}`);
      }
      return;
    }
  }
}
