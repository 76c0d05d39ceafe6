// Faults in the cluster, each injected for real against the sandbox, each expected to give a clear message,
// leave no partial file and no stale forward, and leave the next action working:
//   an etcd member's process killed (SIGKILL) during a 10 s CPU capture; a member recreated under a new pod
//   name while a forward to it is open; the API server (through a fault proxy) dropping every connection
//   mid-transfer, answering slowly, restarting; a token revoked mid-session (401); 403 for each verb the
//   extension uses (list pods, get pods/log, get secrets, create pods/exec, create pods/portforward); the local
//   port taken; kubeconfig missing, unreadable or pointing nowhere; a capture over the size cap.
import { PRIVATE_TMP } from './helpers/leaks.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { capture } from '../../src/capture/capture.ts';
import { runCaptureCommand } from '../../src/capture/cliCapture.ts';
import { captureKind } from '../../src/capture/kinds.ts';
import { CaptureError } from '../../src/capture/validate.ts';
import { ClusterError } from '../../src/cluster/errors.ts';
import { loadEtcdTls } from '../../src/cluster/etcdCerts.ts';
import { execInPod } from '../../src/cluster/exec.ts';
import { ForwardRegistry } from '../../src/cluster/forwardRegistry.ts';
import { loadKubeconfig, NoKubeconfigError } from '../../src/cluster/kubeconfig.ts';
import { discoverPods } from '../../src/cluster/pods.ts';
import { startPortForward } from '../../src/cluster/portForward.ts';
import { adminConfig, etcdPodNames, operatorPodName, sandboxInfo, SANDBOX_DIR, waitForPod } from '../integration/helpers/sandbox.ts';
import { verifyCaptureFile } from '../integration/helpers/verify.ts';
import { etcdMemberPid, fault, filesUnder, recreatePod, runningReady, serviceAccountWith } from './helpers/cluster.ts';
import { FaultProxy, kubeConfigFor } from './helpers/faultProxy.ts';
import { guardLeaks } from './helpers/leaks.ts';

const SRC = 'faults';
const info = sandboxInfo();
const admin = adminConfig();
const OPERATOR_NS = 'openshift-etcd-operator';
const ETCD_NS = 'openshift-etcd';
const operator = operatorPodName(info);
const out = path.join(PRIVATE_TMP, 'captures');

// Registered first, so the captures dir is gone when the leak guard counts temp entries.
after(() => rmSync(out, { recursive: true, force: true }));
guardLeaks(SRC, async () => {
  // The first capture loads modules and warms the client; what it opens must be closed again.
  const r = await capture({ kubeConfig: admin, namespace: OPERATOR_NS, pod: operator, kind: 'goroutine', folder: out, method: 'forward' });
  rmSync(r.file);
  rmSync(out, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<CaptureError> {
  const err = await p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CaptureError, `not a CaptureError: ${(err as Error)?.stack ?? String(err)}`);
  return err;
}

/** The kubeconfig's token replaced in place, as a refreshed (or expired) login does. */
function setToken(kc: KubeConfig, token: string): void {
  (kc.users[0] as { token?: string }).token = token;
}

/** No capture, partial or temporary file (the captures folder's own `.gitignore` of `*` is not a capture). */
function noFiles(dir: string): void {
  assert.deepEqual(filesUnder(dir).filter((f) => path.basename(f) !== '.gitignore'), [], `files left in ${dir}`);
}

async function works(kc: KubeConfig, namespace: string, pod: string, dir: string, extra: Partial<Parameters<typeof capture>[0]> = {}): Promise<void> {
  const r = await capture({ kubeConfig: kc, namespace, pod, kind: 'heap', folder: dir, ...extra });
  verifyCaptureFile(r.file, captureKind('heap'));
  rmSync(r.file);
}

describe('etcd members', () => {
  test('a member killed (SIGKILL) during a 10 s CPU capture: clear message, no file, next capture works', { timeout: 120_000 }, () =>
    fault(SRC, 'member-killed-mid-cpu', async () => {
      const [member] = etcdPodNames(info).slice(1);
      const node = info.pods.find((p) => p.name === member)!.node;
      const dir = path.join(out, 'kill');
      const core = admin.makeApiClient(CoreV1Api);
      const before = await core.readNamespacedPod({ name: member, namespace: ETCD_NS });
      const p = capture({ kubeConfig: admin, namespace: ETCD_NS, pod: member, kind: 'cpu', seconds: 10, method: 'forward', folder: dir });
      await new Promise((r) => setTimeout(r, 3000));
      const pid = etcdMemberPid(info.pid, node);
      assert.ok(pid, `etcd process of ${node} not found under the orchestrator ${info.pid}`);
      process.kill(pid, 'SIGKILL');
      const err = await failure(p);
      console.log(`killed etcd pid ${pid}: [${err.code}] ${err.message}`);
      assert.ok(['pod-not-running', 'connection-dropped'].includes(err.code), `${err.code}: ${err.message}`);
      assert.match(err.message, /restarted|dropped|deleted/);
      assert.match(err.message, /Nothing was saved|nothing saved/i);
      noFiles(dir);
      // The node agent restarts the container; the member rejoins and the next capture works.
      await waitForPod(admin, ETCD_NS, member, (x) => runningReady(x) && (x.status?.containerStatuses ?? []).some((c) => (c.restartCount ?? 0) > (before.status?.containerStatuses?.find((b) => b.name === c.name)?.restartCount ?? 0)), 90_000);
      await works(admin, ETCD_NS, member, dir, { method: 'forward' });
    }));

  test('a member recreated under a new pod name during a forward: the old forward is marked gone, a capture by the new name works', { timeout: 240_000 }, () =>
    fault(SRC, 'member-renamed-during-forward', async () => {
      const member = etcdPodNames(info)[2];
      const renamed = `${member}-r${Math.random().toString(36).slice(2, 6)}`;
      const dir = path.join(out, 'rename');
      const registry = new ForwardRegistry();
      const ctx = admin.getCurrentContext();
      try {
        const old = await registry.start(admin, { namespace: ETCD_NS, pod: member, remotePort: 2379 }, 0);
        const first = await capture({ kubeConfig: admin, namespace: ETCD_NS, pod: member, kind: 'goroutine', folder: dir, registry });
        assert.equal(first.forward?.reused, true);
        rmSync(first.file);
        await recreatePod(admin, ETCD_NS, member, renamed);
        // The old forward's next connection hears that the pod is gone.
        await new Promise<void>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port: old.localPort }, () => s.write('GET / HTTP/1.0\r\n\r\n'));
          s.on('close', () => resolve()).on('error', () => undefined);
        });
        const deadline = Date.now() + 10_000;
        while (old.state === 'active' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        console.log(`old forward: state ${old.state}, ${old.lastError}`);
        assert.equal(old.state, 'pod-gone');
        assert.match(old.lastError ?? '', /not found|404|not running|deleted/i);
        assert.equal(old.activeConnections, 0);
        assert.equal(registry.get(ctx, { namespace: ETCD_NS, pod: member, remotePort: 2379 }), undefined, 'a stale forward is offered for reuse');
        // The old name: a clear 404.
        const gone = await failure(capture({ kubeConfig: admin, namespace: ETCD_NS, pod: member, kind: 'heap', folder: dir, registry }));
        assert.match(gone.message, /Not found \(404\): pods etcd-master-\d in openshift-etcd/);
        // The new name works (its own forward: none is registered for it).
        const r = await capture({ kubeConfig: admin, namespace: ETCD_NS, pod: renamed, kind: 'heap', folder: dir, registry });
        assert.equal(r.forward?.reused, false);
        verifyCaptureFile(r.file, captureKind('heap'));
        rmSync(r.file);
        noFiles(dir);
      } finally {
        await registry.stopAll();
        // Put the member back under its own name for the tests that follow.
        const core = admin.makeApiClient(CoreV1Api);
        const exists = await core.readNamespacedPod({ name: renamed, namespace: ETCD_NS }).then(() => true, () => false);
        if (exists) await recreatePod(admin, ETCD_NS, renamed, member);
      }
    }));
});

describe('the API server, through a fault proxy', () => {
  let proxy: FaultProxy;
  let viaProxy: KubeConfig;
  before(async () => {
    proxy = new FaultProxy(Number(new URL(info.server).port));
    await proxy.start();
    viaProxy = kubeConfigFor(`https://127.0.0.1:${proxy.port}`, info.caFile, info.adminToken, 'via-proxy');
  });
  after(() => proxy.stop());

  for (const method of ['forward', 'exec'] as const) {
    test(`drops every connection mid-transfer (${method}): clear message, no file, next capture works`, { timeout: 90_000 }, () =>
      fault(SRC, `api-drop-${method}`, async () => {
        const dir = path.join(out, `drop-${method}`);
        const p = capture({ kubeConfig: viaProxy, namespace: OPERATOR_NS, pod: operator, kind: 'cpu', seconds: 5, method, folder: dir });
        await new Promise((r) => setTimeout(r, 2500));
        const n = proxy.dropAll();
        const err = await failure(p);
        console.log(`dropped ${n} connections (${method}): [${err.code}] ${err.message}`);
        assert.ok(n >= 1);
        assert.ok(['connection-dropped', 'pod-not-running'].includes(err.code), `${err.code}: ${err.message}`);
        assert.match(err.message, /dropped/);
        noFiles(dir);
        await works(viaProxy, OPERATOR_NS, operator, dir, { method });
      }));
  }

  test('answers slowly (150 ms per chunk each way): the capture completes and is valid', { timeout: 120_000 }, () =>
    fault(SRC, 'api-slow', async () => {
      proxy.delayMs = 150;
      try {
        const t0 = Date.now();
        await works(viaProxy, OPERATOR_NS, operator, path.join(out, 'slow'), { method: 'forward' });
        const ms = Date.now() - t0;
        console.log(`slow API server: heap capture in ${ms} ms`);
        assert.ok(ms >= 300, `the delay was applied (${ms} ms)`);
      } finally {
        proxy.delayMs = 0;
      }
    }));

  test('restarts (connections dropped, refused for 3 s): in-flight and new captures fail clearly, the next one works', { timeout: 90_000 }, () =>
    fault(SRC, 'api-restart', async () => {
      const dir = path.join(out, 'restart');
      const inflight = capture({ kubeConfig: viaProxy, namespace: OPERATOR_NS, pod: operator, kind: 'cpu', seconds: 4, method: 'forward', folder: dir });
      await new Promise((r) => setTimeout(r, 1500));
      const restarting = proxy.restart(3000);
      const e1 = await failure(inflight);
      await new Promise((r) => setTimeout(r, 200));
      const e2 = await failure(capture({ kubeConfig: viaProxy, namespace: OPERATOR_NS, pod: operator, kind: 'heap', folder: dir }));
      console.log(`in flight: [${e1.code}] ${e1.message}\nduring the restart: [${e2.code}] ${e2.message}`);
      assert.match(e1.message, /dropped|reach/i);
      assert.match(e2.message, /Cannot reach the API server \(ECONNREFUSED\)/);
      await restarting;
      noFiles(dir);
      await works(viaProxy, OPERATOR_NS, operator, dir);
    }));
});

describe('credentials', () => {
  test('a token that expires mid-session (401): the forward reports it, a capture says to log in again, no file; a fresh token works on the same forward', { timeout: 90_000 }, () =>
    fault(SRC, 'token-401-mid-session', async () => {
      const dir = path.join(out, '401');
      const sa = await serviceAccountWith(admin, OPERATOR_NS, 'hardening-session', [
        { namespace: OPERATOR_NS, rules: [{ resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }, { resources: ['pods/portforward', 'pods/exec'], verbs: ['create', 'get'] }] },
      ]);
      const kc = kubeConfigFor(info.server, info.caFile, sa.token, 'session');
      const registry = new ForwardRegistry();
      const endpoint = { port: 6060, scheme: 'http', flavor: 'operator', container: 'etcd-operator' } as const;
      try {
        const fwd = await registry.start(kc, { namespace: OPERATOR_NS, pod: operator, remotePort: 6060 }, 0);
        const ok = await capture({ kubeConfig: kc, namespace: OPERATOR_NS, pod: operator, kind: 'goroutine', folder: dir, registry, endpoint });
        rmSync(ok.file);
        // The token in the session's kubeconfig is no longer accepted (what an expired token looks like).
        setToken(kc, `${sa.token.slice(0, -8)}expired0`);
        const err = await failure(capture({ kubeConfig: kc, namespace: OPERATOR_NS, pod: operator, kind: 'heap', folder: dir, registry, endpoint }));
        console.log(`expired token: [${err.code}] ${err.message}`);
        assert.equal(err.code, 'unauthorized');
        assert.match(err.message, /Unauthorized \(401\).*Log in again/);
        // The forward itself hears 401 on its next connection, and holds nothing open.
        await new Promise<void>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port: fwd.localPort }, () => s.write('GET / HTTP/1.0\r\n\r\n'));
          s.on('close', () => resolve()).on('error', () => undefined);
        });
        assert.match(fwd.lastError ?? '', /Unauthorized \(401\)/);
        assert.equal(fwd.activeConnections, 0);
        noFiles(dir);
        // Log in again: the fresh token in the same kubeconfig; the forward still listening uses it.
        setToken(kc, sa.token);
        const again = await capture({ kubeConfig: kc, namespace: OPERATOR_NS, pod: operator, kind: 'heap', folder: dir, registry, endpoint });
        assert.equal(again.forward?.localPort, fwd.localPort);
        verifyCaptureFile(again.file, captureKind('heap'));
        rmSync(again.file);
      } finally {
        await registry.stopAll();
        await sa.remove();
      }
    }));

  test('403 for each verb used, each message naming the verb, resource and namespace', { timeout: 90_000 }, () =>
    fault(SRC, 'forbidden-every-verb', async () => {
      const none = await serviceAccountWith(admin, ETCD_NS, 'hardening-none', []);
      const podsOnly = await serviceAccountWith(admin, ETCD_NS, 'hardening-pods', [
        { namespace: ETCD_NS, rules: [{ resources: ['pods'], verbs: ['get', 'list'] }] },
        { namespace: OPERATOR_NS, rules: [{ resources: ['pods'], verbs: ['get', 'list'] }] },
      ]);
      try {
        const kcNone = kubeConfigFor(info.server, info.caFile, none.token, 'none');
        const kcPods = kubeConfigFor(info.server, info.caFile, podsOnly.token, 'pods-only');
        const seen: string[] = [];
        // list pods
        const d = await discoverPods(kcNone.makeApiClient(CoreV1Api), 'none');
        const listErr = d.groups.map((g) => g.error ?? '').join(' ');
        assert.match(listErr, /missing `list pods` in openshift-etcd/);
        seen.push(listErr);
        // get pods/log: endpoint detection of the operator reads its log
        const d2 = await discoverPods(kcPods.makeApiClient(CoreV1Api), 'pods-only');
        const op = d2.groups.flatMap((g) => g.pods).find((p) => p.name === operator);
        const logNote = op?.endpointNote ?? '';
        assert.match(logNote, /Forbidden \(403\): your user is missing `get pods\/log` in openshift-etcd-operator/);
        seen.push(logNote);
        const member = etcdPodNames(info)[0];
        const pod = await kcPods.makeApiClient(CoreV1Api).readNamespacedPod({ name: member, namespace: ETCD_NS });
        // get secrets (and the fallback, create pods/exec)
        const secretErr = await loadEtcdTls(kcPods, pod).then(() => assert.fail('expected 403'), (e: Error) => e);
        seen.push(secretErr.message);
        assert.match(secretErr.message, /Needs `get secrets` or `create pods\/exec` in openshift-etcd/);
        // create pods/exec
        const execErr = await execInPod({ kubeConfig: kcPods, namespace: ETCD_NS, pod: member, container: 'etcd', command: ['true'] }).then(() => assert.fail('expected 403'), (e: Error) => e);
        assert.ok(execErr instanceof ClusterError && execErr.code === 'forbidden');
        assert.match(execErr.message, /missing `create pods\/exec` in openshift-etcd/);
        seen.push(execErr.message);
        // create pods/portforward
        const pfErr = await startPortForward({ kubeConfig: kcPods, namespace: ETCD_NS, pod: member, remotePort: 2379, localPort: 0 }).then(() => assert.fail('expected 403'), (e: Error) => e);
        assert.match(pfErr.message, /missing `create pods\/portforward` in openshift-etcd/);
        seen.push(pfErr.message);
        for (const s of seen) console.log(`403: ${s}`);
        noFiles(out);
      } finally {
        await none.remove();
        await podsOnly.remove();
      }
    }));
});

describe('local', () => {
  test('the local port taken: the forward takes another port and says so; captures through it work', { timeout: 60_000 }, () =>
    fault(SRC, 'local-port-taken', async () => {
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, () => r()));
      const taken = (blocker.address() as net.AddressInfo).port;
      const registry = new ForwardRegistry();
      try {
        const s = await registry.start(admin, { namespace: OPERATOR_NS, pod: operator, remotePort: 6060 }, taken);
        assert.notEqual(s.localPort, taken);
        assert.match(s.describe(), new RegExp(`local port ${taken} was in use`));
        await works(admin, OPERATOR_NS, operator, path.join(out, 'port'), { registry });
      } finally {
        await registry.stopAll();
        await new Promise<void>((r) => blocker.close(() => r()));
      }
    }));

  test('kubeconfig missing, unreadable, or pointing nowhere: clear messages, CLI exit codes, nothing saved', { timeout: 60_000 }, () =>
    fault(SRC, 'kubeconfig-bad', async () => {
      const dir = path.join(out, 'kubeconfig');
      mkdirSync(dir, { recursive: true });
      const missing = path.join(dir, 'no-such-kubeconfig');
      assert.throws(() => loadKubeconfig(missing), (e: Error) => e instanceof NoKubeconfigError && e.message.includes(missing));
      const garbage = path.join(dir, 'garbage.yaml');
      writeFileSync(garbage, 'apiVersion: v1\nclusters: [ {{{ not yaml\n\u0000\u0001');
      assert.throws(() => loadKubeconfig(garbage), /Cannot read kubeconfig .*garbage\.yaml/);
      assert.throws(() => loadKubeconfig(dir), /Cannot read kubeconfig/);
      // Pointing nowhere: a port where nothing listens.
      const closed = net.createServer();
      await new Promise<void>((r) => closed.listen({ host: '127.0.0.1', port: 0 }, () => r()));
      const deadPort = (closed.address() as net.AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const nowhere = kubeConfigFor(`https://127.0.0.1:${deadPort}`, info.caFile, info.adminToken, 'nowhere');
      const err = await failure(capture({ kubeConfig: nowhere, namespace: OPERATOR_NS, pod: operator, kind: 'heap', folder: path.join(dir, 'caps') }));
      assert.match(err.message, /Cannot reach the API server \(ECONNREFUSED\)/);
      // The CLI says the same and exits non-zero.
      const lines: string[] = [];
      const io = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l) };
      const c1 = await runCaptureCommand(['--kubeconfig', missing, '-n', OPERATOR_NS, operator, 'heap', '--folder', path.join(dir, 'caps')], io);
      const c2 = await runCaptureCommand(['--kubeconfig', garbage, '-n', OPERATOR_NS, operator, 'heap', '--folder', path.join(dir, 'caps')], io);
      console.log(`CLI: exit ${c1}, ${c2}: ${lines.join(' | ')}`);
      assert.ok(c1 !== 0 && c2 !== 0);
      assert.match(lines.join('\n'), /No kubeconfig found/);
      assert.match(lines.join('\n'), /Cannot read kubeconfig/);
      assert.deepEqual(filesUnder(path.join(dir, 'caps')), []);
      // And the next action with a good kubeconfig works.
      const code = await runCaptureCommand(['--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '-n', OPERATOR_NS, operator, 'heap', '--folder', path.join(dir, 'caps')], io);
      assert.equal(code, 0, lines.join('\n'));
      rmSync(dir, { recursive: true, force: true });
    }));

  for (const method of ['forward', 'exec'] as const) {
    test(`an answer over the size cap (${method}) stops with a message naming the setting; nothing saved`, { timeout: 60_000 }, () =>
      fault(SRC, `too-large-${method}`, async () => {
        const dir = path.join(out, `cap-${method}`);
        const err = await failure(capture({ kubeConfig: admin, namespace: OPERATOR_NS, pod: operator, kind: 'heap', method, folder: dir, maxBytes: 2048 }));
        console.log(`cap (${method}): [${err.code}] ${err.message}`);
        assert.equal(err.code, 'too-large');
        assert.match(err.message, /larger than 2048 bytes \(the etcdProfiler\.maxCaptureMB setting\); stopped, nothing saved/);
        noFiles(dir);
        await works(admin, OPERATOR_NS, operator, dir, { method });
      }));
  }
});
