// WebSocket framing (RFC 6455) for the client side of the API server's streaming endpoints. The reader is
// incremental and hands payload bytes on as views of the chunk it was given (no copy, no reassembly of
// data messages), which is what keeps a port-forward cheap: the bytes go from the TLS read straight to the
// local socket. Only control frames (at most 125 bytes) are copied.
import { randomFillSync } from 'node:crypto';

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

export interface FrameSink {
  /**
   * A piece of a data message's payload. `first` is true for the message's first piece (an empty message
   * still gets one call with an empty payload). `payload` is a view on the chunk passed to push(): use it
   * before returning, or keep the chunk alive.
   */
  data(payload: Buffer, first: boolean, opcode: number): void;
  /** A complete control frame (close, ping, pong); its payload is a copy. */
  control(opcode: number, payload: Buffer): void;
  /** The server broke the protocol; the connection cannot go on. */
  protocolError(message: string): void;
}

const MAX_CONTROL = 125;

export class FrameReader {
  private readonly sink: FrameSink;
  private readonly header = Buffer.alloc(14);
  private headerLength = 0;
  /** Payload bytes left in the current frame. */
  private left = 0;
  private fin = true;
  /** Opcode of the data message in progress (continuation frames carry 0). */
  private messageOpcode = 0;
  private firstPiece = true;
  private control?: { opcode: number; bytes: Buffer; filled: number };
  private failed = false;

  constructor(sink: FrameSink) {
    this.sink = sink;
  }

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.failed) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - i);
        this.payload(chunk.subarray(i, i + n));
        i += n;
        this.left -= n;
        if (this.left === 0) this.frameDone();
        continue;
      }
      this.header[this.headerLength++] = chunk[i++];
      if (this.headerLength < 2) continue;
      const len7 = this.header[1] & 0x7f;
      const need = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
      if (this.headerLength < need) continue;
      this.headerLength = 0;
      this.startFrame(len7 === 126 ? BigInt(this.header.readUInt16BE(2)) : len7 === 127 ? this.header.readBigUInt64BE(2) : BigInt(len7));
    }
  }

  private startFrame(length: bigint): void {
    const b0 = this.header[0];
    const b1 = this.header[1];
    if (b0 & 0x70) return this.fail('a frame has reserved bits set (no extension was negotiated)');
    if (b1 & 0x80) return this.fail('the server sent a masked frame');
    if (length > BigInt(Number.MAX_SAFE_INTEGER)) return this.fail('a frame is longer than 2^53 bytes');
    const opcode = b0 & 0x0f;
    this.fin = (b0 & 0x80) !== 0;
    this.left = Number(length);
    if (opcode >= 0x8) {
      if (!this.fin || this.left > MAX_CONTROL) return this.fail('a control frame is fragmented or longer than 125 bytes');
      if (opcode !== OP_CLOSE && opcode !== OP_PING && opcode !== OP_PONG) return this.fail(`unknown control opcode ${opcode}`);
      this.control = { opcode, bytes: Buffer.alloc(this.left), filled: 0 };
      if (this.left === 0) this.frameDone();
      return;
    }
    if (opcode === OP_CONTINUATION) {
      if (this.messageOpcode === 0) return this.fail('a continuation frame arrived outside a message');
    } else if (opcode === OP_TEXT || opcode === OP_BINARY) {
      if (this.messageOpcode !== 0) return this.fail('a new message started before the previous one ended');
      this.messageOpcode = opcode;
      this.firstPiece = true;
    } else {
      return this.fail(`unknown data opcode ${opcode}`);
    }
    if (this.left === 0) {
      if (this.firstPiece) this.payload(Buffer.alloc(0));
      this.frameDone();
    }
  }

  private payload(bytes: Buffer): void {
    if (this.control) {
      bytes.copy(this.control.bytes, this.control.filled);
      this.control.filled += bytes.length;
      return;
    }
    const first = this.firstPiece;
    this.firstPiece = false;
    this.sink.data(bytes, first, this.messageOpcode);
  }

  private frameDone(): void {
    if (this.control) {
      const { opcode, bytes } = this.control;
      this.control = undefined;
      this.sink.control(opcode, bytes);
      return;
    }
    if (this.fin) this.messageOpcode = 0;
  }

  private fail(message: string): void {
    this.failed = true;
    this.sink.protocolError(message);
  }
}

/**
 * One masked client frame. `prefix` is written before the payload (the channel byte of the k8s
 * channel protocols), so callers need not copy their data into a bigger buffer first.
 */
export function encodeFrame(opcode: number, payload: Uint8Array, prefix?: number): Buffer {
  const extra = prefix === undefined ? 0 : 1;
  const length = payload.length + extra;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const start = 2 + lengthBytes + 4;
  const frame = Buffer.allocUnsafe(start + length);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) frame[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const maskAt = 2 + lengthBytes;
  randomFillSync(frame, maskAt, 4);
  const m0 = frame[maskAt];
  const m1 = frame[maskAt + 1];
  const m2 = frame[maskAt + 2];
  const m3 = frame[maskAt + 3];
  let o = start;
  if (prefix !== undefined) frame[o++] = prefix ^ m0;
  // Masking position counts from the payload's first byte, prefix included.
  for (let j = 0, k = extra; j < payload.length; j++, k++) {
    const m = (k & 3) === 0 ? m0 : (k & 3) === 1 ? m1 : (k & 3) === 2 ? m2 : m3;
    frame[o++] = payload[j] ^ m;
  }
  return frame;
}

/** Payload of a close frame: status code and a UTF-8 reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const text = Buffer.from(reason.slice(0, 100), 'utf8');
  const out = Buffer.alloc(2 + text.length);
  out.writeUInt16BE(code, 0);
  text.copy(out, 2);
  return out;
}

export function parseClose(payload: Buffer): { code?: number; reason: string } {
  if (payload.length < 2) return { reason: '' };
  return { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') };
}
