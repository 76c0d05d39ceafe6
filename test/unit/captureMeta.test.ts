// The capture sidecar: what is read from etcd's /version and /metrics, and a hostile sidecar's fields dropped.
// (test/integration/sourceCapture.test.ts writes a real one from a sandbox member.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etcdMainModules, etcdVersionOf, etcdVersionOfImage, goVersionOf, parseCaptureMeta, sidecarPath } from '../../src/profile/captureMeta.ts';

test('etcd /version and go_info', () => {
  assert.equal(etcdVersionOf('{"etcdserver":"3.6.16","etcdcluster":"3.6.0","storage":"3.6.0"}'), '3.6.16');
  assert.equal(etcdVersionOf('{"etcdserver":"3.6.16; rm -rf /"}'), undefined);
  assert.equal(etcdVersionOf('<html>'), undefined);
  const metrics = '# HELP go_info Information about the Go environment.\n# TYPE go_info gauge\ngo_info{version="go1.26.8"} 1\ngo_goroutines 118\n';
  assert.equal(goVersionOf(metrics), 'go1.26.8');
  assert.equal(goVersionOf('go_info{version="go1.26.8 X:boringcrypto"} 1\n'), undefined);
  assert.equal(goVersionOf('go_goroutines 1\n'), undefined);
});

test("etcd's version from an image tag when /version does not answer", () => {
  assert.equal(etcdVersionOfImage('quay.io/coreos/etcd:v3.5.9'), '3.5.9');
  assert.equal(etcdVersionOfImage('registry.k8s.io/etcd:3.5.12-0'), '3.5.12');
  assert.equal(etcdVersionOfImage('gcr.io/etcd-development/etcd:v3.6.0'), '3.6.0');
  assert.equal(etcdVersionOfImage('quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:0123abcd'), undefined);
  assert.equal(etcdVersionOfImage('quay.io/someone/kube-apiserver:v1.34.4'), undefined);
  assert.equal(etcdVersionOfImage('sandbox/etcd'), undefined);
});

test('etcd 3.5+ is made of its /v3 modules at the same version; 3.4 is not', () => {
  assert.deepEqual(etcdMainModules('3.6.16').slice(0, 2), ['go.etcd.io/etcd/server/v3@v3.6.16', 'go.etcd.io/etcd/api/v3@v3.6.16']);
  assert.deepEqual(etcdMainModules('3.4.30'), []);
});

test('a sidecar keeps only well-formed fields', () => {
  assert.equal(sidecarPath('/c/ctx/ns/pod/heap-2026-12-03T13-48-54Z.pb.gz'), '/c/ctx/ns/pod/.heap-2026-12-03T13-48-54Z.pb.gz.meta.json');
  assert.deepEqual(
    parseCaptureMeta(JSON.stringify({ image: 'quay.io/openshift/etcd@sha256:abc', etcdVersion: '3.5.21', goVersion: 'go1.23.6', mainModules: ['go.etcd.io/etcd/server/v3@v3.5.21', '--help@v1', 'x@v1/../..', 7] })),
    { image: 'quay.io/openshift/etcd@sha256:abc', etcdVersion: '3.5.21', goVersion: 'go1.23.6', mainModules: ['go.etcd.io/etcd/server/v3@v3.5.21', '--help@v1'] },
  );
  assert.deepEqual(parseCaptureMeta(JSON.stringify({ etcdVersion: 3, goVersion: 'go1.23.6\nX', image: {} })), {});
  assert.deepEqual(parseCaptureMeta('not json'), {});
});
