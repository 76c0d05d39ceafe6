// After mutual-TLS captures from every etcd member (key from the secret through a forward, key files used by
// exec for the restricted user, and the CLI), no private key bytes appear in: the log lines the extension writes
// to its output channel (the `log` callback), progress messages, the settings written, the global and
// workspace storage folders, the process's temp folder, or the saved captures. Needles: each key's PEM body, its
// base64, its DER and its private scalar.
import { PRIVATE_TMP } from './helpers/leaks.ts';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { captureAll } from '../../src/capture/captureAll.ts';
import { runCaptureCommand } from '../../src/capture/cliCapture.ts';
import { adminConfig, etcdPodNames, restrictedConfig, sandboxInfo, SANDBOX_DIR } from '../integration/helpers/sandbox.ts';
import { recordFigure } from './helpers/figures.ts';
import { filesUnder } from './helpers/cluster.ts';
import { guardLeaks } from './helpers/leaks.ts';

const info = sandboxInfo();
const admin = adminConfig();
const members = etcdPodNames(info);
// The folders an extension host gives us, and a workspace with its settings.
const root = path.join(PRIVATE_TMP, 'keys');
const globalStorage = path.join(root, 'globalStorage', 'etcd-profiler.etcd-profiler');
const workspace = path.join(root, 'workspace');
const workspaceStorage = path.join(root, 'workspaceStorage', 'abc123', 'etcd-profiler.etcd-profiler');
after(() => rmSync(root, { recursive: true, force: true }));
guardLeaks('keys');

function needles(pem: string): Buffer[] {
  const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  const b64 = body.join('');
  const jwk = createPrivateKey(pem).export({ format: 'jwk' }) as { d?: string };
  const out = [Buffer.from(b64), Buffer.from(b64, 'base64'), ...body.filter((l) => l.length >= 32).map((l) => Buffer.from(l))];
  if (jwk.d) out.push(Buffer.from(jwk.d, 'base64url'), Buffer.from(jwk.d));
  return out;
}

test('no private key bytes anywhere after mTLS captures from all members', { timeout: 180_000 }, async () => {
  for (const d of [globalStorage, workspaceStorage, path.join(workspace, '.vscode')]) mkdirSync(d, { recursive: true });
  const settings = { 'etcdProfiler.kubeconfig': path.join(SANDBOX_DIR, 'kubeconfig'), 'etcdProfiler.capturesFolder': '.profiles', 'etcdProfiler.captureMethod': 'auto' };
  writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  const output: string[] = [];
  const log = (l: string) => output.push(l);
  const progress = (pod: string, p: { message: string }) => output.push(`${pod}: ${p.message}`);
  // Workspace folder open: captures under <workspace>/.profiles; none open: under global storage.
  const a = await captureAll({ kubeConfig: admin, namespace: 'openshift-etcd', kind: 'heap', method: 'forward', folder: path.join(workspace, '.profiles'), log }, members, progress);
  const b = await captureAll({ kubeConfig: admin, namespace: 'openshift-etcd', kind: 'goroutine-debug2', method: 'forward', folder: path.join(globalStorage, 'captures'), log }, members, progress);
  const c = await captureAll({ kubeConfig: restrictedConfig(), namespace: 'openshift-etcd', kind: 'heap', method: 'auto', folder: path.join(workspace, '.profiles'), log }, members, progress);
  for (const r of [...a, ...b, ...c]) assert.ok(r.result, `${r.pod}: ${r.error?.message}`);
  assert.ok(a.every((r) => /etcd-all-certs/.test(r.result!.tlsSource ?? '')), 'keys came from the secret');
  assert.ok(c.every((r) => r.result!.method === 'exec'), 'the restricted user captured by exec');
  const cli: string[] = [];
  const code = await runCaptureCommand(
    ['--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '-n', 'openshift-etcd', members[1], 'allocs', '--folder', path.join(workspace, '.profiles'), '--method', 'forward'],
    { stdout: (l) => cli.push(l), stderr: (l) => cli.push(l) },
  );
  assert.equal(code, 0, cli.join('\n'));

  const core = admin.makeApiClient(CoreV1Api);
  const keys: string[] = [];
  for (const name of ['etcd-all-certs', 'etcd-client']) {
    const s = await core.readNamespacedSecret({ name, namespace: 'openshift-etcd' });
    for (const [k, v] of Object.entries(s.data ?? {})) if (k.endsWith('.key')) keys.push(Buffer.from(v, 'base64').toString('utf8'));
  }
  assert.ok(keys.length >= members.length * 2 + 1, `${keys.length} keys`);
  const all = keys.flatMap(needles);
  // Everything in the temp folder of this process (PRIVATE_TMP holds the storage dirs and the workspace).
  const files = filesUnder(PRIVATE_TMP);
  assert.ok(files.length >= members.length * 3 + 2, `scanned ${files.length} files`);
  const hay: Array<[string, Buffer]> = files.map((f) => [f, readFileSync(f)]);
  hay.push(['output channel', Buffer.from(output.join('\n'))], ['CLI output', Buffer.from(cli.join('\n'))]);
  let found = 0;
  const where: string[] = [];
  for (const [w, data] of hay) {
    if (data.includes('PRIVATE KEY')) {
      found++;
      where.push(`"PRIVATE KEY" in ${w}`);
    }
    for (const n of all) {
      if (data.includes(n)) {
        found++;
        where.push(`key bytes in ${w}`);
      }
    }
  }
  const line = `scanned ${files.length} files, ${output.length} output lines, ${cli.length} CLI lines against ${all.length} needles from ${keys.length} keys: ${found} found`;
  console.log(line);
  recordFigure('keyScans', files.length + 2, 'keys', line);
  recordFigure('keyBytesFound', found, 'keys', where.join('; '));
  assert.equal(found, 0, where.join('\n'));
});
