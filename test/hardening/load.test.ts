// Load: 10 port-forwards at once with 50 concurrent connections each (operator over http, etcd members over
// mutual TLS), every connection a full pprof request answered 200; then the three etcd members captured at
// once (CPU 10 s, and heap) through captureAll, the core of "Capture from All Members".
import { PRIVATE_TMP } from './helpers/leaks.ts';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
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

function get(s: PortForwardSession, tls?: EtcdTls): Promise<number> {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port: s.localPort, path: '/debug/pprof/cmdline', agent: false as const };
    const req = tls
      ? https.get({ ...opts, ca: tls.ca, cert: tls.cert, key: tls.key, checkServerIdentity: serverIdentityCheck(tls.serverNames) })
      : http.get(opts);
    req.setTimeout(120_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
  });
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
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, sessions.reduce((n, s) => n + s.activeConnections, 0));
  }, 20);
  try {
    const results = await Promise.allSettled(sessions.flatMap((s, i) => Array.from({ length: PER_FORWARD }, () => get(s, targets[i].tls))));
    const ok = results.filter((r) => r.status === 'fulfilled' && r.value === 200).length;
    const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason?.message));
    const line = `${sessions.length} forwards, ${results.length} connections: ${ok} answered 200, peak ${peak} open at once, ${Date.now() - t0} ms${failed.length ? `; failures: ${[...new Set(failed)].join('; ')}` : ''}`;
    console.log(line);
    recordFigure('forwardsAtOnce', sessions.length, 'load/forwards');
    recordFigure('connectionsHeld', ok, 'load/forwards', `peak ${peak} open at once`);
    assert.equal(ok, FORWARDS * PER_FORWARD, line);
    assert.ok(sessions.every((s) => s.state === 'active' && s.totalConnections === PER_FORWARD), 'each forward saw its 50 connections');
  } finally {
    clearInterval(sampler);
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
