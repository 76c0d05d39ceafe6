// wsClient against a real HTTPS server running the `ws` library's WebSocketServer, authenticated like an
// API server (CA from the kubeconfig, bearer token). The data test holds every piece it gets for a while
// before reading it: if a read buffer were reused while held, the bytes would come out corrupted.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { WebSocketServer, type WebSocket } from 'ws';
import { toClusterError } from '../../src/cluster/errors.ts';
import { WsClient, WsUpgradeError } from '../../src/cluster/wsClient.ts';
import { makePki, type Pki } from './helpers/localEtcd.ts';

const TOKEN = 'sha256~test-token';
let pki: Pki;
let server: https.Server;
let port = 0;
const onConnection = new Map<string, (ws: WebSocket) => void>();
/** For each upgrade, whether its TLS session was resumed. */
const resumed: boolean[] = [];

before(async () => {
  pki = makePki();
  server = https.createServer({ cert: pki.serverCert, key: pki.serverKey });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
  server.on('upgrade', (req, socket: net.Socket, head) => {
    resumed.push((socket as import('node:tls').TLSSocket).isSessionReused());
    const url = new URL(req.url ?? '/', 'https://x');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
      return;
    }
    if (url.pathname.endsWith('/forbidden')) {
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'pods "p" is forbidden: cannot create resource "pods/portforward"', code: 403 });
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection.get(url.pathname)?.(ws));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

function kubeConfig(token = TOKEN): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, caData: pki.ca.toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return kc;
}

test('receives every byte of fragmented and whole messages while the consumer holds the read buffers', async () => {
  const messages = [randomBytes(1), randomBytes(16_384), randomBytes(1_000_000), randomBytes(70_000), randomBytes(3)];
  onConnection.set('/data', (ws) => {
    for (const m of messages.slice(0, 2)) ws.send(m);
    // One message in fragments of odd sizes.
    const big = messages[2];
    for (let i = 0; i < big.length; i += 33_333) ws.send(big.subarray(i, i + 33_333), { fin: i + 33_333 >= big.length });
    for (const m of messages.slice(3)) ws.send(m);
    ws.close(1000, 'done');
  });
  const parts: { view: Buffer; first: boolean; release: () => void }[] = [];
  let closed: { code?: number; reason: string } | undefined;
  const done = new Promise<void>((resolve) => {
    void WsClient.connect(kubeConfig(), '/data', ['v4.channel.k8s.io'], {
      onData: (payload, first, _opcode, hold) => parts.push({ view: payload, first, release: hold() }),
      onClose: (info) => {
        closed = info;
        resolve();
      },
    }).then((c) => assert.equal(c.protocol, 'v4.channel.k8s.io'));
  });
  await done;
  assert.equal(closed?.code, 1000);
  assert.equal(closed?.reason, 'done');
  const got: Buffer[] = [];
  for (const p of parts) {
    if (p.first) got.push(Buffer.alloc(0));
    got[got.length - 1] = Buffer.concat([got[got.length - 1], p.view]);
    p.release();
  }
  assert.equal(got.length, messages.length);
  for (const [i, m] of messages.entries()) {
    assert.equal(createHash('sha256').update(got[i]).digest('hex'), createHash('sha256').update(m).digest('hex'), `message ${i} (${m.length} bytes)`);
  }
});

test('sends masked binary messages with the channel byte, answers pings, closes with a close frame', async () => {
  const received: Buffer[] = [];
  let pong = false;
  let serverSawClose: number | undefined;
  const serverDone = new Promise<void>((resolve) => {
    onConnection.set('/echo', (ws) => {
      ws.on('pong', (data: Buffer) => (pong = data.toString() === 'are you there'));
      ws.ping('are you there');
      ws.on('message', (data: Buffer) => received.push(Buffer.from(data)));
      ws.on('close', (code: number) => {
        serverSawClose = code;
        resolve();
      });
    });
  });
  const client = await WsClient.connect(kubeConfig(), '/echo', ['v4.channel.k8s.io'], { onData: () => {}, onClose: () => {} });
  const payload = randomBytes(100_000);
  assert.equal(client.send(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 0), true);
  client.send(payload, 0);
  await new Promise((r) => setTimeout(r, 200));
  client.close();
  await serverDone;
  assert.equal(pong, true, 'ping answered with the same payload');
  assert.equal(serverSawClose, 1000);
  assert.equal(received.length, 2);
  assert.deepEqual([...received[0].subarray(0, 1)], [0]);
  assert.equal(received[0].subarray(1).toString(), 'GET / HTTP/1.1\r\n\r\n');
  assert.ok(received[1].subarray(1).equals(payload));
});

test('a refused upgrade rejects with the status and the Status body, which errors.ts turns into advice', async () => {
  await assert.rejects(WsClient.connect(kubeConfig(), '/forbidden', ['v4.channel.k8s.io'], { onData: () => {}, onClose: () => {} }), (err: unknown) => {
    assert.ok(err instanceof WsUpgradeError);
    assert.equal(err.statusCode, 403);
    assert.match(err.body, /cannot create resource/);
    const advice = toClusterError(err, { verb: 'create', resource: 'pods/portforward', namespace: 'openshift-etcd' });
    assert.equal(advice.code, 'forbidden');
    assert.match(advice.message, /create pods\/portforward.*openshift-etcd/);
    return true;
  });
  await assert.rejects(WsClient.connect(kubeConfig('wrong'), '/data', ['v4.channel.k8s.io'], { onData: () => {}, onClose: () => {} }), (err: unknown) => {
    assert.equal((err as WsUpgradeError).statusCode, 401);
    return true;
  });
});

test('a server certificate the kubeconfig CA did not sign is refused', async () => {
  const kc = kubeConfig();
  kc.clusters[0] = { ...kc.clusters[0], caData: pki.otherCa.toString('base64') };
  await assert.rejects(WsClient.connect(kc, '/data', ['v4.channel.k8s.io'], { onData: () => {}, onClose: () => {} }), /certificate/);
});

test('pause() stops reading until resume(): the server sees its sends back up', async () => {
  let serverSocket: WebSocket | undefined;
  const opened = new Promise<void>((resolve) =>
    onConnection.set('/flood', (ws) => {
      serverSocket = ws;
      resolve();
    }),
  );
  let bytes = 0;
  const client = await WsClient.connect(kubeConfig(), '/flood', ['v4.channel.k8s.io'], { onData: (p) => (bytes += p.length), onClose: () => {} });
  await opened;
  client.pause();
  const chunk = randomBytes(1 << 20);
  for (let i = 0; i < 32; i++) serverSocket!.send(chunk);
  await new Promise((r) => setTimeout(r, 300));
  const whilePaused = bytes;
  assert.ok(whilePaused < 32 << 20, `read ${whilePaused} bytes while paused`);
  assert.ok(serverSocket!.bufferedAmount > 0, 'the server is left holding what we did not read');
  client.resume();
  const deadline = Date.now() + 10_000;
  while (bytes < 32 << 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(bytes, 32 << 20);
  client.close();
});

test('through an HTTP CONNECT proxy from the kubeconfig (proxy-url), and to a plain-http API server', async () => {
  // A CONNECT proxy that records where it was asked to go.
  const tunnels: string[] = [];
  const proxy = net.createServer((client) => {
    client.once('data', (first: Buffer) => {
      const m = /^CONNECT ([^ ]+):(\d+) HTTP\/1\.1/.exec(first.toString('latin1'));
      if (!m) return client.destroy();
      tunnels.push(`${m[1]}:${m[2]}`);
      const upstream = net.connect(Number(m[2]), m[1], () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyPort = (proxy.address() as net.AddressInfo).port;

  // A plain-http server with the same WebSocket endpoint.
  const plain = http.createServer();
  const wss = new WebSocketServer({ noServer: true });
  plain.on('upgrade', (req, socket: net.Socket, head) => wss.handleUpgrade(req, socket, head, (ws) => onConnection.get('/hello')?.(ws)));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const plainPort = (plain.address() as net.AddressInfo).port;

  onConnection.set('/hello', (ws) => ws.send(Buffer.from('\x00hello')));
  const receive = (kc: KubeConfig): Promise<string> =>
    new Promise((resolve, reject) => {
      let text = '';
      WsClient.connect(kc, '/hello', ['v4.channel.k8s.io'], {
        onData: (p) => (text += p.toString('latin1')),
        onClose: () => resolve(text),
      })
        .then((c) => setTimeout(() => c.close(), 100))
        .catch(reject);
    });
  try {
    const viaProxy = kubeConfig();
    viaProxy.clusters[0] = { ...viaProxy.clusters[0], proxyUrl: `http://127.0.0.1:${proxyPort}` };
    assert.equal(await receive(viaProxy), '\x00hello');
    assert.deepEqual(tunnels, [`127.0.0.1:${port}`], 'the connection went through the proxy');

    const overHttp = new KubeConfig();
    overHttp.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${plainPort}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: TOKEN }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
    assert.equal(await receive(overHttp), '\x00hello');
  } finally {
    proxy.close();
    plain.closeAllConnections();
    plain.close();
  }
});

test('later connections to the same server resume the TLS session', async () => {
  onConnection.set('/resume', (ws) => ws.send(Buffer.from('\x00ok')));
  const once = (): Promise<void> =>
    new Promise((resolve, reject) => {
      WsClient.connect(kubeConfig(), '/resume', ['v4.channel.k8s.io'], { onData: () => {}, onClose: () => resolve() })
        .then((c) => setTimeout(() => c.close(), 50))
        .catch(reject);
    });
  const before = resumed.length;
  for (let i = 0; i < 3; i++) await once();
  assert.deepEqual(resumed.slice(before + 1), [true, true], `resumed: ${resumed.slice(before)}`);
  // Another client identity does not get that session.
  const other = kubeConfig();
  other.clusters[0] = { ...other.clusters[0], tlsServerName: 'localhost' };
  await new Promise<void>((resolve, reject) => {
    WsClient.connect(other, '/resume', ['v4.channel.k8s.io'], { onData: () => {}, onClose: () => resolve() })
      .then((c) => setTimeout(() => c.close(), 50))
      .catch(reject);
  });
  assert.equal(resumed.at(-1), false);
});
