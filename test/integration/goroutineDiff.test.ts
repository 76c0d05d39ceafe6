// Goroutine leak found by comparing dumps: through one port-forward of the capture layer to the sandbox
// operator, capture a debug=2 dump, park 23 more goroutines on sync.WaitGroup.Wait with the operator's own
// endpoint (POST /park), capture again; grouping both in the extension's worker and comparing them finds
// the growth in main.parkedOnRequest's sync.WaitGroup.Wait group, by exactly 23. Needs a running sandbox.
// The parked goroutines stay parked (POST /release would release every test's, so it is not called).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { capture } from '../../src/capture/capture.ts';
import { ForwardRegistry } from '../../src/cluster/forwardRegistry.ts';
import type { PortForwardSession } from '../../src/cluster/portForward.ts';
import { diffGoroutineDumps, formatGoroutineDiff } from '../../src/profile/goroutineDiff.ts';
import { GoroutineGrouper } from '../../src/profile/goroutineWorkerClient.ts';
import { adminConfig, operatorPodName, sandboxInfo } from './helpers/sandbox.ts';

const NAMESPACE = 'openshift-etcd-operator';
const PARK = 23;
const STATE = 'sync.WaitGroup.Wait';

let folder: string;
let registry: ForwardRegistry;
let forward: PortForwardSession;
let grouper: GoroutineGrouper;
const kc = adminConfig();
const pod = operatorPodName(sandboxInfo());

before(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'ep-goroutine-diff-'));
  registry = new ForwardRegistry();
  forward = await registry.start(kc, { namespace: NAMESPACE, pod, remotePort: 6060 }, 0);
  grouper = new GoroutineGrouper(new URL('../../src/profile/goroutineWorker.ts', import.meta.url));
});

after(async () => {
  grouper?.dispose();
  await registry?.stopAll();
  rmSync(folder, { recursive: true, force: true });
});

async function dump(): Promise<string> {
  const result = await capture({ kubeConfig: kc, namespace: NAMESPACE, pod, kind: 'goroutine-debug2', method: 'forward', folder, registry });
  assert.equal(result.forward?.reused, true, 'the capture goes through the forward the test opened');
  assert.equal(result.forward?.localPort, forward.localPort);
  return result.file;
}

async function parked(): Promise<{ parked: number; states: Record<string, number> }> {
  const res = await fetch(`http://127.0.0.1:${forward.localPort}/parked`);
  assert.equal(res.status, 200);
  return (await res.json()) as { parked: number; states: Record<string, number> };
}

test(`parking ${PARK} goroutines on ${STATE} shows as that group's growth`, { timeout: 120_000 }, async () => {
  const before0 = await parked();
  const baseFile = await dump();
  const res = await fetch(`http://127.0.0.1:${forward.localPort}/park?n=${PARK}&state=wg`, { method: 'POST' });
  assert.equal(res.status, 200, await res.text());
  const after0 = await parked();
  assert.equal(after0.states.wg ?? 0, (before0.states.wg ?? 0) + PARK, 'the operator parked them');
  const currentFile = await dump();

  const [base, current] = await Promise.all([
    grouper.group(readFileSync(baseFile, 'utf8'), path.basename(baseFile)),
    grouper.group(readFileSync(currentFile, 'utf8'), path.basename(currentFile)),
  ]);
  assert.ok(base.inWorker && current.inWorker);
  const diff = diffGoroutineDumps(base.dump, current.dump);
  const report = formatGoroutineDiff(diff, baseFile, currentFile);
  const isParkedWg = (g: (typeof diff.groups)[number]) => g.state === STATE && g.frames.some((f) => f.function === 'main.parkedOnRequest');
  const target = diff.groups.filter(isParkedWg);
  assert.equal(target.length, 1, `one parked WaitGroup group:\n${report}`);
  const g = target[0];
  assert.equal(g.delta, PARK, report);
  assert.equal(g.before, before0.states.wg ?? 0);
  assert.equal(g.change, g.before === 0 ? 'appeared' : 'grew');
  // The frames say where: sync.(*WaitGroup).Wait called from parkedOnRequest in the operator's parked.go.
  assert.ok(g.frames.some((f) => f.function === 'sync.(*WaitGroup).Wait'));
  assert.match(g.frames.find((f) => f.function === 'main.parkedOnRequest')!.file, /sandbox\/operator\/parked\.go$/);
  assert.equal(g.createdBy?.function, 'main.(*parker).park');
  // It leads the report unless something else changed more meanwhile (other tests share the operator).
  const bigger = diff.groups.filter((x) => x.change !== 'same' && Math.abs(x.delta) > PARK);
  if (bigger.length === 0) assert.equal(diff.groups[0], g);
  assert.match(report, new RegExp(`^(appeared|grew) \\+${PARK} \\(\\d+ → \\d+\\) \\[${STATE}`, 'm'));
  // Both sides add up.
  assert.equal(diff.groups.reduce((s, x) => s + x.before, 0), base.dump.goroutines);
  assert.equal(diff.groups.reduce((s, x) => s + x.after, 0), current.dump.goroutines);
});
