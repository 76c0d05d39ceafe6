// Discovery logic over a scripted PodApi: which namespaces are tried in which order, how failures are classified,
// how endpoints are found and cached. The sandbox integration test covers the same against a real API server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, type V1Pod } from '@kubernetes/client-node';
import { ClusterError } from '../../src/cluster/errors.ts';
import {
  EndpointCache,
  declaredPorts,
  discoverPods,
  nothingFound,
  parseGoPodSelectors,
  toPodTarget,
  type PodApi,
} from '../../src/cluster/pods.ts';

const OPERATOR_LOG = 'I1126 11:00:00.000000       1 profiler.go:21] Starting profiling endpoint at http://127.0.0.1:6060/debug/pprof/\n';

function pod(namespace: string, name: string, opts: { node?: string; labels?: Record<string, string>; containers?: V1Pod['spec'] extends infer S ? S extends { containers: infer C } ? C : never : never; phase?: string; ready?: boolean; restarts?: number } = {}): V1Pod {
  const containers = opts.containers ?? [{ name: 'main' }];
  return {
    metadata: { namespace, name, uid: `uid-${name}`, labels: opts.labels },
    spec: { nodeName: opts.node, containers },
    status: {
      phase: opts.phase ?? 'Running',
      podIP: '10.0.0.1',
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        ready: opts.ready !== false,
        restartCount: opts.restarts ?? 0,
        image: 'x',
        imageID: 'x',
      })),
    },
  };
}

function member(i: number): V1Pod {
  return pod('openshift-etcd', `etcd-master-${i}`, {
    node: `master-${i}`,
    labels: { app: 'etcd' },
    containers: [
      { name: 'etcdctl', command: ['/bin/sh', '-c', 'sleep infinity'] },
      { name: 'etcd', command: ['/bin/sh', '-c', 'exec etcd --listen-client-urls=https://0.0.0.0:2379'], env: [{ name: 'ETCD_ENABLE_PPROF', value: 'true' }] },
    ],
  });
}

const notFound = () => new ApiException(404, 'not found', { kind: 'Status', reason: 'NotFound' }, {});
const forbidden = () => new ApiException(403, 'forbidden', { kind: 'Status', reason: 'Forbidden' }, {});

/** A PodApi answering from a map of namespace → pods (absent key: namespace does not exist). */
function fakeApi(namespaces: Record<string, V1Pod[] | Error>, logs: Record<string, string> = {}) {
  const calls: string[] = [];
  const api: PodApi = {
    listNamespacedPod: (async ({ namespace, labelSelector }: { namespace: string; labelSelector?: string }) => {
      calls.push(`list ${namespace} ${labelSelector ?? ''}`.trim());
      const v = namespaces[namespace];
      if (v instanceof Error) throw v;
      const [k, val] = (labelSelector ?? '').split('=');
      const items = (v ?? []).filter((p) => !labelSelector || p.metadata?.labels?.[k] === val);
      return { items, metadata: { resourceVersion: '42' } };
    }) as PodApi['listNamespacedPod'],
    readNamespace: (async ({ name }: { name: string }) => {
      calls.push(`get ns ${name}`);
      if (!(name in namespaces)) throw notFound();
      return { metadata: { name } };
    }) as PodApi['readNamespace'],
    readNamespacedPodLog: (async ({ namespace, name, container, limitBytes }: { namespace: string; name: string; container?: string; limitBytes?: number }) => {
      calls.push(`log ${namespace}/${name}/${container} ${limitBytes}`);
      return logs[`${name}/${container}`] ?? 'I1126 started\n';
    }) as PodApi['readNamespacedPodLog'],
  };
  return { api, calls };
}

test('OpenShift layout: operator from its log, members from the spec, sorted, with status and node', async () => {
  const operator = pod('openshift-etcd-operator', 'etcd-operator-7d9c6b5f4-abcde', { node: 'master-1', containers: [{ name: 'etcd-operator' }] });
  const { api, calls } = fakeApi(
    { 'openshift-etcd-operator': [operator], 'openshift-etcd': [member(2), member(0), member(1)] },
    { 'etcd-operator-7d9c6b5f4-abcde/etcd-operator': OPERATOR_LOG },
  );
  const d = await discoverPods(api, 'sandbox');
  assert.equal(d.etcdLayout, 'openshift');
  assert.deepEqual(d.groups.map((g) => [g.kind, g.namespace, g.labelSelector, g.pods.length]), [
    ['operator', 'openshift-etcd-operator', undefined, 1],
    ['etcd', 'openshift-etcd', 'app=etcd', 3],
  ]);
  const op = d.groups[0].pods[0];
  assert.deepEqual(toPodTarget(op), {
    context: 'sandbox',
    namespace: 'openshift-etcd-operator',
    name: 'etcd-operator-7d9c6b5f4-abcde',
    node: 'master-1',
    container: 'etcd-operator',
    endpoint: { scheme: 'http', host: '127.0.0.1', port: 6060, path: '/debug/pprof/', source: 'log' },
  });
  assert.equal(op.phase, 'Running');
  assert.equal(op.ready, true);
  const members = d.groups[1].pods;
  assert.deepEqual(members.map((p) => [p.name, p.node, p.container, p.endpoint?.scheme, p.endpoint?.port]), [
    ['etcd-master-0', 'master-0', 'etcd', 'https', 2379],
    ['etcd-master-1', 'master-1', 'etcd', 'https', 2379],
    ['etcd-master-2', 'master-2', 'etcd', 'https', 2379],
  ]);
  // Member endpoints come from the spec: only the operator's log is read, and only its head.
  assert.deepEqual(calls.filter((c) => c.startsWith('log')), [`log openshift-etcd-operator/etcd-operator-7d9c6b5f4-abcde/etcd-operator ${64 * 1024}`]);
  assert.equal(d.groups[1].resourceVersion, '42');
  assert.equal(nothingFound(d), false);
});

test('kubeadm layout is used only when openshift-etcd does not exist', async () => {
  const kubeadmEtcd = pod('kube-system', 'etcd-cp-1', {
    node: 'cp-1',
    labels: { component: 'etcd' },
    containers: [{ name: 'etcd', command: ['etcd', '--listen-client-urls=https://127.0.0.1:2379,https://172.18.0.2:2379'] }],
  });
  const { api, calls } = fakeApi({ 'kube-system': [kubeadmEtcd, pod('kube-system', 'coredns-1')] });
  const d = await discoverPods(api, 'kind');
  assert.equal(d.etcdLayout, 'kubeadm');
  assert.equal(d.groups[0].absent, true);
  const etcd = d.groups[1];
  assert.deepEqual([etcd.namespace, etcd.labelSelector, etcd.pods.map((p) => p.name)], ['kube-system', 'component=etcd', ['etcd-cp-1']]);
  assert.equal(etcd.pods[0].endpoint, undefined);
  assert.match(etcd.pods[0].endpointNote ?? '', /--enable-pprof/);
  assert.ok(calls.indexOf('get ns openshift-etcd') < calls.indexOf('list kube-system component=etcd'));
});

test('no etcd anywhere: nothingFound; configured Go pods still listed, port from the setting', async () => {
  const { api } = fakeApi({ 'kube-system': [], apps: [pod('apps', 'web-1', { containers: [{ name: 'sidecar' }, { name: 'web', ports: [{ containerPort: 8080 }] }] })] });
  const empty = await discoverPods(api, 'plain');
  assert.equal(empty.etcdLayout, 'none');
  assert.equal(nothingFound(empty), true);
  const d = await discoverPods(api, 'plain', { goPods: [{ namespace: 'apps', port: 8080 }, { namespace: 'gone' }] });
  assert.equal(nothingFound(d), false);
  const [apps, gone] = d.groups.slice(2);
  assert.deepEqual([apps.pods[0].container, apps.pods[0].endpoint], ['web', { scheme: 'http', host: '127.0.0.1', port: 8080, path: '/debug/pprof/', source: 'setting' }]);
  assert.equal(gone.absent, true);
});

test('a 403 stays on its group; unreachable and 401 fail the whole context', async () => {
  const { api } = fakeApi({ 'openshift-etcd-operator': forbidden(), 'openshift-etcd': [member(0)] });
  const d = await discoverPods(api, 'restricted');
  assert.match(d.groups[0].error ?? '', /Forbidden \(403\).*list pods.*openshift-etcd-operator/);
  assert.equal(d.groups[1].pods.length, 1);

  const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) });
  await assert.rejects(discoverPods(fakeApi({ 'openshift-etcd-operator': refused }).api, 'down', { server: 'https://127.0.0.1:6443' }), (err: unknown) => {
    assert.ok(err instanceof ClusterError);
    assert.equal(err.code, 'unreachable');
    assert.match(err.message, /context "down" at https:\/\/127\.0\.0\.1:6443: fetch failed: connect ECONNREFUSED/);
    assert.equal(err.detail, 'connect ECONNREFUSED 127.0.0.1:6443');
    return true;
  });
  const unauthorized = new ApiException(401, 'Unauthorized', {}, {});
  await assert.rejects(
    discoverPods(fakeApi({ 'openshift-etcd-operator': unauthorized }).api, 'expired'),
    (err: unknown) => err instanceof ClusterError && err.code === 'unauthorized' && err.detail === '401 Unauthorized' && !/Unauthorized\W*\{/.test(err.message),
  );
});

test('a failed list never echoes the response body into the group error', async () => {
  // client-node's ApiException message embeds the body: a proxy or webhook answer must not reach the view or the log.
  const body = 'BEGIN PRIVATE KEY s3cr3t-body';
  const failure = new ApiException(500, `HTTP-Code: 500\nMessage: Unknown API Status Code!\nBody: "${body}"`, body, {});
  const d = await discoverPods(fakeApi({ 'openshift-etcd-operator': failure, 'openshift-etcd': [member(0)] }).api, 'c');
  assert.equal(d.groups[0].error, 'The API server answered 500 to `list pods` in openshift-etcd-operator.');
});

test('log detection: later containers are tried, results cached per uid and restart count, fallbacks say why', async () => {
  const op = pod('openshift-etcd-operator', 'etcd-operator-x', { containers: [{ name: 'kube-rbac-proxy' }, { name: 'etcd-operator' }] });
  const { api, calls } = fakeApi({ 'openshift-etcd-operator': [op], 'openshift-etcd': [] }, { 'etcd-operator-x/etcd-operator': OPERATOR_LOG });
  const cache = new EndpointCache();
  const first = await discoverPods(api, 'c', { cache });
  assert.equal(first.groups[0].pods[0].container, 'etcd-operator');
  assert.equal(calls.filter((c) => c.startsWith('log')).length, 2);
  await discoverPods(api, 'c', { cache });
  assert.equal(calls.filter((c) => c.startsWith('log')).length, 2, 'second discovery reads no log');
  op.status!.containerStatuses![1].restartCount = 1;
  await discoverPods(api, 'c', { cache });
  assert.equal(calls.filter((c) => c.startsWith('log')).length, 4, 'a restart reads the logs again');

  // Rotated log: the operator gets library-go's default, marked as such; a Go pod gets none.
  const quiet = fakeApi({ 'openshift-etcd-operator': [pod('openshift-etcd-operator', 'etcd-operator-y')], 'openshift-etcd': [], apps: [pod('apps', 'a')] });
  const d = await discoverPods(quiet.api, 'c', { goPods: [{ namespace: 'apps' }] });
  assert.deepEqual(d.groups[0].pods[0].endpoint, { scheme: 'http', host: '127.0.0.1', port: 6060, path: '/debug/pprof/', source: 'default' });
  assert.match(d.groups[0].pods[0].endpointNote ?? '', /OPENSHIFT_PROFILE=web/);
  assert.equal(d.groups[2].pods[0].endpoint, undefined);
  // A pod that is not running has no readable log yet.
  const pending = fakeApi({ 'openshift-etcd-operator': [pod('openshift-etcd-operator', 'etcd-operator-z', { phase: 'Pending', ready: false })], 'openshift-etcd': [] });
  const p = (await discoverPods(pending.api, 'c')).groups[0].pods[0];
  assert.equal(p.endpoint, undefined);
  assert.equal(pending.calls.some((c) => c.startsWith('log')), false);
});

test('goPods setting: malformed entries dropped with reasons', () => {
  const { selectors, problems } = parseGoPodSelectors([
    { namespace: 'a', labelSelector: 'app=x', port: 6060 },
    { namespace: 'b', labelSelector: '' },
    { labelSelector: 'app=y' },
    { namespace: 'c', port: 70000 },
    'nope',
  ]);
  assert.deepEqual(selectors, [{ namespace: 'a', labelSelector: 'app=x', port: 6060 }, { namespace: 'b' }, { namespace: 'c' }]);
  assert.deepEqual(problems, [
    'etcdProfiler.goPods[2] needs a "namespace"',
    'etcdProfiler.goPods[3].port must be a port number',
    'etcdProfiler.goPods[4] needs a "namespace"',
  ]);
  assert.deepEqual(parseGoPodSelectors(undefined), { selectors: [], problems: [] });
});

test('declaredPorts: the TCP ports of every container in spec order, with names; UDP left out', () => {
  const p = pod('openshift-etcd', 'etcd-master-0', {
    containers: [
      { name: 'etcd', ports: [{ name: 'etcd', containerPort: 2379 }, { name: 'etcd-peer', containerPort: 2380, protocol: 'TCP' }] },
      { name: 'etcd-metrics', ports: [{ name: 'metrics', containerPort: 9978 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] },
      { name: 'etcd-readyz' },
    ],
  });
  assert.deepEqual(declaredPorts(p), [
    { container: 'etcd', name: 'etcd', port: 2379 },
    { container: 'etcd', name: 'etcd-peer', port: 2380 },
    { container: 'etcd-metrics', name: 'metrics', port: 9978 },
  ]);
  assert.deepEqual(declaredPorts(pod('ns', 'bare')), []);
});
