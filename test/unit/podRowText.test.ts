// What a pod row of the Pods view says (src/views/podTreeText.ts): a running pod with every container ready shows
// its name alone (the green icon says the rest); any other state is spelled out, then markers; the accessible
// label always has the status.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podRowText } from '../../src/views/podTreeText.ts';

const now = Date.parse('2026-12-03T10:00:00Z');
const pod = (o: Partial<Parameters<typeof podRowText>[0]> = {}) => ({
  name: 'etcd-master-0',
  phase: 'Running',
  ready: true,
  readyContainers: 4,
  containers: ['etcd', 'etcdctl', 'etcd-metrics', 'etcd-readyz'],
  restarts: 0,
  ...o,
});

test('running and ready: no description, the status in the accessible label', () => {
  assert.deepEqual(podRowText(pod(), undefined, [], now), { description: '', label: 'etcd-master-0, Running 4/4' });
});

test('any other state is on the row, then restarts and markers', () => {
  assert.equal(podRowText(pod({ ready: false, readyContainers: 2 }), undefined, [], now).description, 'Running, not ready 2/4');
  assert.equal(podRowText(pod({ phase: 'Pending', ready: false, readyContainers: 0 }), undefined, [], now).description, 'Pending');
  const restarted = pod({ restarts: 1, lastTermination: { container: 'etcd', reason: 'Error', exitCode: 2, restartCount: 1, finishedAt: '2026-12-03T09:57:00Z', previous: true } });
  assert.deepEqual(podRowText(restarted, undefined, ['⇄ :40123'], now), {
    description: '↻ 1, Error exit 2 3m ago · ⇄ :40123',
    label: 'etcd-master-0, Running 4/4, ↻ 1, Error exit 2 3m ago · ⇄ :40123',
  });
});

test('a capture running replaces the status with its marker', () => {
  assert.equal(podRowText(pod({ ready: false, readyContainers: 3 }), 'CPU profile · 12 s left', [], now).description, '● CPU profile · 12 s left');
});
