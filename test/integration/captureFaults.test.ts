// Failures that must say what to do and save nothing: the restricted user's 403s (and the exec fallback that
// works for them), a pod deleted during a 10 s CPU capture (forward and exec), a pod that is not running,
// a second CPU profile while one runs, cancel.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { CoreV1Api } from '@kubernetes/client-node';
import { capture } from '../../src/capture/capture.ts';
import { captureKind } from '../../src/capture/kinds.ts';
import { loadEtcdTls } from '../../src/cluster/etcdCerts.ts';
import { ClusterError } from '../../src/cluster/errors.ts';
import { startPortForward } from '../../src/cluster/portForward.ts';
import { adminConfig, createScratchOperator, deletePod, etcdPodNames, operatorPodName, restrictedConfig, sandboxInfo, waitForPodGone } from './helpers/sandbox.ts';
import { captureError, verifyCaptureFile } from './helpers/verify.ts';

const info = sandboxInfo();
const admin = adminConfig();
const restricted = restrictedConfig();
const member = etcdPodNames(info)[0];
let folder: string;

before(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'ep-faults-'));
});
after(() => rmSync(folder, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('restricted user (no get secrets, no create pods/portforward in openshift-etcd)', () => {
  test('port-forward to an etcd member: 403 naming the verb, resource and namespace', async () => {
    const err = await startPortForward({ kubeConfig: restricted, namespace: 'openshift-etcd', pod: member, remotePort: 2379 }).then(
      () => assert.fail('expected 403'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ClusterError);
    assert.equal(err.code, 'forbidden');
    assert.match(err.message, /missing `create pods\/portforward` in openshift-etcd/);
    assert.match(err.message, /capture by exec/);
  });

  test('the WebSocket upgrade itself is refused with the same message (no preflight)', async () => {
    const s = await startPortForward({ kubeConfig: restricted, namespace: 'openshift-etcd', pod: member, remotePort: 2379, localPort: 0, preflight: false });
    try {
      await new Promise<void>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: s.localPort, path: '/', agent: false });
        req.on('error', () => resolve());
        req.on('response', () => resolve());
      });
      assert.match(s.lastError ?? '', /Forbidden \(403\).*`create pods\/portforward` in openshift-etcd/);
      assert.equal(s.activeConnections, 0);
    } finally {
      await s.stop();
    }
  });

  test('forced forward capture fails with the 403 message and saves nothing', async (t) => {
    const err = await captureError(capture({ kubeConfig: restricted, namespace: 'openshift-etcd', pod: member, kind: 'heap', method: 'forward', folder }));
    t.diagnostic(err.message);
    assert.equal(err.code, 'forbidden');
    assert.match(err.message, /`create pods\/portforward` in openshift-etcd/);
    assert.deepEqual(filesUnder(folder), []);
  });

  test('etcd client certificate: secrets are forbidden, the files are read by exec instead', async () => {
    const core = restricted.makeApiClient(CoreV1Api);
    const pod = await core.readNamespacedPod({ name: member, namespace: 'openshift-etcd' });
    const material = await loadEtcdTls(restricted, pod);
    assert.match(material.source, /^files in openshift-etcd\/.* container etcd \(\/etc\/kubernetes\/static-pod-certs\/secrets\/etcd-all-certs\/etcd-serving-/);
    assert.match(material.cert.toString('utf8'), /-----BEGIN CERTIFICATE-----/);
    assert.match(material.ca.toString('utf8'), /-----BEGIN CERTIFICATE-----/);
  });

  test('auto: falls back to exec and the capture succeeds', async () => {
    const logs: string[] = [];
    const result = await capture({ kubeConfig: restricted, namespace: 'openshift-etcd', pod: member, kind: 'heap', folder, log: (l) => logs.push(l) });
    assert.equal(result.method, 'exec');
    verifyCaptureFile(result.file, captureKind('heap'));
    assert.ok(logs.some((l) => /`create pods\/portforward` in openshift-etcd.*Using exec/.test(l)), logs.join('\n'));
    rmSync(result.file);
  });

  test('auto in the operator namespace (forward allowed) uses a forward', async () => {
    const result = await capture({ kubeConfig: restricted, namespace: 'openshift-etcd-operator', pod: operatorPodName(info), kind: 'goroutine', folder });
    assert.equal(result.method, 'forward');
    rmSync(result.file);
  });
});

describe('pod deleted during a 10 s CPU capture', () => {
  for (const method of ['forward', 'exec'] as const) {
    test(`by ${method}: clear error, no partial file`, async (t) => {
      const pod = await createScratchOperator(admin, info, `kill-${method}`);
      const out = path.join(folder, `kill-${method}`);
      const progress: number[] = [];
      const t0 = Date.now();
      const p = capture({
        kubeConfig: admin,
        namespace: 'openshift-etcd-operator',
        pod,
        kind: 'cpu',
        seconds: 10,
        method,
        folder: out,
        onProgress: (pr) => pr.secondsLeft !== undefined && progress.push(pr.secondsLeft),
      });
      await new Promise((r) => setTimeout(r, 3000));
      await deletePod(admin, 'openshift-etcd-operator', pod, 0);
      const err = await captureError(p);
      const elapsed = Date.now() - t0;
      t.diagnostic(`after ${elapsed} ms: [${err.code}] ${err.message}`);
      assert.ok(['pod-not-running', 'connection-dropped'].includes(err.code), `${err.code}: ${err.message}`);
      assert.match(err.message, /deleted|dropped|restarted/);
      assert.match(err.message, new RegExp(pod));
      assert.ok(elapsed < 10_000 + 15_000, `failed after ${elapsed} ms`);
      assert.ok(progress.length >= 2 && progress[0] === 10, `countdown ${progress.join(',')}`);
      assert.deepEqual(filesUnder(out), []);
      await waitForPodGone(admin, 'openshift-etcd-operator', pod);
    });
  }
});

describe('other failures', () => {
  test('a pod that is not running is refused before anything starts', async () => {
    const pod = await createScratchOperator(admin, info, 'gone');
    const core = admin.makeApiClient(CoreV1Api);
    await core.deleteNamespacedPod({ name: pod, namespace: 'openshift-etcd-operator', gracePeriodSeconds: 30 });
    const err = await captureError(capture({ kubeConfig: admin, namespace: 'openshift-etcd-operator', pod, kind: 'heap', folder }));
    assert.ok(['pod-not-running', 'failed'].includes(err.code), err.message);
    assert.match(err.message, /being deleted|not running|does not exist/);
    await deletePod(admin, 'openshift-etcd-operator', pod, 0);
  });

  test('a missing pod gives a 404 message', async () => {
    const err = await captureError(capture({ kubeConfig: admin, namespace: 'openshift-etcd-operator', pod: 'no-such-pod', kind: 'heap', folder }));
    assert.match(err.message, /Not found \(404\): pods no-such-pod in openshift-etcd-operator/);
  });

  test('a second CPU profile while one runs says so', async (t) => {
    const pod = operatorPodName(info);
    const first = capture({ kubeConfig: admin, namespace: 'openshift-etcd-operator', pod, kind: 'cpu', seconds: 4, folder });
    await new Promise((r) => setTimeout(r, 1500));
    const err = await captureError(capture({ kubeConfig: admin, namespace: 'openshift-etcd-operator', pod, kind: 'cpu', seconds: 1, folder }));
    t.diagnostic(err.message);
    assert.equal(err.code, 'already-running');
    assert.match(err.message, /one at a time/);
    const ok = await first;
    verifyCaptureFile(ok.file, captureKind('cpu'));
    rmSync(ok.file);
  });

  test('cancel during a CPU capture by exec: says the request in the pod runs on', async (t) => {
    const ac = new AbortController();
    const out = path.join(folder, 'cancel-exec');
    const pod = etcdPodNames(info)[2];
    const p = capture({ kubeConfig: admin, namespace: 'openshift-etcd', pod, kind: 'cpu', seconds: 4, folder: out, signal: ac.signal, method: 'exec' });
    setTimeout(() => ac.abort(), 1500);
    const err = await captureError(p);
    t.diagnostic(err.message);
    assert.equal(err.code, 'cancelled');
    assert.match(err.message, /runs until its 4 s are up/);
    assert.deepEqual(filesUnder(out), []);
    await new Promise((r) => setTimeout(r, 4000)); // leave the member's CPU profiler free for other tests
  });

  test('cancel during a CPU capture: quick, nothing saved, own forward closed', async () => {
    const ac = new AbortController();
    const out = path.join(folder, 'cancel');
    const p = capture({ kubeConfig: admin, namespace: 'openshift-etcd', pod: member, kind: 'cpu', seconds: 30, folder: out, signal: ac.signal, method: 'forward' });
    setTimeout(() => ac.abort(), 2500);
    const t0 = Date.now();
    const err = await captureError(p);
    assert.equal(err.code, 'cancelled');
    assert.ok(Date.now() - t0 < 5000);
    assert.deepEqual(filesUnder(out), []);
  });
});
