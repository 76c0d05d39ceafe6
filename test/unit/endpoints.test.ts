import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { endpointUrl, parseEtcdPodSpec, parseProfilingLogLine, shellWords } from '../../src/cluster/endpoints.ts';

test('log line: klog format as library-go writes it', () => {
  const log = [
    'I0629 08:53:49.911771       1 cmd.go:233] Using service-serving-cert provided certificates',
    'I0629 08:53:50.032127       1 profiler.go:21] Starting profiling endpoint at http://127.0.0.1:6060/debug/pprof/',
    'I0629 08:53:50.040000       1 leaderelection.go:250] attempting to acquire leader lease',
  ].join('\n');
  const e = parseProfilingLogLine(log);
  assert.deepEqual(e, { scheme: 'http', host: '127.0.0.1', port: 6060, path: '/debug/pprof/', source: 'log' });
  assert.equal(endpointUrl(e!), 'http://127.0.0.1:6060/debug/pprof/');
});

test('log line: JSON logs, wildcard host and missing trailing slash', () => {
  const log = '{"level":"info","msg":"Starting profiling endpoint at http://0.0.0.0:8080/debug/pprof","ts":1}\n';
  assert.deepEqual(parseProfilingLogLine(log), { scheme: 'http', host: '127.0.0.1', port: 8080, path: '/debug/pprof/', source: 'log' });
  assert.equal(parseProfilingLogLine('Starting profiling endpoint at http://:7070/debug/pprof/')?.port, 7070);
});

test('log line: first occurrence wins, absence gives undefined', () => {
  const log = 'Starting profiling endpoint at http://127.0.0.1:6060/debug/pprof/\nStarting profiling endpoint at http://127.0.0.1:7000/debug/pprof/';
  assert.equal(parseProfilingLogLine(log)?.port, 6060);
  assert.equal(parseProfilingLogLine('I0629 1 main.go:1] started\n'), undefined);
  assert.equal(parseProfilingLogLine('Starting profiling endpoint at http://127.0.0.1:99999/debug/pprof/'), undefined);
});

test('shellWords: quotes, continuation lines', () => {
  assert.deepEqual(shellWords(`exec etcd \\\n  --name "a b" --x='c d'\n--y=1`), ['exec', 'etcd', '--name', 'a b', '--x=c d', '--y=1']);
});

// The shape of OpenShift's etcd member: a shell script runs etcd, pprof switched on by the environment.
function openshiftMember(env: { name: string; value: string }[], listen = 'https://0.0.0.0:2379'): V1Pod {
  return {
    metadata: { name: 'etcd-master-0', namespace: 'openshift-etcd', labels: { app: 'etcd', etcd: 'true', 'k8s-app': 'etcd' } },
    spec: {
      nodeName: 'master-0',
      containers: [
        { name: 'etcdctl', command: ['/bin/bash', '-c', 'trap TERM INT; sleep infinity & wait'] },
        {
          name: 'etcd',
          command: ['/bin/sh', '-c'],
          args: [
            `#!/bin/sh\nset -euo pipefail\nexec nice -n -19 ionice -c2 -n0 etcd \\\n  --logger=zap \\\n  --cert-file=/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-serving-master-0.crt \\\n  --listen-client-urls=${listen} \\\n  --listen-peer-urls=https://0.0.0.0:2380 \\\n  --listen-metrics-urls=https://0.0.0.0:9978`,
          ],
          env,
        },
        { name: 'etcd-metrics', command: ['etcd', 'grpc-proxy', 'start', '--listen-addr=https://0.0.0.0:9979'] },
      ],
    },
  };
}

test('etcd spec: OpenShift member with ETCD_ENABLE_PPROF=true', () => {
  const r = parseEtcdPodSpec(openshiftMember([{ name: 'ETCD_ENABLE_PPROF', value: 'true' }]));
  assert.equal(r?.container, 'etcd');
  assert.equal(r?.note, undefined);
  assert.deepEqual(r?.endpoint, { scheme: 'https', host: '127.0.0.1', port: 2379, path: '/debug/pprof/', source: 'spec' });
});

test('etcd spec: shell variable host, loopback preferred among several URLs', () => {
  const pprof = [{ name: 'ETCD_ENABLE_PPROF', value: 'true' }];
  assert.equal(parseEtcdPodSpec(openshiftMember(pprof, 'https://${LISTEN_ON_ALL_IPS}:2379'))?.endpoint?.host, '127.0.0.1');
  const r = parseEtcdPodSpec(openshiftMember(pprof, 'https://10.0.0.5:2379,https://localhost:12379'));
  assert.equal(r?.endpoint?.host, 'localhost');
  assert.equal(r?.endpoint?.port, 12379);
});

test('etcd spec: pprof off names the switch; the flag overrides the environment', () => {
  const off = parseEtcdPodSpec(openshiftMember([{ name: 'ETCD_ENABLE_PPROF', value: 'false' }]));
  assert.equal(off?.endpoint, undefined);
  assert.match(off?.note ?? '', /--enable-pprof/);
  assert.equal(parseEtcdPodSpec(openshiftMember([]))?.endpoint, undefined);
  const pod = openshiftMember([{ name: 'ETCD_ENABLE_PPROF', value: 'true' }]);
  pod.spec!.containers[1].args![0] += ' \\\n  --enable-pprof=false';
  assert.equal(parseEtcdPodSpec(pod)?.endpoint, undefined);
});

test('etcd spec: kubeadm static pod with --enable-pprof', () => {
  const pod: V1Pod = {
    metadata: { name: 'etcd-kind-control-plane', namespace: 'kube-system', labels: { component: 'etcd', tier: 'control-plane' } },
    spec: {
      nodeName: 'kind-control-plane',
      containers: [
        {
          name: 'etcd',
          command: [
            'etcd',
            '--advertise-client-urls=https://172.18.0.2:2379',
            '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
            '--client-cert-auth=true',
            '--listen-client-urls=https://127.0.0.1:2379,https://172.18.0.2:2379',
            '--enable-pprof',
            '--name=kind-control-plane',
          ],
        },
      ],
    },
  };
  const r = parseEtcdPodSpec(pod);
  assert.equal(endpointUrl(r!.endpoint!), 'https://127.0.0.1:2379/debug/pprof/');
  pod.spec!.containers[0].command = pod.spec!.containers[0].command!.filter((w) => w !== '--enable-pprof');
  assert.equal(parseEtcdPodSpec(pod)?.endpoint, undefined);
});

test('etcd spec: default client URL when the flag is absent, and no etcd container', () => {
  const pod: V1Pod = { spec: { containers: [{ name: 'server', command: ['/usr/local/bin/etcd', '--enable-pprof=true'] }] } };
  assert.deepEqual(parseEtcdPodSpec(pod), {
    container: 'server',
    endpoint: { scheme: 'https', host: '127.0.0.1', port: 2379, path: '/debug/pprof/', source: 'spec' },
  });
  assert.equal(parseEtcdPodSpec({ spec: { containers: [{ name: 'nginx', command: ['nginx'] }] } }), undefined);
});
