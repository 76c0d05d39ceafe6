// "Download File from Pod…" against the sandbox: a large file streams to disk byte for byte with mode 0600, and a
// file that looks like key material (a *.key path, etcd-all-certs, or a PEM private key inside a harmless name)
// stops before any byte is written, so the command can ask first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { downloadFromPod, KeyMaterialError } from '../../src/capture/download.ts';
import { ETCD_BIN } from '../unit/helpers/localEtcd.ts';
import { adminConfig, etcdPodNames, sandboxInfo } from './helpers/sandbox.ts';

const info = sandboxInfo();
const kubeConfig = adminConfig();
const pod = etcdPodNames(info)[0];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const base = { kubeConfig, namespace: 'openshift-etcd', pod, container: 'etcd' };

test('a large file streams to disk byte for byte, mode 0600, folders 0700', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ep-dl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dest = path.join(dir, 'ctx', 'openshift-etcd', pod, 'etcd');
  let progress = 0;
  const got = await downloadFromPod({ ...base, remotePath: ETCD_BIN, dest, onBytes: (b) => (progress = b) });
  const expected = readFileSync(ETCD_BIN);
  assert.equal(got.bytes, expected.length);
  assert.equal(progress, expected.length);
  assert.equal(sha(readFileSync(dest)), sha(expected));
  assert.equal((statSync(dest).mode & 0o777).toString(8), '600');
  assert.equal((statSync(path.dirname(dest)).mode & 0o777).toString(8), '700');
  assert.deepEqual(readdirSync(path.dirname(dest)), ['etcd']);
});

test('key material: refused by path or by content before a byte is written; written 0600 once allowed', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ep-dl-'));
  // The sandbox's containers see the host's files: a real private key under a name that does not say so.
  const src = mkdtempSync(path.join(tmpdir(), 'ep-dl-src-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(src, { recursive: true, force: true });
  });
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const hidden = path.join(src, 'notes.txt');
  writeFileSync(hidden, `some notes\n${pem}`);
  writeFileSync(path.join(src, 'server.key'), pem);

  const dest = path.join(dir, 'out');
  await assert.rejects(downloadFromPod({ ...base, remotePath: path.join(src, 'server.key'), dest }), (err: unknown) => {
    assert.ok(err instanceof KeyMaterialError);
    assert.match(err.reason, /server\.key is a \*\.key file/);
    return true;
  });
  await assert.rejects(downloadFromPod({ ...base, remotePath: '/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-serving-x.crt', dest }), /etcd-all-certs/);
  await assert.rejects(downloadFromPod({ ...base, remotePath: hidden, dest }), (err: unknown) => {
    assert.ok(err instanceof KeyMaterialError);
    assert.match(err.reason, /notes\.txt holds a PEM private key/);
    return true;
  });
  assert.deepEqual(readdirSync(dir), [], 'nothing written, not even a temp file');

  const ok = await downloadFromPod({ ...base, remotePath: hidden, dest, allowKeyMaterial: true });
  assert.equal(readFileSync(ok.file, 'utf8'), readFileSync(hidden, 'utf8'));
  assert.equal((statSync(ok.file).mode & 0o777).toString(8), '600');
});
