// `etcd-profiler capture` as a user runs it (a child process), and the pprof index of the operator and a member.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { captureKind } from '../../src/capture/kinds.ts';
import { fetchPprofIndex } from '../../src/capture/pprofIndex.ts';
import { parseCaptureMeta, sidecarPath } from '../../src/profile/captureMeta.ts';
import { adminConfig, etcdPodNames, operatorPodName, REPO, sandboxInfo, SANDBOX_DIR } from './helpers/sandbox.ts';
import { verifyCaptureFile } from './helpers/verify.ts';

const info = sandboxInfo();
let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ep-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO, 'src/cli.ts'), ...args], { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('capture a CPU profile from an etcd member to -o FILE', async () => {
  const out = path.join(dir, 'member-cpu.pb.gz');
  const r = await cli(['capture', '--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '-n', 'openshift-etcd', etcdPodNames(info)[1], 'cpu', '--seconds', '2', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), out);
  assert.match(r.stderr, /Recording CPU profile: 2 s left/);
  assert.match(r.stderr, /Client certificate from secret openshift-etcd\/etcd-all-certs/);
  verifyCaptureFile(out, captureKind('cpu'));
  // The sidecar `etcd-profiler source` reads, as the extension writes it: etcd's version from the member itself.
  const etcdVersion = /^ETCD_VERSION=v(\S+)$/m.exec(readFileSync(path.join(REPO, 'test/sandbox/versions.env'), 'utf8'))![1];
  const meta = parseCaptureMeta(readFileSync(sidecarPath(out), 'utf8'));
  assert.equal(meta.etcdVersion, etcdVersion, JSON.stringify(meta));
  assert.ok(meta.mainModules?.includes(`go.etcd.io/etcd/server/v3@v${etcdVersion}`), JSON.stringify(meta));
});

test('--no-metadata: the profile alone, no sidecar', async () => {
  const out = path.join(dir, 'member-heap.pb.gz');
  const r = await cli(['capture', '--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '-n', 'openshift-etcd', etcdPodNames(info)[2], 'heap', '--no-metadata', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  verifyCaptureFile(out, captureKind('heap'));
  assert.equal(existsSync(sidecarPath(out)), false);
});

test('default folder layout under the working directory, context by name', async () => {
  const r = await cli(['capture', '--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '--context', 'sandbox', '-n', 'openshift-etcd-operator', operatorPodName(info), 'goroutine-debug2']);
  assert.equal(r.code, 0, r.stderr);
  const file = r.stdout.trim();
  assert.ok(file.startsWith(path.join('.profiles', 'sandbox', 'openshift-etcd-operator', operatorPodName(info), 'goroutine-debug2-')), file);
  verifyCaptureFile(path.join(dir, file), captureKind('goroutine-debug2'));
});

test('restricted user, forced forward: exit 1, the 403 message, no file', async () => {
  const out = path.join(dir, 'nope.pb.gz');
  const r = await cli(['capture', '--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig-restricted'), '-n', 'openshift-etcd', etcdPodNames(info)[0], 'heap', '--method', 'forward', '-o', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /etcd-profiler capture: Forbidden \(403\): your user is missing `create pods\/portforward` in openshift-etcd/);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
});

test('bad kind and missing arguments are usage errors', async () => {
  const r = await cli(['capture', '--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '-n', 'openshift-etcd', 'x', 'flamegraph']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Unknown capture kind "flamegraph"/);
  const r2 = await cli(['capture', 'pod-only']);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /Usage: etcd-profiler capture/);
});

test('pprof index of the operator and of a member lists the profiles with counts', async () => {
  const kc = adminConfig();
  const op = await fetchPprofIndex({ kubeConfig: kc, namespace: 'openshift-etcd-operator', pod: operatorPodName(info) });
  const goroutines = op.entries.find((e) => e.name === 'goroutine');
  assert.ok(goroutines && (goroutines.count ?? 0) > 10, 'operator parks goroutines');
  const member = await fetchPprofIndex({ kubeConfig: kc, namespace: 'openshift-etcd', pod: etcdPodNames(info)[2] });
  assert.equal(member.answer.endpoint.scheme, 'https');
  assert.ok(member.entries.some((e) => e.name === 'heap' && (e.count ?? 0) > 0));
});
