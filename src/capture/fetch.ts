// One GET to a pprof endpoint reached on 127.0.0.1 (a port-forward): plain http, or https with etcd's mutual
// TLS. Key, certificate and CA are handed to node:https from memory; nothing touches the disk.
import http from 'node:http';
import https from 'node:https';
import { serverIdentityCheck, sniFor, type EtcdTls } from '../cluster/etcdCerts.ts';
import { CaptureError, DEFAULT_MAX_CAPTURE_BYTES, tooLargeError } from './validate.ts';

export interface HttpTarget {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** Client material for https (etcd). */
  tls?: EtcdTls;
  /** Skip server verification (a setting, off by default). The client certificate is still sent. */
  insecureSkipVerify?: boolean;
}

export interface FetchOptions {
  signal?: AbortSignal;
  /** Idle timeout on the socket, on top of any capture duration (ms, default 30 s). */
  idleTimeoutMs?: number;
  onBytes?: (received: number) => void;
  /** Larger answers are refused (default 1 GiB). */
  maxBytes?: number;
  /** A JSON body to POST instead of a GET (etcd's /v3/maintenance/status). */
  postJson?: string;
}

export interface FetchResult {
  status: number;
  contentType?: string;
  body: Buffer;
}

const TLS_CODES = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_CERT)/;

export function describeNetError(err: NodeJS.ErrnoException, target: HttpTarget, path: string): CaptureError {
  const code = err.code ?? '';
  const msg = err.message ?? String(err);
  if (err.name === 'AbortError' || code === 'ABORT_ERR') return new CaptureError('cancelled', 'Capture cancelled.');
  if (TLS_CODES.test(code) || /alert|handshake|certificate|wrong version number|tls/i.test(msg)) {
    if (/wrong version number|packet length too long|http request/i.test(msg)) {
      return new CaptureError('tls', `TLS handshake failed: the endpoint on port ${target.port} speaks plain http, not https.`);
    }
    if (/certificate required|bad certificate|unknown ca|alert number 4[28]|alert number 116/i.test(msg)) {
      return new CaptureError('tls', `The server refused our client certificate during the TLS handshake (${msg}). The certificate may be from another cluster or expired.`);
    }
    return new CaptureError(
      'tls',
      `TLS verification of the server failed (${code || msg}). The CA from the cluster does not match the server's certificate; the insecure-skip-verify setting bypasses this check.`,
    );
  }
  if (code === 'ECONNREFUSED') return new CaptureError('connection-dropped', `Nothing listens on 127.0.0.1:${target.port} (connection refused).`);
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up|aborted|premature close/i.test(msg)) {
    const hint = target.scheme === 'http' && /socket hang up/i.test(msg) ? ' If this port serves https (etcd\'s 2379 does), capture with https.' : '';
    return new CaptureError(
      'connection-dropped',
      `The connection dropped during ${path}: the pod was deleted or restarted, the port is closed inside the pod, or the forward stopped. Nothing was saved.${hint}`,
    );
  }
  if (code === 'ETIMEDOUT' || /timed out/i.test(msg)) return new CaptureError('connection-dropped', `No data from the endpoint for too long (${path}).`);
  return new CaptureError('failed', `Request ${path} failed: ${msg}`);
}

export function fetchPprof(target: HttpTarget, path: string, options: FetchOptions = {}): Promise<FetchResult> {
  const { signal } = options;
  const max = options.maxBytes ?? DEFAULT_MAX_CAPTURE_BYTES;
  return new Promise<FetchResult>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CaptureError('cancelled', 'Capture cancelled.'));
      return;
    }
    let settled = false;
    const fail = (err: CaptureError): void => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(err);
    };
    const post = options.postJson;
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (post !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(post)) });
    const common = { host: target.host, port: target.port, path, method: post !== undefined ? 'POST' : 'GET', signal, headers };
    let req: http.ClientRequest;
    if (target.scheme === 'https') {
      const material = target.tls;
      const agent = new https.Agent({ keepAlive: false, maxCachedSessions: 0 });
      req = https.request({
        ...common,
        agent,
        ca: material?.ca,
        cert: material?.cert,
        key: material?.key,
        rejectUnauthorized: !target.insecureSkipVerify,
        servername: material ? sniFor(material.serverNames) : undefined,
        checkServerIdentity: material && !target.insecureSkipVerify ? serverIdentityCheck(material.serverNames) : () => undefined,
      });
    } else {
      req = http.request({ ...common, agent: false });
    }
    req.setTimeout(options.idleTimeoutMs ?? 30_000, () => {
      fail(new CaptureError('connection-dropped', `No data from the endpoint for ${Math.round((options.idleTimeoutMs ?? 30_000) / 1000)} s (${path}).`));
    });
    req.on('error', (err) => fail(describeNetError(err as NodeJS.ErrnoException, target, path)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > max) {
          fail(tooLargeError(path, max));
          return;
        }
        chunks.push(chunk);
        options.onBytes?.(received);
      });
      res.on('error', (err) => fail(describeNetError(err as NodeJS.ErrnoException, target, path)));
      res.on('aborted', () => fail(describeNetError(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), target, path)));
      res.on('end', () => {
        if (settled) return;
        if (!res.complete) {
          fail(describeNetError(Object.assign(new Error('premature close'), { code: 'ECONNRESET' }), target, path));
          return;
        }
        settled = true;
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks) });
      });
    });
    req.end(post);
  });
}
