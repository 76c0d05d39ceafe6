// Our frame reader and writer against the `ws` library's sender and receiver as the independent peer.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import * as wsLibrary from 'ws';
import { encodeFrame, FrameReader, OP_BINARY, OP_CLOSE, OP_PING, OP_TEXT, type FrameSink } from '../../src/cluster/wsFrames.ts';

// ws exports its frame sender and receiver, but @types/ws does not declare them.
interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}
const { Receiver, Sender } = wsLibrary as unknown as {
  Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] };
  Receiver: new (options: { isServer: boolean; binaryType: string; maxPayload: number }) => import('node:stream').Writable;
};

interface Collected {
  messages: { opcode: number; bytes: Buffer }[];
  controls: { opcode: number; bytes: Buffer }[];
  errors: string[];
}

function collector(): { sink: FrameSink; done: () => Collected } {
  const got: Collected = { messages: [], controls: [], errors: [] };
  let current: { opcode: number; parts: Buffer[] } | undefined;
  const close = (): void => {
    if (current) got.messages.push({ opcode: current.opcode, bytes: Buffer.concat(current.parts) });
    current = undefined;
  };
  const sink: FrameSink = {
    data(payload, first, opcode) {
      if (first) {
        close();
        current = { opcode, parts: [] };
      }
      // Copy: the payload is a view on the pushed chunk.
      current!.parts.push(Buffer.from(payload));
    },
    control(opcode, bytes) {
      got.controls.push({ opcode, bytes });
    },
    protocolError(message) {
      got.errors.push(message);
    },
  };
  return {
    sink,
    done() {
      close();
      return got;
    },
  };
}

/** Server-side (unmasked) frames as `ws` writes them. */
function serverFrame(data: Buffer, opcode: number, fin = true): Buffer {
  return Buffer.concat(Sender.frame(data, { fin, opcode, mask: false, readOnly: true, rsv1: false }));
}

function pushInPieces(reader: FrameReader, bytes: Buffer, sizes: number[]): void {
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]);
    reader.push(bytes.subarray(i, i + n));
    i += n;
  }
}

test('reads 7-bit, 16-bit and 64-bit lengths, fragmented messages and control frames, whatever the chunking', () => {
  const small = randomBytes(100);
  const medium = randomBytes(40_000);
  const large = randomBytes(70_000);
  const partA = randomBytes(5000);
  const partB = randomBytes(3);
  const stream = Buffer.concat([
    serverFrame(small, OP_BINARY),
    serverFrame(Buffer.from('ping!'), OP_PING),
    serverFrame(medium, OP_BINARY),
    serverFrame(partA, OP_BINARY, false),
    serverFrame(Buffer.from('mid'), OP_PING),
    serverFrame(partB, 0, true),
    serverFrame(Buffer.alloc(0), OP_BINARY),
    serverFrame(large, OP_TEXT),
    serverFrame(Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]), OP_CLOSE),
  ]);
  for (const sizes of [[stream.length], [1], [2, 3, 5, 7, 11], [16_384], [65_536, 1, 13]]) {
    const c = collector();
    pushInPieces(new FrameReader(c.sink), stream, sizes);
    const got = c.done();
    assert.deepEqual(got.errors, [], `chunks ${sizes}`);
    assert.equal(got.messages.length, 5, `chunks ${sizes}`);
    assert.ok(got.messages[0].bytes.equals(small));
    assert.ok(got.messages[1].bytes.equals(medium));
    assert.ok(got.messages[2].bytes.equals(Buffer.concat([partA, partB])));
    assert.equal(got.messages[3].bytes.length, 0);
    assert.equal(got.messages[4].opcode, OP_TEXT);
    assert.ok(got.messages[4].bytes.equals(large));
    assert.deepEqual(
      got.controls.map((x) => [x.opcode, x.bytes.toString('latin1')]),
      [
        [OP_PING, 'ping!'],
        [OP_PING, 'mid'],
        [OP_CLOSE, '\x03\xe8bye'],
      ],
    );
  }
});

test('protocol violations are reported, not read past', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['masked server frame', Buffer.concat(Sender.frame(Buffer.from('x'), { fin: true, opcode: OP_BINARY, mask: true, readOnly: false, rsv1: false })), /masked/],
    ['reserved bit', Buffer.concat(Sender.frame(Buffer.from('x'), { fin: true, opcode: OP_BINARY, mask: false, readOnly: true, rsv1: true })), /reserved/],
    ['long control frame', Buffer.concat([Buffer.from([0x89, 126, 0, 200]), Buffer.alloc(200)]), /control frame/],
    ['stray continuation', serverFrame(Buffer.from('x'), 0), /continuation/],
    ['unknown opcode', Buffer.from([0x83, 0]), /unknown data opcode/],
  ];
  for (const [name, bytes, expected] of cases) {
    const c = collector();
    const reader = new FrameReader(c.sink);
    reader.push(bytes);
    reader.push(serverFrame(Buffer.from('after'), OP_BINARY));
    const got = c.done();
    assert.equal(got.errors.length, 1, name);
    assert.match(got.errors[0], expected, name);
    assert.equal(got.messages.length, 0, `${name}: nothing read after the error`);
  }
});

test('encodeFrame writes masked frames the ws receiver decodes, channel prefix included', async () => {
  const payloads = [Buffer.alloc(0), randomBytes(1), randomBytes(124), randomBytes(125), randomBytes(126), randomBytes(65_534), randomBytes(65_535), randomBytes(200_000)];
  const receiver = new Receiver({ isServer: true, binaryType: 'nodebuffer', maxPayload: 0 });
  const got: Buffer[] = [];
  receiver.on('message', (data: Buffer) => got.push(Buffer.from(data)));
  const errors: Error[] = [];
  receiver.on('error', (err: Error) => errors.push(err));
  for (const [i, p] of payloads.entries()) {
    const frame = encodeFrame(OP_BINARY, p, i % 2 === 0 ? 7 : undefined);
    assert.equal(frame[1] & 0x80, 0x80, 'client frames are masked');
    await new Promise<void>((resolve) => receiver.write(frame, () => resolve()));
  }
  assert.deepEqual(errors, []);
  assert.equal(got.length, payloads.length);
  for (const [i, p] of payloads.entries()) {
    const want = i % 2 === 0 ? Buffer.concat([Buffer.from([7]), p]) : p;
    assert.ok(got[i].equals(want), `payload ${i} (${p.length} bytes)`);
  }
});
