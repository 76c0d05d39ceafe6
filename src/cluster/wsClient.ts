// A WebSocket client for the API server's streaming endpoints (port-forward), authenticated from the
// kubeconfig by client-node. Written for throughput: decrypted bytes land in a small pool of reused read
// buffers (the socket's `onread` option) instead of a fresh Buffer per TLS record, which at hundreds of MB/s
// otherwise keeps V8 in back-to-back full collections; payloads go to the caller as views on those buffers,
// and reading pauses while the caller cannot take more (client-node's PortForward has no backpressure).
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import { closePayload, encodeFrame, FrameReader, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, parseClose } from './wsFrames.ts';

// A TLS read yields at most one 16 KB record; plain TCP reads fill what they get.
const READ_BUFFER = 32 * 1024;
const KEEP_FREE = 16;
const MAX_HEAD = 64 * 1024;
const HANDSHAKE_TIMEOUT_MS = 30_000;
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// TLS sessions per server and client identity: a forward opens one connection per local TCP connection,
// and resuming skips the key exchange and certificate checks of a full handshake.
const tlsSessions = new Map<string, Buffer>();
const MAX_SESSIONS = 32;

function sessionKey(host: string, port: number, servername: string | undefined, opts: https.RequestOptions): string {
  const h = createHash('sha256').update(`${host}:${port}:${servername ?? ''}:${String(opts.rejectUnauthorized)}`);
  for (const part of [opts.ca, opts.cert, opts.key, opts.pfx]) {
    for (const item of Array.isArray(part) ? part : [part]) {
      h.update('\0');
      if (item === undefined) continue;
      if (typeof item === 'string' || Buffer.isBuffer(item)) h.update(item);
      else h.update(JSON.stringify(item));
    }
  }
  return h.digest('hex');
}

/** The API server refused the upgrade: its status and (capped) body, in the shape errors.ts reads. */
export class WsUpgradeError extends Error {
  readonly statusCode: number;
  readonly body: string;
  constructor(statusCode: number, body: string) {
    super(`Unexpected server response: ${statusCode}`);
    this.name = 'WsUpgradeError';
    this.statusCode = statusCode;
    this.body = body;
  }
}

export interface WsHandlers {
  /**
   * A piece of a message. The payload is a view on a read buffer that is reused once this returns,
   * unless `hold()` was called: it keeps that buffer out of the pool until the returned release runs.
   */
  onData(payload: Buffer, first: boolean, opcode: number, hold: () => () => void): void;
  /** Once, when the connection is over (close frame, socket end or error). */
  onClose(info: { code?: number; reason: string; error?: Error }): void;
  /** The send buffer emptied after send() returned false. */
  onDrain?(): void;
}

class ReadBuffers {
  private readonly free: Buffer[] = [];
  private readonly holds = new Map<Buffer, number>();

  next(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER);
  }

  hold(buf: Buffer): () => void {
    this.holds.set(buf, (this.holds.get(buf) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.holds.get(buf) ?? 1) - 1;
      if (n > 0) this.holds.set(buf, n);
      else {
        this.holds.delete(buf);
        this.recycle(buf);
      }
    };
  }

  /** The read into `buf` has been handled: it can be read into again unless someone holds it. */
  done(buf: Buffer): void {
    if (!this.holds.has(buf)) this.recycle(buf);
  }

  private recycle(buf: Buffer): void {
    if (this.free.length < KEEP_FREE && !this.free.includes(buf)) this.free.push(buf);
  }
}

const noHold = (): (() => void) => () => {};

export class WsClient {
  protocol = '';
  private readonly handlers: WsHandlers;
  private readonly reader: FrameReader;
  private readonly buffers = new ReadBuffers();
  private socket?: net.Socket;
  private holdCurrent: () => () => void = noHold;
  private paused = false;
  private closeSent = false;
  private closed = false;
  private upgraded = false;
  private closeInfo: { code?: number; reason: string; error?: Error } = { reason: '' };

  private constructor(handlers: WsHandlers) {
    this.handlers = handlers;
    this.reader = new FrameReader({
      data: (payload, first, opcode) => this.handlers.onData(payload, first, opcode, this.holdCurrent),
      control: (opcode, payload) => this.onControl(opcode, payload),
      protocolError: (message) => this.fail(new Error(`WebSocket protocol error: ${message}`)),
    });
  }

  /** Opens `path` on the current context's API server with one of `protocols`. */
  static async connect(kubeConfig: KubeConfig, path: string, protocols: string[], handlers: WsHandlers): Promise<WsClient> {
    const client = new WsClient(handlers);
    await client.open(kubeConfig, path, protocols);
    return client;
  }

  /** Sends one binary message (`prefix` is the channel byte). False: the send buffer is full, wait for onDrain. */
  send(payload: Uint8Array, prefix?: number): boolean {
    if (!this.socket || this.closed || this.closeSent) return false;
    return this.socket.write(encodeFrame(OP_BINARY, payload, prefix));
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket?.resume();
  }

  /** Closing handshake: sends a close frame and ends our side. */
  close(code = 1000, reason = ''): void {
    if (!this.socket || this.closed) return;
    if (!this.closeSent) {
      this.closeSent = true;
      this.socket.write(encodeFrame(OP_CLOSE, closePayload(code, reason)));
    }
    this.socket.end();
    // A server that never answers the close must not keep the socket.
    setTimeout(() => this.destroy(), 2000).unref();
  }

  destroy(): void {
    this.socket?.destroy();
  }

  private onControl(opcode: number, payload: Buffer): void {
    if (opcode === OP_PING) {
      if (!this.closeSent) this.socket?.write(encodeFrame(OP_PONG, payload));
    } else if (opcode === OP_CLOSE) {
      const { code, reason } = parseClose(payload);
      this.closeInfo = { code, reason };
      if (!this.closeSent) {
        this.closeSent = true;
        this.socket?.write(encodeFrame(OP_CLOSE, code === undefined ? Buffer.alloc(0) : closePayload(code)));
      }
      this.socket?.end();
    }
  }

  private fail(error: Error): void {
    this.closeInfo = { ...this.closeInfo, error: this.closeInfo.error ?? error };
    this.socket?.destroy();
  }

  private finish(): void {
    if (this.closed || !this.upgraded) return;
    this.closed = true;
    this.handlers.onClose(this.closeInfo);
  }

  private async open(kubeConfig: KubeConfig, path: string, protocols: string[]): Promise<void> {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('The kubeconfig has no current cluster.');
    const server = new URL(cluster.server);
    const fullPath = server.pathname.replace(/\/+$/, '') + path;
    const opts: https.RequestOptions & { headers?: Record<string, string> } = {};
    await kubeConfig.applyToHTTPSOptions(opts);
    const key = randomBytes(16).toString('base64');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    Object.assign(headers, {
      Host: server.host,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Protocol': protocols.join(', '),
    });
    const expectAccept = createHash('sha1').update(key + WS_GUID).digest('base64');

    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          this.socket?.destroy();
          reject(err);
        } else resolve();
      };
      const timer = setTimeout(() => settle(new Error(`WebSocket upgrade to ${server.host} timed out after ${HANDSHAKE_TIMEOUT_MS / 1000} s`)), HANDSHAKE_TIMEOUT_MS);

      // Bytes before the end of the response head; then the frames.
      let head = '';
      let refused: { status: number; length?: number; body: Buffer[]; size: number } | undefined;
      const refuse = (): void => {
        const r = refused!;
        settle(new WsUpgradeError(r.status, Buffer.concat(r.body).toString('utf8', 0, Math.min(r.size, MAX_HEAD))));
      };
      const onBytes = (bytes: Buffer): void => {
        if (this.upgraded) {
          this.reader.push(bytes);
          return;
        }
        if (refused) {
          refused.body.push(Buffer.from(bytes));
          refused.size += bytes.length;
          if (refused.length !== undefined && refused.size >= refused.length) refuse();
          return;
        }
        head += bytes.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > MAX_HEAD) settle(new Error('The API server sent an over-long response head to the WebSocket upgrade.'));
          return;
        }
        const rest = Buffer.from(head.slice(end + 4), 'latin1');
        const lines = head.slice(0, end).split('\r\n');
        head = '';
        const fields = new Map<string, string>();
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        onHead(Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? 0), fields, rest);
      };
      const onHead = (status: number, fields: Map<string, string>, rest: Buffer): void => {
        if (status !== 101) {
          const length = fields.has('content-length') ? Number(fields.get('content-length')) : undefined;
          refused = { status, length, body: [], size: 0 };
          if (length === 0) return refuse();
          if (rest.length) onBytes(rest);
          return;
        }
        if (fields.get('sec-websocket-accept') !== expectAccept) return settle(new Error('The API server answered the WebSocket upgrade with a wrong Sec-WebSocket-Accept.'));
        this.protocol = fields.get('sec-websocket-protocol') ?? '';
        if (!protocols.includes(this.protocol)) return settle(new Error(`The API server chose an unexpected WebSocket protocol "${this.protocol}".`));
        this.upgraded = true;
        settle();
        if (rest.length) this.reader.push(rest);
      };

      const requestHead = `GET ${fullPath} HTTP/1.1\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`;
      const onReadInto = (n: number, buf: Buffer): boolean => {
        this.holdCurrent = () => this.buffers.hold(buf);
        onBytes(buf.subarray(0, n));
        this.holdCurrent = noHold;
        this.buffers.done(buf);
        return !this.paused;
      };
      const onread = { buffer: () => this.buffers.next(), callback: onReadInto };
      const port = Number(server.port) || (server.protocol === 'https:' ? 443 : 80);
      const host = server.hostname.replace(/^\[|\]$/g, '');

      let socket: net.Socket;
      if (cluster.proxyUrl) {
        // Through a proxy the agent client-node built owns the connection; reads arrive as fresh Buffers.
        const request = (server.protocol === 'https:' ? https : http).request({ ...opts, auth: undefined, host, port, path: fullPath, headers });
        request.on('upgrade', (res, sock, rest) => {
          this.socket = sock as net.Socket;
          this.attach(this.socket);
          const fields = new Map(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
          onHead(res.statusCode ?? 0, fields, rest);
          this.socket.on('data', (chunk: Buffer) => onBytes(chunk));
        });
        request.on('response', (res) => {
          refused = { status: res.statusCode ?? 0, body: [], size: 0 };
          res.on('data', (c: Buffer) => {
            refused!.body.push(c);
            refused!.size += c.length;
          });
          res.on('end', refuse);
        });
        request.on('error', (err) => settle(err));
        request.end();
        return;
      }
      if (server.protocol === 'https:') {
        const servername = opts.servername ?? (net.isIP(host) ? undefined : host);
        const key = sessionKey(host, port, servername, opts);
        socket = tls.connect({
          host,
          port,
          servername,
          session: tlsSessions.get(key),
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key,
          pfx: opts.pfx,
          passphrase: opts.passphrase,
          rejectUnauthorized: opts.rejectUnauthorized,
          ALPNProtocols: ['http/1.1'],
          onread,
        } as tls.ConnectionOptions);
        socket.once('secureConnect', () => socket.write(requestHead));
        socket.on('session', (session: Buffer) => {
          if (tlsSessions.size >= MAX_SESSIONS && !tlsSessions.has(key)) tlsSessions.delete(tlsSessions.keys().next().value!);
          tlsSessions.set(key, session);
        });
      } else {
        socket = net.connect({ host, port, onread });
        socket.once('connect', () => socket.write(requestHead));
      }
      this.socket = socket;
      this.attach(socket);
      socket.once('error', (err) => settle(err));
      socket.once('close', () => {
        if (refused) refuse();
        else settle(new Error(`The API server closed the connection during the WebSocket upgrade to ${fullPath.split('?')[0]}.`));
      });
    });
  }

  private attach(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.on('drain', () => this.handlers.onDrain?.());
    socket.on('error', (err) => {
      this.closeInfo = { ...this.closeInfo, error: this.closeInfo.error ?? err };
    });
    socket.on('end', () => {
      if (!this.closed) socket.end();
    });
    socket.on('close', () => this.finish());
  }
}
