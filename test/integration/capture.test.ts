// Every capture kind from the operator stand-in and from each of the three etcd members (mutual TLS), by
// port-forward and by exec, through the sandbox's real API server and kubelet stand-ins. Each file must decode.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { capture } from '../../src/capture/capture.ts';
import { CAPTURE_KINDS } from '../../src/capture/kinds.ts';
import { adminConfig, etcdPodNames, operatorPodName, sandboxInfo } from './helpers/sandbox.ts';
import { verifyCaptureFile } from './helpers/verify.ts';

const info = sandboxInfo();
const kc = adminConfig();
const targets = [
  { namespace: 'openshift-etcd-operator', pod: operatorPodName(info) },
  ...etcdPodNames(info).map((pod) => ({ namespace: 'openshift-etcd', pod })),
];

let folder: string;
const logs: string[] = [];
before(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'ep-capture-'));
});
after(() => rmSync(folder, { recursive: true, force: true }));

for (const { namespace, pod } of targets) {
  for (const method of ['forward', 'exec'] as const) {
    describe(`${namespace}/${pod} by ${method}`, () => {
      for (const kind of CAPTURE_KINDS) {
        test(kind.id, async () => {
          const result = await capture({ kubeConfig: kc, namespace, pod, kind, seconds: 1, method, folder, log: (l) => logs.push(l) });
          assert.equal(result.method, method);
          assert.equal(path.dirname(result.file), path.join(folder, 'sandbox', namespace, pod));
          assert.match(path.basename(result.file), new RegExp(`^${kind.id}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\dZ(-\\d+)?${kind.extension.replace(/\./g, '\\.')}$`));
          verifyCaptureFile(result.file, kind);
          if (namespace === 'openshift-etcd') {
            assert.equal(result.endpoint.scheme, 'https');
            assert.equal(result.endpoint.port, 2379);
            assert.ok(result.tlsSource, 'mTLS material was used');
            if (method === 'forward') assert.match(result.tlsSource!, /secret openshift-etcd\/etcd-all-certs/);
          } else {
            assert.equal(result.endpoint.scheme, 'http');
            assert.equal(result.endpoint.port, 6060);
          }
          if (method === 'forward') assert.equal(result.forward?.reused, false);
        });
      }
    });
  }
}

test('no temp files are left anywhere under the captures folder', () => {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [e.name]));
  const names = walk(folder);
  assert.equal(names.length, targets.length * 2 * CAPTURE_KINDS.length);
  assert.deepEqual(names.filter((n) => n.startsWith('.') || n.endsWith('.tmp')), []);
});
