// After mutual-TLS captures (key from the secret, and key read by exec for the restricted user), no byte
// sequence of any etcd private key appears in any file written or in any log line, nor in the CLI's output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { capture } from '../../src/capture/capture.ts';
import { runCaptureCommand } from '../../src/capture/cliCapture.ts';
import { adminConfig, etcdPodNames, restrictedConfig, sandboxInfo, SANDBOX_DIR } from './helpers/sandbox.ts';

const info = sandboxInfo();
const admin = adminConfig();
const members = etcdPodNames(info);
let folder: string;
const logs: string[] = [];

before(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'ep-keys-'));
});
after(() => rmSync(folder, { recursive: true, force: true }));

/** Needles for one PEM key: the PEM body lines, its base64 as a whole, and the raw DER and private scalar. */
function needles(pem: string): Buffer[] {
  const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  const b64 = body.join('');
  const der = Buffer.from(b64, 'base64');
  const jwk = createPrivateKey(pem).export({ format: 'jwk' }) as { d?: string };
  const out = [Buffer.from(b64), der, ...body.filter((l) => l.length >= 32).map((l) => Buffer.from(l))];
  if (jwk.d) out.push(Buffer.from(jwk.d, 'base64url'), Buffer.from(jwk.d));
  return out;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? allFiles(p) : e.isFile() ? [p] : [];
  });
}

test('mTLS captures leave no private key bytes in files or logs', async () => {
  const started = Date.now();
  // Forward + key from the secret (admin), and exec-read key (restricted), for every member.
  for (const pod of members) {
    const a = await capture({ kubeConfig: admin, namespace: 'openshift-etcd', pod, kind: 'goroutine-debug2', method: 'forward', folder, log: (l) => logs.push(l) });
    assert.match(a.tlsSource ?? '', /etcd-all-certs/);
    const r = await capture({ kubeConfig: restrictedConfig(), namespace: 'openshift-etcd', pod, kind: 'heap', method: 'auto', folder, log: (l) => logs.push(l) });
    assert.equal(r.method, 'exec');
  }
  // The CLI, whose stdout/stderr are what a user sees.
  const cliOut: string[] = [];
  const code = await runCaptureCommand(
    ['--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '-n', 'openshift-etcd', members[0], 'allocs', '--folder', folder, '--method', 'forward'],
    { stdout: (l) => cliOut.push(l), stderr: (l) => cliOut.push(l) },
  );
  assert.equal(code, 0, cliOut.join('\n'));

  // Every key the cluster holds for etcd, read with the admin client.
  const core = admin.makeApiClient(CoreV1Api);
  const keys: string[] = [];
  for (const name of ['etcd-all-certs', 'etcd-client']) {
    const s = await core.readNamespacedSecret({ name, namespace: 'openshift-etcd' });
    for (const [k, v] of Object.entries(s.data ?? {})) if (k.endsWith('.key')) keys.push(Buffer.from(v, 'base64').toString('utf8'));
  }
  assert.ok(keys.length >= 4, `found ${keys.length} keys`);
  const all = keys.flatMap(needles);

  // Files written by this run: the captures folder, plus anything new in the temp dir.
  const files = allFiles(folder);
  for (const f of readdirSync(tmpdir())) {
    const p = path.join(tmpdir(), f);
    try {
      const st = statSync(p);
      if (st.isFile() && st.mtimeMs >= started) files.push(p);
    } catch {
      // raced with its removal
    }
  }
  assert.ok(files.length >= members.length * 2 + 1, `scanned ${files.length} files`);
  const hay: Array<[string, Buffer]> = files.map((f) => [f, readFileSync(f)]);
  hay.push(['logs', Buffer.from(logs.join('\n'))], ['cli output', Buffer.from(cliOut.join('\n'))]);
  for (const [where, data] of hay) {
    assert.equal(data.includes('PRIVATE KEY'), false, `"PRIVATE KEY" in ${where}`);
    for (const n of all) assert.equal(data.includes(n), false, `key bytes in ${where}`);
  }
  console.log(`scanned ${files.length} files, ${logs.length} log lines, ${cliOut.length} CLI lines against ${all.length} needles from ${keys.length} keys`);
});
