// Port-forwards through the sandbox API server: 50 concurrent connections through one forward, the local
// port rule (same as remote when free, else another, said so), stop() closing live connections, the registry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { ForwardRegistry } from '../../src/cluster/forwardRegistry.ts';
import { startPortForward, type PortForwardSession } from '../../src/cluster/portForward.ts';
import { adminConfig, createScratchOperator, createScriptPod, deletePod, operatorPodName, sandboxInfo, waitForPod, waitForPodGone } from './helpers/sandbox.ts';

const info = sandboxInfo();
const kc = adminConfig();
const pod = operatorPodName(info);
const namespace = 'openshift-etcd-operator';

function get(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe('one forward to the operator', () => {
  let session: PortForwardSession;
  before(async () => {
    session = await startPortForward({ kubeConfig: kc, namespace, pod, remotePort: 6060, localPort: 0 });
  });
  after(async () => session?.stop());

  test('50 concurrent connections all get complete answers', async () => {
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 50 }, () => get(session.localPort, '/debug/pprof/goroutine?debug=1')));
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.match(r.body.toString('utf8'), /^goroutine profile: total \d+/);
    }
    assert.ok(session.totalConnections >= 50);
    console.log(`50 concurrent goroutine dumps through one forward: ${Date.now() - t0} ms`);
    // Every pair is released once its connection ends.
    const deadline = Date.now() + 5000;
    while (session.activeConnections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(session.activeConnections, 0);
  });

  test('a port with nothing listening in the pod fails that connection, not the forward', async () => {
    const dead = await startPortForward({ kubeConfig: kc, namespace, pod, remotePort: 6999, localPort: 0 });
    try {
      await assert.rejects(get(dead.localPort, '/'), /socket hang up|ECONNRESET/);
      const deadline = Date.now() + 5000;
      while (!dead.lastError && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(dead.lastError ?? '', /6999/);
      assert.equal(dead.activeConnections, 0);
      assert.equal(dead.state, 'active');
    } finally {
      await dead.stop();
    }
    // The working forward is unaffected.
    assert.equal((await get(session.localPort, '/debug/pprof/')).status, 200);
  });
});

test('local port: the remote one when free, another when taken, and the description says so', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as net.AddressInfo).port;
  try {
    const s = await startPortForward({ kubeConfig: kc, namespace, pod, remotePort: 6060, localPort: taken });
    try {
      assert.notEqual(s.localPort, taken);
      assert.equal(s.samePort, false);
      assert.match(s.describe(), new RegExp(`local port ${taken} was in use`));
      assert.equal((await get(s.localPort, '/debug/pprof/')).status, 200);
    } finally {
      await s.stop();
    }
  } finally {
    blocker.close();
  }
  // A free preferred port is taken as is.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const free = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const s2 = await startPortForward({ kubeConfig: kc, namespace, pod, remotePort: 6060, localPort: free });
  assert.equal(s2.localPort, free);
  assert.equal(s2.samePort, true);
  await s2.stop();
});

test('stop() closes live connections and the listener', async () => {
  const s = await startPortForward({ kubeConfig: kc, namespace, pod, remotePort: 6060, localPort: 0 });
  // A 20 s CPU profile holds its connection open.
  const pending = get(s.localPort, '/debug/pprof/profile?seconds=20').then(
    () => 'answered',
    () => 'closed',
  );
  const deadline = Date.now() + 5000;
  while (s.activeConnections === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(s.activeConnections, 1);
  const t0 = Date.now();
  await s.stop();
  assert.equal(await pending, 'closed');
  assert.ok(Date.now() - t0 < 3000);
  assert.equal(s.state, 'stopped');
  await assert.rejects(get(s.localPort, '/'), /ECONNREFUSED/);
});

test('registry: one forward per pod and port, counted, stopped together', async () => {
  const registry = new ForwardRegistry();
  let changes = 0;
  registry.onDidChange(() => changes++);
  const a = await registry.start(kc, { namespace, pod, remotePort: 6060 }, 0);
  const b = await registry.start(kc, { namespace, pod, remotePort: 6060 }, 0);
  assert.equal(a, b);
  assert.equal(registry.list().length, 1);
  assert.equal(registry.get('sandbox', { namespace, pod, remotePort: 6060 }), a);
  registry.podGone('sandbox', namespace, pod, 'test');
  assert.equal(a.state, 'pod-gone');
  assert.equal(registry.get('sandbox', { namespace, pod, remotePort: 6060 }), undefined);
  const c = await registry.reconnect(kc, a);
  assert.equal(c.state, 'active');
  assert.equal((await get(c.localPort, '/debug/pprof/')).status, 200);
  await registry.stopAll();
  assert.equal(registry.list().length, 0);
  assert.ok(changes >= 3);
});

test('a forward whose pod is deleted turns pod-gone, with the reason', async () => {
  const scratch = await createScratchOperator(kc, info, 'fwd-gone');
  const registry = new ForwardRegistry();
  const s = await registry.start(kc, { namespace, pod: scratch, remotePort: 6060 }, 0);
  try {
    assert.ok(s.podUid, 'uid recorded at start');
    assert.equal((await get(s.localPort, '/debug/pprof/')).status, 200);
    assert.deepEqual(await registry.checkPods(), []);
    await deletePod(kc, namespace, scratch, 0);
    await waitForPodGone(kc, namespace, scratch);
    const gone = await registry.checkPods();
    assert.deepEqual(gone, [s]);
    assert.equal(s.state, 'pod-gone');
    assert.match(s.lastError ?? '', new RegExp(`${scratch} (was deleted|is being deleted)`));
  } finally {
    await registry.stopAll();
  }
});

test('a forward whose pod restarted a container turns pod-restarted; reconnect reaches the new process', async () => {
  const name = `fwd-restart-${Math.random().toString(36).slice(2, 7)}`;
  const port = 32000 + Math.floor(Math.random() * 1000);
  // Answers its pid; exits on /exit so the node agent restarts it (restartPolicy Always).
  const server = `require('node:http').createServer((req, res) => { res.end(String(process.pid)); if (req.url === '/exit') setTimeout(() => process.exit(3), 50); }).listen(${port}, '127.0.0.1');`;
  await createScriptPod(kc, { namespace, name, node: info.nodes[2].name, script: server, readinessPort: port });
  const registry = new ForwardRegistry();
  try {
    await waitForPod(kc, namespace, name, (p) => p.status?.containerStatuses?.[0]?.ready === true);
    const s = await registry.start(kc, { namespace, pod: name, remotePort: port }, 0);
    assert.equal(s.podRestarts, 0);
    const first = (await get(s.localPort, '/')).body.toString();
    assert.deepEqual(await registry.checkPods(), []);
    await get(s.localPort, '/exit');
    await waitForPod(kc, namespace, name, (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && p.status?.containerStatuses?.[0]?.ready === true);
    assert.deepEqual(await registry.checkPods(), [s]);
    assert.equal(s.state, 'pod-restarted');
    assert.equal(s.staleLabel, 'pod restarted');
    assert.match(s.lastError ?? '', /restarted — server \(1\)/);
    const next = await registry.reconnect(kc, s);
    assert.equal(next.state, 'active');
    assert.equal(next.localPort, s.localPort, 'same local port after reconnect');
    const second = (await get(next.localPort, '/')).body.toString();
    assert.match(second, /^\d+$/);
    assert.notEqual(second, first, 'a new process answers');
  } finally {
    await registry.stopAll();
    await deletePod(kc, namespace, name, 0);
  }
});
