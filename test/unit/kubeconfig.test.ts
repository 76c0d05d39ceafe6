import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { NoKubeconfigError, kubeconfigCandidates, loadKubeconfig } from '../../src/cluster/kubeconfig.ts';

function kubeconfig(current: string, entries: { context: string; cluster: string; server: string; user: string; userBody: string }[]): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `current-context: ${current}`,
    'clusters:',
    ...entries.map((e) => `- name: ${e.cluster}\n  cluster:\n    server: ${e.server}\n    certificate-authority: ca.crt`),
    'users:',
    ...entries.map((e) => `- name: ${e.user}\n  user:\n${e.userBody}`),
    'contexts:',
    ...entries.map((e) => `- name: ${e.context}\n  context:\n    cluster: ${e.cluster}\n    user: ${e.user}\n    namespace: openshift-etcd`),
    '',
  ].join('\n');
}

const TOKEN_USER = '    token: sha256~abc';
const EXEC_USER = '    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /usr/local/bin/get-token\n      interactiveMode: Never';

test('candidates: setting, then KUBECONFIG list, then ~/.kube/config', () => {
  const home = '/home/u';
  assert.deepEqual(kubeconfigCandidates('~/k1', {}, home, '/w'), { paths: ['/home/u/k1'], origin: 'setting' });
  assert.deepEqual(kubeconfigCandidates('rel/k', { KUBECONFIG: '/x' }, home, '/w'), { paths: ['/w/rel/k'], origin: 'setting' });
  assert.deepEqual(kubeconfigCandidates('', { KUBECONFIG: `/a${delimiter}${delimiter}/b` }, home, '/w'), { paths: ['/a', '/b'], origin: 'KUBECONFIG' });
  assert.deepEqual(kubeconfigCandidates(undefined, {}, home, '/w'), { paths: ['/home/u/.kube/config'], origin: 'default' });
});

test('load: merges files, first definition and first current-context win, current context listed first', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  writeFileSync(a, kubeconfig('prod', [
    { context: 'dev', cluster: 'dev-c', server: 'https://dev:6443', user: 'dev-u', userBody: TOKEN_USER },
    { context: 'prod', cluster: 'prod-c', server: 'https://prod:6443', user: 'prod-u', userBody: EXEC_USER },
  ]));
  writeFileSync(b, kubeconfig('other', [
    { context: 'prod', cluster: 'prod-c', server: 'https://shadowed:6443', user: 'prod-u', userBody: TOKEN_USER },
    { context: 'sandbox', cluster: 'sb', server: 'https://127.0.0.1:6443', user: 'admin', userBody: TOKEN_USER },
  ]));
  const kc = loadKubeconfig(undefined, { KUBECONFIG: [a, join(dir, 'missing'), b].join(delimiter) });
  assert.deepEqual(kc.source, { files: [a, b], origin: 'KUBECONFIG' });
  assert.equal(kc.currentContext, 'prod');
  assert.deepEqual(kc.contexts().map((c) => [c.name, c.server]), [
    ['prod', 'https://prod:6443'],
    ['dev', 'https://dev:6443'],
    ['sandbox', 'https://127.0.0.1:6443'],
  ]);
  const sandbox = kc.forContext('sandbox');
  assert.equal(sandbox.getCurrentContext(), 'sandbox');
  assert.equal(sandbox.getCurrentCluster()?.server, 'https://127.0.0.1:6443');
  assert.equal(sandbox.getCurrentUser()?.token, 'sha256~abc');
  // Relative file references resolve against the file that holds them, as kubectl does.
  assert.equal(sandbox.getCurrentCluster()?.caFile, join(dir, 'ca.crt'));
  // Exec plugins are kept for client-node to run.
  assert.equal(kc.forContext('prod').getCurrentUser()?.exec?.command, '/usr/local/bin/get-token');
  // Switching the copy's context leaves the merged config alone.
  assert.equal(kc.currentContext, 'prod');
  assert.throws(() => kc.forContext('nope'), /Context "nope"/);
  // A relative setting resolves against the folder handed in (the workspace), not the process's cwd.
  const rel = loadKubeconfig(basename(a), {}, dir);
  assert.deepEqual(rel.source.files, [a]);
  assert.notEqual(process.cwd(), dir);
});

test('load: no file gives NoKubeconfigError naming the paths; a broken file names itself', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.throws(() => loadKubeconfig(join(dir, 'none'), {}), (err: unknown) => err instanceof NoKubeconfigError && err.searched[0] === join(dir, 'none'));
  const bad = join(dir, 'bad');
  writeFileSync(bad, 'clusters: [ {');
  assert.throws(() => loadKubeconfig(bad, {}), new RegExp(`Cannot read kubeconfig ${bad}`));
});
