// Exec through the API server: a 27 MB binary file copied out of a container byte for byte ("Download File from
// Pod"), exit codes and messages for a missing file, and cancel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execInPod, readFileInPod } from '../../src/cluster/exec.ts';
import { ETCD_BIN } from '../unit/helpers/localEtcd.ts';
import { adminConfig, etcdPodNames, sandboxInfo } from './helpers/sandbox.ts';

const info = sandboxInfo();
const kc = adminConfig();
const pod = etcdPodNames(info)[0];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('a large binary file comes out byte for byte', async (t) => {
  // The sandbox's containers see the host's files, so the etcd binary is a large known file.
  const expected = readFileSync(ETCD_BIN);
  const t0 = Date.now();
  const got = await readFileInPod({ kubeConfig: kc, namespace: 'openshift-etcd', pod, container: 'etcd', path: ETCD_BIN });
  const ms = Date.now() - t0;
  t.diagnostic(`${(got.length / 1048576).toFixed(1)} MB in ${ms} ms (${(got.length / 1048576 / (ms / 1000)).toFixed(1)} MB/s)`);
  assert.equal(got.length, expected.length);
  assert.equal(sha(got), sha(expected));
});

test('a missing file: the message names path, pod and container', async () => {
  await assert.rejects(
    readFileInPod({ kubeConfig: kc, namespace: 'openshift-etcd', pod, container: 'etcd', path: '/no/such/file' }),
    new RegExp(`Cannot read /no/such/file in openshift-etcd/${pod} \\(container etcd\\): .*No such file`),
  );
});

test('exit codes come back', async () => {
  const r = await execInPod({ kubeConfig: kc, namespace: 'openshift-etcd', pod, container: 'etcd', command: ['sh', '-c', 'printf abc; exit 7'] });
  assert.equal(r.exitCode, 7);
  assert.equal(r.stdout.toString(), 'abc');
});

test('cancel closes the exec at once', async () => {
  const ac = new AbortController();
  const t0 = Date.now();
  setTimeout(() => ac.abort(), 500);
  await assert.rejects(
    execInPod({ kubeConfig: kc, namespace: 'openshift-etcd', pod, container: 'etcd', command: ['sleep', '30'], signal: ac.signal }),
    (e: unknown) => (e as Error).name === 'AbortError',
  );
  assert.ok(Date.now() - t0 < 5000);
});
