import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { ClusterError, httpStatusOf, toClusterError } from '../../src/cluster/errors.ts';

const pf = { verb: 'create', resource: 'pods/portforward', namespace: 'openshift-etcd', name: 'etcd-master-0' };

test('status from an ApiException and from a refused WebSocket upgrade', () => {
  assert.equal(httpStatusOf(new ApiException(403, 'Forbidden', {}, {})), 403);
  assert.equal(httpStatusOf(new Error('Unexpected server response: 401')), 401);
  // client-node rejects with the ws ErrorEvent, whose .error is the Error.
  assert.equal(httpStatusOf({ type: 'error', error: new Error('Unexpected server response: 403'), message: '' }), 403);
  assert.equal(httpStatusOf(new Error('boom')), undefined);
});

test('403 names the verb, resource and namespace, and the way out', () => {
  const e = toClusterError(new Error('Unexpected server response: 403'), pf);
  assert.ok(e instanceof ClusterError);
  assert.equal(e.code, 'forbidden');
  assert.equal(e.message, 'Forbidden (403): your user is missing `create pods/portforward` in openshift-etcd. Ask for a Role with it, or capture by exec instead (runs curl inside the container).');
  const s = toClusterError(new ApiException(403, 'Forbidden', { kind: 'Status', message: 'secrets "etcd-all-certs" is forbidden' }, {}), { verb: 'get', resource: 'secrets', namespace: 'openshift-etcd' });
  assert.match(s.message, /missing `get secrets` in openshift-etcd\. Falling back to reading the files inside the container needs "create pods\/exec"/);
});

test('401, 404, unreachable', () => {
  assert.match(toClusterError(new ApiException(401, 'Unauthorized', {}, {}), pf).message, /Log in again \(`oc login`\)/);
  assert.equal(toClusterError(new ApiException(404, 'NotFound', {}, {}), pf).message, 'Not found (404): pods etcd-master-0 in openshift-etcd does not exist (any more?). Refresh and retry.');
  const down = toClusterError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }), pf);
  assert.equal(down.code, 'unreachable');
});

test('a failed secret read never echoes the response body', () => {
  const body = { kind: 'Secret', data: { 'tls.key': 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t' } };
  const e = toClusterError(new ApiException(500, 'weird', body, {}), { verb: 'get', resource: 'secrets', namespace: 'openshift-etcd' });
  assert.doesNotMatch(e.message, /LS0t|tls\.key/);
});
