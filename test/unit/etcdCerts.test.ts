import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import type { V1Pod } from '@kubernetes/client-node';
import { etcdCertPathCandidates, serverIdentityCheck, serverNamesFor, sniFor } from '../../src/cluster/etcdCerts.ts';
import { makePki } from './helpers/localEtcd.ts';

const openshiftPod: V1Pod = {
  metadata: { name: 'etcd-master-0', namespace: 'openshift-etcd' },
  spec: {
    nodeName: 'master-0',
    containers: [
      { name: 'etcdctl', command: ['sleep', 'infinity'] },
      {
        name: 'etcd',
        command: ['/bin/sh', '-ec', 'exec etcd \\\n --cert-file=/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-serving-${NODE_NODE_NAME}.crt \\\n --key-file=/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-serving-${NODE_NODE_NAME}.key \\\n --trusted-ca-file=/etc/kubernetes/static-pod-certs/configmaps/etcd-serving-ca/ca-bundle.crt'],
      },
    ],
  },
  status: { hostIP: '10.89.0.10', podIP: '10.89.0.10' },
};

const kubeadmPod: V1Pod = {
  metadata: { name: 'etcd-cp1', namespace: 'kube-system' },
  spec: {
    nodeName: 'cp1',
    containers: [
      {
        name: 'etcd',
        command: ['etcd', '--cert-file=/etc/kubernetes/pki/etcd/server.crt', '--key-file=/etc/kubernetes/pki/etcd/server.key', '--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt'],
      },
    ],
  },
};

test('OpenShift: the node serving cert in the static-pod cert dir comes first, container etcd', () => {
  const [first, ...rest] = etcdCertPathCandidates(openshiftPod);
  assert.deepEqual(first, {
    container: 'etcd',
    cert: '/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-serving-master-0.crt',
    key: '/etc/kubernetes/static-pod-certs/secrets/etcd-all-certs/etcd-serving-master-0.key',
    ca: '/etc/kubernetes/static-pod-certs/configmaps/etcd-serving-ca/ca-bundle.crt',
  });
  // The flags expand to the same paths, so they are not repeated; kubeadm defaults follow.
  assert.ok(rest.every((p) => p.cert.startsWith('/etc/kubernetes/pki/etcd/')));
});

test('kubeadm: paths from the etcd flags, then the pki defaults', () => {
  const list = etcdCertPathCandidates(kubeadmPod);
  assert.equal(list[1].cert, '/etc/kubernetes/pki/etcd/server.crt');
  assert.equal(list[1].ca, '/etc/kubernetes/pki/etcd/ca.crt');
  assert.ok(list.some((p) => p.cert === '/etc/kubernetes/pki/etcd/healthcheck-client.crt'));
});

test('server names: node, IPs, loopback; SNI is the node name', () => {
  const names = serverNamesFor(openshiftPod);
  assert.deepEqual(names, ['master-0', '10.89.0.10', '127.0.0.1', 'localhost']);
  assert.equal(sniFor(names), 'master-0');
  assert.equal(sniFor(['10.0.0.1', '127.0.0.1', 'localhost']), undefined);
});

test('identity check against a real certificate', () => {
  const pki = makePki();
  try {
    const cert = new X509Certificate(pki.serverCert).toLegacyObject() as unknown as PeerCertificate;
    assert.equal(serverIdentityCheck(['node-a'])('127.0.0.1', cert), undefined);
    assert.equal(serverIdentityCheck(['10.0.0.5'])('127.0.0.1', cert), undefined);
    assert.equal(serverIdentityCheck(['node-b', '127.0.0.1'])('127.0.0.1', cert), undefined);
    const err = serverIdentityCheck(['node-b', '10.9.9.9'])('127.0.0.1', cert);
    assert.ok(err instanceof Error);
    assert.match(err.message, /not valid for any of node-b, 10\.9\.9\.9/);
  } finally {
    rmSync(pki.dir, { recursive: true, force: true });
  }
});
