// Load: 10 port-forwards at once with 50 connections each (operator over http, etcd members over mutual TLS),
// all 500 established end to end and held open together, then each answering a pprof request with 200; then
// the three etcd members captured at once (CPU 10 s, and heap) through captureAll ("Capture from All Members").
import { PRIVATE_TMP } from './helpers/leaks.ts';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { CoreV1Api } from '@kubernetes/client-node';
import { captureAll } from '../../src/capture/captureAll.ts';
import { captureKind } from '../../src/capture/kinds.ts';
import { loadEtcdTls, serverIdentityCheck, type EtcdTls } from '../../src/cluster/etcdCerts.ts';
import { startPortForward, type PortForwardSession } from '../../src/cluster/portForward.ts';
import { adminConfig, etcdPodNames, operatorPodName, sandboxInfo } from '../integration/helpers/sandbox.ts';
import { verifyCaptureFile } from '../integration/helpers/verify.ts';
import { recordFigure } from './helpers/figures.ts';
import { guardLeaks } from './helpers/leaks.ts';

const info = sandboxInfo();
const admin = adminConfig();
const members = etcdPodNames(info);
const operator = operatorPodName(info);
const out = path.join(PRIVATE_TMP, 'captures');
after(() => rmSync(out, { recursive: true, force: true }));
guardLeaks('load');

const FORWARDS = 10;
const PER_FORWARD = 50;

/** Reads from `sock` until `done(text)` holds or it closes; resolves the text. */
function readUntil(sock: net.Socket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (b: Buffer): void => {
      text += b.toString('latin1');
      if (done(text)) finish();
    };
    const finish = (): void => {
      sock.off('data', onData);
      sock.off('end', finish);
      sock.off('error', reject);
      resolve(text);
    };
    sock.on('data', onData).on('end', finish).on('error', reject);
  });
}

const REQUEST = (close: boolean) => `GET /debug/pprof/cmdline HTTP/1.1\r\nHost: 127.0.0.1\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;

/**
 * One connection through the forward, established end to end before it counts: for etcd the mutual-TLS
 * handshake with the member completes, for the operator a first request is answered on a kept-alive socket.
 */
async function open(s: PortForwardSession, tlsMaterial?: EtcdTls): Promise<net.Socket> {
  if (tlsMaterial) {
    const sock = tls.connect({ host: '127.0.0.1', port: s.localPort, ca: tlsMaterial.ca, cert: tlsMaterial.cert, key: tlsMaterial.key, checkServerIdentity: serverIdentityCheck(tlsMaterial.serverNames), ALPNProtocols: ['http/1.1'] });
    await new Promise<void>((resolve, reject) => sock.once('secureConnect', () => resolve()).once('error', reject));
    return sock;
  }
  const sock = net.connect({ host: '127.0.0.1', port: s.localPort });
  await new Promise<void>((resolve, reject) => sock.once('connect', () => resolve()).once('error', reject));
  sock.write(REQUEST(false));
  const first = await readUntil(sock, (t) => /\r\n\r\n/.test(t) && t.length >= t.indexOf('\r\n\r\n') + 4 + Number(/content-length: (\d+)/i.exec(t)?.[1] ?? 0));
  assert.match(first, /^HTTP\/1\.1 200/);
  return sock;
}

/** The last request on a held connection: answered 200, then closed. */
async function finish(sock: net.Socket): Promise<number> {
  sock.write(REQUEST(true));
  const text = await readUntil(sock, () => false);
  sock.destroy();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

test(`${FORWARDS} forwards at once, ${PER_FORWARD} concurrent connections each`, { timeout: 240_000 }, async () => {
  const core = admin.makeApiClient(CoreV1Api);
  const targets: Array<{ pod: string; namespace: string; port: number; tls?: EtcdTls }> = [];
  for (const m of members) {
    const pod = await core.readNamespacedPod({ name: m, namespace: 'openshift-etcd' });
    targets.push({ pod: m, namespace: 'openshift-etcd', port: 2379, tls: await loadEtcdTls(admin, pod) });
  }
  while (targets.length < FORWARDS) targets.push({ pod: operator, namespace: 'openshift-etcd-operator', port: 6060 });
  const t0 = Date.now();
  const sessions = await Promise.all(targets.map((t) => startPortForward({ kubeConfig: admin, namespace: t.namespace, pod: t.pod, remotePort: t.port, localPort: 0 })));
  const socks: net.Socket[] = [];
  try {
    // All 500 established end to end, then held together (the barrier), then each answers a last request.
    const opened = await Promise.allSettled(sessions.flatMap((s, i) => Array.from({ length: PER_FORWARD }, () => open(s, targets[i].tls))));
    for (const o of opened) if (o.status === 'fulfilled') socks.push(o.value);
    const openErrors = opened.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason?.message));
    await new Promise((r) => setTimeout(r, 500));
    const heldNow = sessions.reduce((n, s) => n + s.activeConnections, 0);
    const alive = socks.filter((x) => !x.destroyed).length;
    const codes = await Promise.all(socks.map((x) => finish(x).catch(() => 0)));
    const ok = codes.filter((c) => c === 200).length;
    const line = `${sessions.length} forwards: ${socks.length} connections established end to end, ${heldNow} held open at once (${alive} alive), ${ok} answered 200 after, ${Date.now() - t0} ms${openErrors.length ? `; failures: ${[...new Set(openErrors)].join('; ')}` : ''}`;
    console.log(line);
    recordFigure('forwardsAtOnce', sessions.length, 'load/forwards');
    recordFigure('connectionsHeld', Math.min(heldNow, alive, ok), 'load/forwards', line);
    assert.equal(heldNow, FORWARDS * PER_FORWARD, line);
    assert.equal(alive, FORWARDS * PER_FORWARD, line);
    assert.equal(ok, FORWARDS * PER_FORWARD, line);
    assert.ok(sessions.every((s) => s.state === 'active' && s.totalConnections === PER_FORWARD), 'each forward saw its 50 connections');
  } finally {
    for (const x of socks) x.destroy();
    await Promise.all(sessions.map((s) => s.stop()));
  }
  assert.ok(sessions.every((s) => s.activeConnections === 0));
});

for (const [kindId, seconds] of [['cpu', 10], ['heap', 0]] as const) {
  test(`the three etcd members at once: ${kindId}${seconds ? ` ${seconds} s` : ''}`, { timeout: 120_000 }, async () => {
    const kind = captureKind(kindId);
    const t0 = Date.now();
    const results = await captureAll({ kubeConfig: admin, namespace: 'openshift-etcd', kind, seconds, method: 'forward', folder: out }, members);
    const ms = Date.now() - t0;
    console.log(`${kindId} from ${members.length} members at once in ${ms} ms: ${results.map((r) => `${r.pod} ${r.result ? `${r.result.bytes} bytes` : r.error?.message}`).join(', ')}`);
    for (const r of results) {
      assert.ok(r.result, `${r.pod}: ${r.error?.message}`);
      verifyCaptureFile(r.result.file, kind);
      assert.match(r.result.file, new RegExp(`${r.pod}/${kindId}-`));
    }
    // Concurrent, not one after the other.
    if (seconds) assert.ok(ms < seconds * 1000 * 2, `took ${ms} ms`);
    recordFigure('membersCaptured', results.length, `load/members-${kindId}`);
  });
}
