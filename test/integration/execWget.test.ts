// The exec capture path when a container has wget but no curl (issue 3: "curl (or wget) inside the container").
// Throwaway pods whose PATH is a directory holding only a copy of the host's wget (the node agent runs exec'd
// commands with the container's env, and nsenter finds them on that PATH; the sandbox's bin dir, first on it,
// holds no curl): one runs the operator stand-in with pprof on 127.0.0.1:6060, one sits on master-0's host
// network beside the etcd member with the etcd certificate volume, one with only its CA files. capture() by exec
// brings heap, goroutine debug=2 and a 2 s CPU profile that decode; that wget ran is seen from outside: the wget
// file's access time moves with each capture, and during the CPU profile /proc shows a wget process with this
// pod's environment and the profile URL. Errors through wget: a 404 names the pprof switch exactly as the curl
// path does, nothing listening, a second CPU profile, client certificate files that are not there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, type V1Pod, type V1PodSpec } from '@kubernetes/client-node';
import { capture, type CaptureRequest, type CaptureResult } from '../../src/capture/capture.ts';
import { captureKind, type CaptureKind, type CaptureKindId } from '../../src/capture/kinds.ts';
import { execInPod } from '../../src/cluster/exec.ts';
import { adminConfig, deletePod, etcdPodNames, operatorPodName, sandboxInfo, waitForPod, waitForPodGone, waitForProfilingLog } from './helpers/sandbox.ts';
import { captureError, verifyCaptureFile } from './helpers/verify.ts';

const info = sandboxInfo();
const kc = adminConfig();
const core = kc.makeApiClient(CoreV1Api);
const NS = 'openshift-etcd-operator';
const CERTS_MOUNT = '/etc/kubernetes/static-pod-certs';
const id = Math.random().toString(36).slice(2, 7);
/** Only this test's pods carry it, so their processes are told apart from every other wget on the machine. */
const MARKER = { name: 'EXEC_WGET_TEST', value: id };

let folder = '';
const pods: string[] = [];

function hostBinary(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** A directory for the pods' PATH holding only `wget`: a copy of `binary` (BusyBox picks its applet by that name). */
interface WgetDir {
  dir: string;
  wgetFile: string;
  /** In pod names. */
  label: string;
}

function makeWgetDir(binary: string, label: string): WgetDir {
  const dir = mkdtempSync(path.join(tmpdir(), `ep-${label}-only-`)); // the pods' mount namespaces see the host's /tmp
  chmodSync(dir, 0o755);
  const wgetFile = path.join(dir, 'wget');
  copyFileSync(binary, wgetFile);
  chmodSync(wgetFile, 0o755);
  return { dir, wgetFile, label };
}

async function createPod(name: string, spec: V1PodSpec): Promise<void> {
  pods.push(name);
  await core.createNamespacedPod({ namespace: NS, body: { metadata: { name, namespace: NS, labels: { app: 'exec-wget-test' } }, spec } });
}

const running = (p: V1Pod): boolean => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => !!c.state?.running);

/** The sandbox operator's spec with PATH pointing at the wget-only directory. */
async function startOperatorPod(w: WgetDir): Promise<string> {
  const original = await core.readNamespacedPod({ name: operatorPodName(info), namespace: NS });
  const spec = structuredClone(original.spec!);
  spec.terminationGracePeriodSeconds = 1;
  spec.containers = spec.containers.map((c) => ({ ...c, env: [...(c.env ?? []), { name: 'PATH', value: w.dir }, MARKER] }));
  const name = `exec-${w.label}-operator-${id}`;
  await createPod(name, spec);
  await waitForPod(kc, NS, name, running);
  await waitForProfilingLog(kc, NS, name);
  return name;
}

/**
 * A pod on the first member's node and host network, so 127.0.0.1:2379 is that member, with the member's
 * certificate volume mounted as in the member (`all`) or only its configmaps (CA bundles, no client key).
 */
async function startEtcdSidePod(w: WgetDir, certs: 'all' | 'ca-only'): Promise<string> {
  const member = await core.readNamespacedPod({ name: etcdPodNames(info)[0], namespace: 'openshift-etcd' });
  const etcdContainer = member.spec!.containers.find((c) => c.name === 'etcd')!;
  const mount = etcdContainer.volumeMounts!.find((m) => m.mountPath === CERTS_MOUNT)!;
  const volume = member.spec!.volumes!.find((v) => v.name === mount.name)!;
  const name = `exec-${w.label}-${certs}-${id}`;
  const volumes = certs === 'all' ? [volume] : [{ name: 'ca-only', hostPath: { path: `${volume.hostPath!.path}/configmaps` } }];
  const mounts = certs === 'all' ? [mount] : [{ name: 'ca-only', mountPath: `${CERTS_MOUNT}/configmaps` }];
  await createPod(name, {
    nodeName: member.spec!.nodeName,
    hostNetwork: true,
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: 1,
    volumes,
    containers: [
      {
        name: 'etcd',
        image: 'sandbox/wget-only',
        // By its full path: the container's PATH holds only wget.
        command: ['/bin/sleep', 'infinity'],
        env: [{ name: 'PATH', value: w.dir }, MARKER],
        volumeMounts: mounts,
      },
    ],
  });
  await waitForPod(kc, NS, name, running);
  return name;
}

/** Runs fn and tells whether the wget file in the pods' PATH was executed meanwhile (its atime is reset first). */
async function withWgetWatch<T>(wgetFile: string, fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; ran: boolean }> {
  const old = new Date('2000-01-01T00:00:00Z');
  utimesSync(wgetFile, old, statSync(wgetFile).mtime);
  const out: { value?: T; error?: unknown } = {};
  try {
    out.value = await fn();
  } catch (err) {
    out.error = err;
  }
  return { ...out, ran: statSync(wgetFile).atimeMs > old.getTime() };
}

/** wget processes on this machine that carry this test's pod environment: their argv. */
function podWgetProcesses(): string[][] {
  const found: string[][] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'wget') continue;
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!env.includes(`${MARKER.name}=${MARKER.value}`)) continue;
      found.push(readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

function byExec(pod: string, kind: CaptureKind | CaptureKindId, extra: Partial<CaptureRequest> = {}): Promise<CaptureResult> {
  return capture({ kubeConfig: kc, namespace: NS, pod, kind, seconds: 2, method: 'exec', folder, ...extra });
}

before(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'ep-wget-captures-'));
});

after(async () => {
  // Every pod this file created, also when a test or a start failed.
  await Promise.all(pods.map((name) => deletePod(kc, NS, name, 0)));
  await Promise.all(pods.map((name) => waitForPodGone(kc, NS, name)));
  if (folder) rmSync(folder, { recursive: true, force: true });
});

const etcdEndpoint = { scheme: 'https', port: 2379, flavor: 'etcd', container: 'etcd' } as const;

describe('exec capture with GNU wget and no curl in the container', { timeout: 240_000 }, () => {
  let gnu: WgetDir | undefined;
  let operatorPod = '';
  let etcdPod = '';
  let caOnlyPod = '';
  before(async () => {
    const wget = hostBinary('wget');
    if (!wget) throw new Error('this test needs wget on the host (the sandbox pods run host binaries)');
    gnu = makeWgetDir(wget, 'wget');
    [operatorPod, etcdPod, caOnlyPod] = await Promise.all([startOperatorPod(gnu), startEtcdSidePod(gnu, 'all'), startEtcdSidePod(gnu, 'ca-only')]);
  });
  after(() => {
    if (gnu) rmSync(gnu.dir, { recursive: true, force: true });
  });
  const watched = <T>(fn: () => Promise<T>) => withWgetWatch(gnu!.wgetFile, fn);

  test('in these pods curl is not found and wget is', async () => {
    for (const [pod, container] of [[operatorPod, 'etcd-operator'], [etcdPod, 'etcd'], [caOnlyPod, 'etcd']]) {
      const curl = await execInPod({ kubeConfig: kc, namespace: NS, pod, container, command: ['curl', '--version'] });
      assert.equal(curl.exitCode, 127, `curl in ${pod}: exit ${curl.exitCode} ${curl.stderr}`);
      const wget = await execInPod({ kubeConfig: kc, namespace: NS, pod, container, command: ['wget', '--version'] });
      assert.equal(wget.exitCode, 0, wget.stderr);
      assert.match(wget.stdout.toString(), /^GNU Wget /);
    }
  });

  for (const kindId of ['heap', 'goroutine-debug2'] as const) {
    test(`${kindId} from the operator stand-in by exec: wget ran, the file decodes`, async (t) => {
      const { value: result, error, ran } = await watched(() => byExec(operatorPod, kindId));
      if (error) throw error;
      assert.ok(ran, 'the wget in the pod PATH was executed');
      assert.equal(result!.method, 'exec');
      assert.equal(result!.endpoint.port, 6060);
      assert.equal(path.dirname(result!.file), path.join(folder, 'sandbox', NS, operatorPod));
      const checked = verifyCaptureFile(result!.file, captureKind(kindId));
      t.diagnostic(`${kindId}: ${checked.bytes} bytes${checked.samples !== undefined ? `, ${checked.samples} samples` : ''}`);
    });
  }

  test('a 2 s CPU profile by exec: /proc shows wget in the pod fetching it, the profile decodes', async (t) => {
    const seen: string[][] = [];
    let done = false;
    const watch = (async () => {
      while (!done) {
        seen.push(...podWgetProcesses());
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const t0 = Date.now();
    const { value: result, error, ran } = await watched(() => byExec(operatorPod, 'cpu'));
    done = true;
    await watch;
    if (error) throw error;
    const ms = Date.now() - t0;
    assert.ok(ran, 'the wget in the pod PATH was executed');
    const argv = seen.find((a) => a.some((w) => w.endsWith('/debug/pprof/profile?seconds=2')));
    assert.ok(argv, `no wget process of this pod fetched the CPU profile (saw ${JSON.stringify(seen)})`);
    assert.equal(argv[0], 'wget');
    assert.ok(argv.includes('http://127.0.0.1:6060/debug/pprof/profile?seconds=2'));
    t.diagnostic(`in the pod: ${argv.join(' ')}`);
    const checked = verifyCaptureFile(result!.file, captureKind('cpu'));
    t.diagnostic(`cpu: ${checked.bytes} bytes, ${checked.samples} samples, ${ms} ms`);
    assert.ok(ms >= 2000, `took ${ms} ms`);
  });

  test('a 404 through wget names the pprof switch exactly as the curl path does, and nothing is saved', async (t) => {
    const missing: CaptureKind = { ...captureKind('heap'), path: '/debug/pprof/no-such-profile' };
    const before = filesUnder(folder);
    const viaWget = await watched(() => byExec(operatorPod, missing));
    assert.ok(viaWget.ran, 'wget ran');
    const err = await captureError(Promise.reject(viaWget.error ?? new Error('the capture succeeded')));
    assert.equal(err.code, 'pprof-disabled', err.message);
    assert.match(err.message, /404 for \/debug\/pprof\/no-such-profile/);
    assert.match(err.message, /OPENSHIFT_PROFILE=web/);
    // The sandbox's own operator pod has curl: the same request through the curl path.
    const viaCurl = await captureError(byExec(operatorPodName(info), missing));
    assert.equal(err.message, viaCurl.message);
    t.diagnostic(err.message);
    assert.deepEqual(filesUnder(folder), before);
  });

  test('nothing listening on the port: wget says connection refused', async () => {
    const before = filesUnder(folder);
    const { error } = await watched(() => byExec(operatorPod, 'heap', { endpoint: { scheme: 'http', port: 6061, flavor: 'operator', container: 'etcd-operator' } }));
    const err = await captureError(Promise.reject(error ?? new Error('the capture succeeded')));
    assert.equal(err.code, 'connection-dropped', err.message);
    assert.match(err.message, /^wget in .*nothing listens on that port inside the pod \(connection refused\)/);
    assert.deepEqual(filesUnder(folder), before);
  });

  test('a second CPU profile while one runs: Go refuses, wget brings the reason', async () => {
    const first = byExec(operatorPod, 'cpu', { seconds: 4 });
    await new Promise((r) => setTimeout(r, 1500));
    const err = await captureError(byExec(operatorPod, 'cpu', { seconds: 1 }));
    assert.equal(err.code, 'already-running', err.message);
    verifyCaptureFile((await first).file, captureKind('cpu'));
  });

  test("etcd over mutual TLS by wget, with the member's certificate files mounted in the container", async (t) => {
    const { value: result, error, ran } = await watched(() => byExec(etcdPod, 'heap', { endpoint: etcdEndpoint }));
    if (error) throw error;
    assert.ok(ran, 'wget ran');
    assert.match(result!.tlsSource ?? '', new RegExp(`^files in container etcd \\(${CERTS_MOUNT}/secrets/etcd-all-certs/etcd-serving-master-\\d\\.crt\\)$`));
    const checked = verifyCaptureFile(result!.file, captureKind('heap'));
    t.diagnostic(`etcd heap by wget: ${checked.bytes} bytes, ${checked.samples} samples`);
  });

  test('etcd with the CA but no client certificate in the container: the message says wget cannot tell why TLS failed, nothing is saved', async (t) => {
    const before = filesUnder(folder);
    const t0 = Date.now();
    const { error, ran } = await watched(() => byExec(caOnlyPod, 'heap', { endpoint: etcdEndpoint }));
    const ms = Date.now() - t0;
    assert.ok(ran, 'wget ran');
    const err = await captureError(Promise.reject(error ?? new Error('the capture succeeded')));
    t.diagnostic(`${ms} ms: ${err.message}`);
    assert.equal(err.code, 'tls', err.message);
    assert.match(err.message, /^wget in openshift-etcd-operator\/exec-wget-ca-only-\w+ \(container etcd\): the TLS connection failed and wget does not say why: it skips a client certificate or key it cannot read without a word/);
    const files = `${CERTS_MOUNT}/secrets/etcd-all-certs/etcd-serving-master-\\d`;
    assert.match(err.message, new RegExp(`either ${files}\\.crt or ${files}\\.key is missing or unreadable in the container, or the server refused them`));
    // One try, no retries: wget's default of 20 took minutes.
    assert.ok(ms < 20_000, `took ${ms} ms`);
    assert.deepEqual(filesUnder(folder), before);
  });
});

// BusyBox's wget (Alpine-based images) takes none of GNU wget's extra options: the exec path falls back to the
// options every BusyBox knows, and for mutual TLS says it cannot. Needs a busybox binary (BUSYBOX=/path/to/busybox,
// or busybox on PATH: `npm test` installs Debian's, scripts/setup-machine.sh test); without one these tests fail.
const busybox = process.env.BUSYBOX ?? hostBinary('busybox');

describe('exec capture with BusyBox wget and no curl in the container', { timeout: 120_000 }, () => {
  let bb: WgetDir | undefined;
  let operatorPod = '';
  let etcdPod = '';
  before(async () => {
    if (!busybox) throw new Error('this test needs busybox on the host (apt-get install -y busybox, or BUSYBOX=/path/to/busybox)');
    bb = makeWgetDir(busybox, 'bbwget');
    [operatorPod, etcdPod] = await Promise.all([startOperatorPod(bb), startEtcdSidePod(bb, 'all')]);
  });
  after(() => {
    if (bb) rmSync(bb.dir, { recursive: true, force: true });
  });
  const watched = <T>(fn: () => Promise<T>) => withWgetWatch(bb!.wgetFile, fn);

  test('in these pods curl is not found and wget is BusyBox', async () => {
    for (const [pod, container] of [[operatorPod, 'etcd-operator'], [etcdPod, 'etcd']]) {
      const curl = await execInPod({ kubeConfig: kc, namespace: NS, pod, container, command: ['curl', '--version'] });
      assert.equal(curl.exitCode, 127, `curl in ${pod}: exit ${curl.exitCode} ${curl.stderr}`);
      const wget = await execInPod({ kubeConfig: kc, namespace: NS, pod, container, command: ['wget', '--help'] });
      assert.match(`${wget.stdout.toString()}${wget.stderr}`, /BusyBox v[\d.]+/);
    }
  });

  for (const kindId of ['heap', 'goroutine-debug2'] as const) {
    test(`${kindId} from the operator stand-in by exec through BusyBox wget: the file decodes`, async (t) => {
      const { value: result, error, ran } = await watched(() => byExec(operatorPod, kindId));
      if (error) throw error;
      assert.ok(ran, 'the wget in the pod PATH was executed');
      assert.equal(result!.method, 'exec');
      const checked = verifyCaptureFile(result!.file, captureKind(kindId));
      t.diagnostic(`${kindId}: ${checked.bytes} bytes${checked.samples !== undefined ? `, ${checked.samples} samples` : ''}`);
    });
  }

  test('a 404 through BusyBox wget names the pprof switch as the curl path does, nothing saved', async () => {
    const missing: CaptureKind = { ...captureKind('heap'), path: '/debug/pprof/no-such-profile' };
    const before = filesUnder(folder);
    const err = await captureError(byExec(operatorPod, missing));
    assert.equal(err.code, 'pprof-disabled', err.message);
    const viaCurl = await captureError(byExec(operatorPodName(info), missing));
    assert.equal(err.message, viaCurl.message);
    assert.deepEqual(filesUnder(folder), before);
  });

  test('etcd over mutual TLS: BusyBox wget cannot, and the message says so and what to do', async (t) => {
    const before = filesUnder(folder);
    const { error, ran } = await watched(() => byExec(etcdPod, 'heap', { endpoint: etcdEndpoint }));
    assert.ok(ran, 'wget ran');
    const err = await captureError(Promise.reject(error ?? new Error('the capture succeeded')));
    t.diagnostic(err.message);
    assert.equal(err.code, 'tls', err.message);
    assert.match(err.message, /^wget in openshift-etcd-operator\/exec-bbwget-all-\w+ \(container etcd\) is not GNU wget \(BusyBox\?\) and refused GNU wget's options \(.+\): it has no options for a client certificate and key, so it cannot do the endpoint's mutual TLS\. Capture through a port-forward, or put curl or GNU wget in the container\.$/);
    assert.deepEqual(filesUnder(folder), before);
  });
});
