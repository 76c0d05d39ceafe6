// A slow reader on a big transfer through a forward: every byte arrives intact (the forward hands out
// views on reused read buffers, so a reuse too early would corrupt the stream) and the forward does not
// buffer the transfer in memory while the reader dawdles (reading from the API server pauses instead).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startPortForward, type PortForwardSession } from '../../src/cluster/portForward.ts';
import { adminConfig, createScriptPod, deletePod, sandboxInfo, waitForPod } from './helpers/sandbox.ts';

const kc = adminConfig();
const info = sandboxInfo();
const namespace = 'openshift-etcd-operator';
const name = `forward-slow-reader-${Math.random().toString(36).slice(2, 7)}`;
const port = 31000 + Math.floor(Math.random() * 8000);
const SIZE = 48 * 1024 * 1024;

// Byte i of every response is (i * 7 + (i >> 16)) & 255: position-dependent, so a repeated or
// overwritten chunk is caught.
const SERVER = `
const http = require('node:http');
const block = (start, n) => { const b = Buffer.allocUnsafe(n); for (let j = 0; j < n; j++) { const i = start + j; b[j] = (i * 7 + (i >> 16)) & 255; } return b; };
http.createServer((req, res) => {
  const total = Number(new URL(req.url, 'http://x').searchParams.get('bytes'));
  res.writeHead(200, { 'content-length': total });
  let at = 0;
  const pump = () => { while (at < total) { const n = Math.min(65536, total - at); const ok = res.write(block(at, n)); at += n; if (!ok) return res.once('drain', pump); } res.end(); };
  pump();
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

let session: PortForwardSession;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

before(async () => {
  await createScriptPod(kc, { namespace, name, node: info.nodes[1].name, script: SERVER, env: { PORT: String(port) } });
  await waitForPod(kc, namespace, name, (p) => p.status?.phase === 'Running');
  session = await startPortForward({ kubeConfig: kc, namespace, pod: name, remotePort: port, localPort: 0 });
});

after(async () => {
  await session?.stop();
  await deletePod(kc, namespace, name, 0);
});

function download(reader: (res: http.IncomingMessage) => Promise<{ bytes: number; mismatchAt: number }>): Promise<{ bytes: number; mismatchAt: number }> {
  return new Promise((resolve, reject) => {
    const attempt = (left: number): void => {
      const req = http.get({ host: '127.0.0.1', port: session.localPort, path: `/?bytes=${SIZE}`, agent: false }, (res) => {
        reader(res).then(resolve, reject);
      });
      // The server in the pod may still be starting.
      req.on('error', (err) => (left > 0 ? setTimeout(() => attempt(left - 1), 300) : reject(err)));
    };
    attempt(30);
  });
}

function checker(): { check: (chunk: Buffer) => void; result: () => { bytes: number; mismatchAt: number } } {
  let at = 0;
  let mismatchAt = -1;
  return {
    check(chunk) {
      for (let j = 0; j < chunk.length && mismatchAt < 0; j++) {
        const i = at + j;
        if (chunk[j] !== ((i * 7 + (i >> 16)) & 255)) mismatchAt = i;
      }
      at += chunk.length;
    },
    result: () => ({ bytes: at, mismatchAt }),
  };
}

test('a reader that stops and starts gets every byte in order, and the forward holds little meanwhile', async () => {
  // Array buffers are freed by a background sweeper: collect, let it run, collect again.
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const base = process.memoryUsage().arrayBuffers;
  // Memory still referenced half-way through each pause, after a full collection: what the forward (and the
  // paused reader) keep while the pod goes on sending.
  const retained: number[] = [];
  const r = await download(
    (res) =>
      new Promise((resolve, reject) => {
        const c = checker();
        let sincePause = 0;
        res.on('data', (chunk: Buffer) => {
          c.check(chunk);
          sincePause += chunk.length;
          // Stop for 200 ms after every 4 MB: the pod keeps sending meanwhile.
          if (sincePause >= 4 << 20) {
            sincePause = 0;
            res.pause();
            setTimeout(gc, 120);
            setTimeout(() => {
              gc();
              retained.push(process.memoryUsage().arrayBuffers - base);
            }, 170);
            setTimeout(() => res.resume(), 200);
          }
        });
        res.on('end', () => resolve(c.result()));
        res.on('error', reject);
      }),
  );
  assert.equal(r.mismatchAt, -1, `first wrong byte at ${r.mismatchAt}`);
  assert.equal(r.bytes, SIZE);
  const peak = Math.max(...retained);
  console.log(`slow reader, 48 MB through the forward, ${retained.length} pauses: retained array-buffer memory during pauses ${retained.map((x) => (x / 1048576).toFixed(1)).join(', ')} MB`);
  // The forward's queue stops at 1 MB plus a few read buffers; buffering the stream would be tens of MB.
  assert.ok(retained.length >= 8);
  assert.ok(peak < 8 * 1024 * 1024, `retained ${peak} bytes during a pause`);
});

test('many quick stop-and-go readers at once still get intact streams', async () => {
  const results = await Promise.all(
    Array.from({ length: 4 }, () =>
      download(
        (res) =>
          new Promise((resolve, reject) => {
            const c = checker();
            res.on('data', (chunk: Buffer) => {
              c.check(chunk);
              if (Math.random() < 0.05) {
                res.pause();
                setTimeout(() => res.resume(), Math.random() * 10);
              }
            });
            res.on('end', () => resolve(c.result()));
            res.on('error', reject);
          }),
      ),
    ),
  );
  for (const r of results) {
    assert.equal(r.mismatchAt, -1, `first wrong byte at ${r.mismatchAt}`);
    assert.equal(r.bytes, SIZE);
  }
});
