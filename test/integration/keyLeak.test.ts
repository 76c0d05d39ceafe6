// After mutual-TLS captures (key from the secret, and key read by exec for the restricted user), no byte
// sequence of any etcd private key appears in any file written or in any log line, nor in the CLI's output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { capture } from '../../src/capture/capture.ts';
import { runCaptureCommand } from '../../src/capture/cliCapture.ts';
import { etcdKeys, filesUnder, findKeyBytes, keyNeedles } from './helpers/keys.ts';
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
  const keys = await etcdKeys(admin);
  assert.ok(keys.length >= 4, `found ${keys.length} keys`);
  const all = keys.flatMap(keyNeedles);
  // The scanner sees a key in any of its forms (controls: PEM, and DER inside other bytes).
  const der = Buffer.from(keys[1].split('\n').filter((l) => l && !l.startsWith('-----')).join(''), 'base64');
  assert.deepEqual(findKeyBytes([['pem', Buffer.from(keys[0])], ['der', Buffer.concat([Buffer.alloc(100, 7), der, Buffer.alloc(9)])]], all), ['pem', 'der']);

  // Files written by this run: the captures folder, plus anything new in the temp dir.
  const files = filesUnder(folder);
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
  assert.deepEqual(findKeyBytes(hay, all), []);
  console.log(`scanned ${files.length} files, ${logs.length} log lines, ${cliOut.length} CLI lines against ${all.length} needles from ${keys.length} keys`);
});
