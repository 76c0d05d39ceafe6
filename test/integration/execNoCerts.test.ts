// The exec path to an etcd member from a container that has curl but none of the certificate files of any
// known layout (OpenShift's static-pod-certs, the pod's --cert-file flags, kubeadm's pki): the capture tries
// each layout, saves nothing, and the message lists what it tried and points at the port-forward path.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { capture } from '../../src/capture/capture.ts';
import { adminConfig, deletePod, etcdPodNames, sandboxInfo, waitForPod, waitForPodGone } from './helpers/sandbox.ts';
import { captureError } from './helpers/verify.ts';

const info = sandboxInfo();
const kc = adminConfig();
const core = kc.makeApiClient(CoreV1Api);
const NS = 'openshift-etcd-operator';
const name = `exec-no-certs-${Math.random().toString(36).slice(2, 7)}`;
const folder = mkdtempSync(path.join(tmpdir(), 'ep-nocerts-'));

after(async () => {
  await deletePod(kc, NS, name, 0);
  await waitForPodGone(kc, NS, name);
  rmSync(folder, { recursive: true, force: true });
});

test('no certificate files in the container: every layout is tried, the message lists them, nothing is saved', { timeout: 120_000 }, async () => {
  const member = await core.readNamespacedPod({ name: etcdPodNames(info)[0], namespace: 'openshift-etcd' });
  // On the member's node and host network, so 127.0.0.1:2379 is that member; no certificate volume.
  await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name, namespace: NS },
      spec: {
        nodeName: member.spec!.nodeName,
        hostNetwork: true,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'etcd', image: 'sandbox/tools', command: ['/bin/sleep', 'infinity'] }],
      },
    },
  });
  await waitForPod(kc, NS, name, (p) => p.status?.phase === 'Running');
  const err = await captureError(
    capture({
      kubeConfig: kc,
      namespace: NS,
      pod: name,
      kind: 'heap',
      method: 'exec',
      folder,
      endpoint: { scheme: 'https', port: 2379, flavor: 'etcd', container: 'etcd' },
    }),
  );
  console.log(err.message);
  assert.equal(err.code, 'tls');
  assert.match(err.message, new RegExp(`^No readable etcd client certificate in ${NS}/${name} \\(container etcd\\): tried `));
  assert.match(err.message, /etcd-serving-master-\d\.crt/);
  assert.match(err.message, /\/etc\/kubernetes\/pki\/etcd\/healthcheck-client\.crt/);
  assert.match(err.message, /\/etc\/kubernetes\/pki\/etcd\/server\.crt/);
  assert.match(err.message, /port-forward/);
  assert.deepEqual(readdirSync(folder, { recursive: true }), [], 'nothing saved');
});
