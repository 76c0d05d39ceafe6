// Pod discovery against the running sandbox (`npm run sandbox`): the four pods with their nodes, status and
// detected pprof endpoints, the restricted user, "Other Go pods" from a selector, and the pod watch.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { loadKubeconfig } from '../../src/cluster/kubeconfig.ts';
import { ClusterError } from '../../src/cluster/errors.ts';
import { endpointUrl } from '../../src/cluster/endpoints.ts';
import { discoverPods, toPodTarget } from '../../src/cluster/pods.ts';
import { watchPods } from '../../src/cluster/podWatch.ts';
import { SANDBOX_DIR, deletePod, etcdPodNames, operatorPodName, sandboxInfo, waitForPod } from './helpers/sandbox.ts';

const admin = () => loadKubeconfig(path.join(SANDBOX_DIR, 'kubeconfig'));

test('discovers the operator and the three etcd members with their endpoints', async () => {
  const info = sandboxInfo();
  const kc = admin();
  assert.equal(kc.contexts()[0].name, 'sandbox');
  const d = await discoverPods(kc.forContext('sandbox').makeApiClient(CoreV1Api), 'sandbox');
  assert.equal(d.etcdLayout, 'openshift');
  const [operatorGroup, etcdGroup] = d.groups;

  const operator = operatorGroup.pods.find((p) => p.name === operatorPodName(info));
  assert.ok(operator, `operator ${operatorPodName(info)} in ${operatorGroup.pods.map((p) => p.name)}`);
  assert.equal(operator.phase, 'Running');
  assert.equal(operator.ready, true);
  assert.equal(operator.node, info.pods.find((p) => p.name === operator.name)?.node);
  assert.deepEqual(toPodTarget(operator).endpoint, { scheme: 'http', host: '127.0.0.1', port: 6060, path: '/debug/pprof/', source: 'log' });
  assert.equal(operator.container, 'etcd-operator');

  const members = etcdGroup.pods.filter((p) => etcdPodNames(info).includes(p.name));
  assert.deepEqual(members.map((p) => [p.name, p.node, p.phase, p.ready, p.container]), [
    ['etcd-master-0', 'master-0', 'Running', true, 'etcd'],
    ['etcd-master-1', 'master-1', 'Running', true, 'etcd'],
    ['etcd-master-2', 'master-2', 'Running', true, 'etcd'],
  ]);
  for (const m of members) assert.equal(endpointUrl(m.endpoint!), 'https://127.0.0.1:2379/debug/pprof/', m.name);
});

test('the restricted user still lists the pods', async () => {
  const kc = loadKubeconfig(path.join(SANDBOX_DIR, 'kubeconfig-restricted'));
  const ctx = kc.currentContext;
  const d = await discoverPods(kc.forContext(ctx).makeApiClient(CoreV1Api), ctx);
  assert.deepEqual(
    d.groups.map((g) => [g.namespace, g.error]),
    [
      ['openshift-etcd-operator', undefined],
      ['openshift-etcd', undefined],
    ],
  );
  assert.equal(d.groups[1].pods.filter((p) => p.endpoint?.port === 2379).length >= 3, true);
});

test('an exec auth plugin kubeconfig works (the plugin prints an ExecCredential)', async (t) => {
  const info = sandboxInfo();
  const dir = mkdtempSync(path.join(tmpdir(), 'exec-kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const credential = JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token: info.adminToken },
  });
  const plugin = path.join(dir, 'get-token.sh');
  writeFileSync(plugin, `#!/bin/sh\ncat <<'EOF'\n${credential}\nEOF\n`, { mode: 0o755 });
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: via-exec',
      'clusters:',
      `- name: sb\n  cluster:\n    server: ${info.server}\n    certificate-authority: ${info.caFile}`,
      'users:',
      `- name: exec-user\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ${plugin}\n      interactiveMode: Never`,
      'contexts:',
      '- name: via-exec\n  context:\n    cluster: sb\n    user: exec-user',
      '',
    ].join('\n'),
  );
  const kc = loadKubeconfig(file);
  const d = await discoverPods(kc.forContext('via-exec').makeApiClient(CoreV1Api), 'via-exec');
  assert.ok(d.groups[1].pods.length >= 3, `members via exec auth: ${d.groups[1].pods.map((p) => p.name)}`);
});

test('a wrong token is a context-wide "unauthorized"', async () => {
  const kc = admin().forContext('sandbox');
  const user = kc.users.find((u) => u.name === kc.getContextObject('sandbox')!.user)!;
  (user as { token?: string }).token = 'not-a-token';
  await assert.rejects(discoverPods(kc.makeApiClient(CoreV1Api), 'sandbox'), (err: unknown) => err instanceof ClusterError && err.code === 'unauthorized');
});

test('Other Go pods: a selector finds a pod, its endpoint comes from its log, the watch sees it come and go', { timeout: 120_000 }, async (t) => {
  const info = sandboxInfo();
  const kc = admin().forContext('sandbox');
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = 'openshift-etcd-operator';
  const selector = { namespace, labelSelector: 'app=discovery-test' };
  const before = await discoverPods(core, 'sandbox', { goPods: [selector] });
  assert.equal(before.groups[2].pods.length, 0);

  const events: string[] = [];
  const stop = await watchPods(
    kc,
    [{ ...selector, resourceVersion: before.groups[2].resourceVersion }],
    (type, _ns, name) => events.push(`${type} ${name}`),
    () => {},
  );
  t.after(stop);

  // A copy of the operator (a real Go program on the sandbox's node agent) under a label of its own.
  const original = await core.readNamespacedPod({ name: operatorPodName(info), namespace });
  const name = `discovery-test-${Math.random().toString(36).slice(2, 7)}`;
  await core.createNamespacedPod({
    namespace,
    body: { metadata: { name, namespace, labels: { app: 'discovery-test' } }, spec: { ...original.spec!, terminationGracePeriodSeconds: 2 } },
  });
  t.after(() => deletePod(kc, namespace, name, 0));
  await waitForPod(kc, namespace, name, (p) => p.status?.phase === 'Running');

  // The start-up line may take a moment to reach the log.
  let found;
  for (let i = 0; i < 50 && !found?.endpoint; i++) {
    const d = await discoverPods(core, 'sandbox', { goPods: [selector] });
    found = d.groups[2].pods.find((p) => p.name === name);
    if (!found?.endpoint) await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(found?.group, 'go');
  assert.deepEqual(found?.endpoint, { scheme: 'http', host: '127.0.0.1', port: 6060, path: '/debug/pprof/', source: 'log' });
  assert.ok(events.includes(`ADDED ${name}`), `watch events: ${events}`);

  await deletePod(kc, namespace, name, 0);
  const deadline = Date.now() + 30_000;
  while (!events.includes(`DELETED ${name}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.ok(events.includes(`DELETED ${name}`), `watch events: ${events}`);
});
