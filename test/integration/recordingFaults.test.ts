// A recording survives its pod: an etcd member's process killed (SIGKILL) in the middle of a round of a recording
// every 5 s (during its 3 s CPU profile). That round's capture fails and is written with the reason, the round in
// which the restart is seen (that one, or the next ones) is marked `restarted`, and the recording goes on with
// captures that work. A pod deleted and created again under its name is followed: the round that sees the new
// uid is marked `replaced`. Needs a running sandbox.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Recorder } from '../../src/capture/recorder.ts';
import { loadRecording } from '../../src/capture/recordingLoad.ts';
import type { RoundEntry } from '../../src/profile/recordingIndex.ts';
import { timelineJson } from '../../src/profile/timelineReport.ts';
import { etcdMemberPid, runningReady } from '../hardening/helpers/cluster.ts';
import { CoreV1Api } from '@kubernetes/client-node';
import { adminConfig, createScratchOperator, deletePod, etcdPodNames, sandboxInfo, waitForPod, waitForPodGone, waitForProfilingLog } from './helpers/sandbox.ts';

const ETCD_NS = 'openshift-etcd';
const info = sandboxInfo();
const kc = adminConfig();
const dir = mkdtempSync(path.join(tmpdir(), 'ep-recording-faults-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ok = (r: RoundEntry) => r.captures.length > 0 && r.captures.every((c) => 'file' in c);

test('a member killed during a recording: that round fails and is marked, the recording goes on', { timeout: 240_000 }, async () => {
  const member = etcdPodNames(info)[2];
  const node = info.pods.find((p) => p.name === member)!.node;
  const rounds: RoundEntry[] = [];
  let killedIn = 0;
  let kill: NodeJS.Timeout | undefined;
  const recorder = new Recorder({
    kubeConfig: kc,
    namespace: ETCD_NS,
    pods: [member],
    kinds: ['goroutine', 'heap', 'cpu'],
    everySeconds: 5,
    cpuSeconds: 3,
    forSeconds: null,
    dir: path.join(dir, 'killed'),
    // 1.5 s into round 4, while its 3 s CPU profile runs (or is being set up).
    onRoundStart: (n) => {
      if (n !== 4) return;
      kill = setTimeout(() => {
        const pid = etcdMemberPid(info.pid, node);
        assert.ok(pid, `etcd process of ${node} not found under the orchestrator ${info.pid}`);
        process.kill(pid, 'SIGKILL');
        killedIn = n;
      }, 1500);
    },
    onRound: (r) => {
      rounds.push(r);
      // Stop three good rounds after the restart was seen.
      const restartAt = rounds.findIndex((x) => x.change === 'restarted');
      if (restartAt >= 0 && rounds.slice(restartAt + 1).filter(ok).length >= 3) recorder.stop();
    },
  });
  const timer = setTimeout(() => recorder.stop(), 180_000);
  const result = await recorder.run();
  clearTimeout(timer);
  clearTimeout(kill);
  const log = rounds.map((r) => `${r.round} ${r.change ?? '-'} ${r.captures.map((c) => ('file' in c ? `${c.kind}:ok` : `${c.kind}:${c.code}`)).join(' ')}`).join('\n');
  console.log(`rounds (round, change, captures):\n${log}`);
  assert.equal(result.reason, 'stopped', log);
  assert.ok(rounds.slice(0, 3).every(ok), log);
  const failedRounds = rounds.filter((r) => r.captures.some((c) => 'error' in c));
  assert.equal(killedIn, 4, 'the member was killed during round 4');
  assert.ok(failedRounds.length >= 1, `no failed round:\n${log}`);
  assert.equal(failedRounds[0].round, 4, `the round during the kill fails:\n${log}`);
  const failure = failedRounds[0].captures.find((c) => 'error' in c)!;
  assert.ok('error' in failure && /restarted|dropped|not running|refused|deleted|reach/i.test(failure.error), JSON.stringify(failure));
  const marked = rounds.filter((r) => r.change === 'restarted');
  assert.equal(marked.length, 1, log);
  assert.ok(marked[0].round >= 4, log);
  const after = rounds.filter((r) => r.round > marked[0].round);
  assert.ok(after.filter(ok).length >= 3 && ok(rounds[rounds.length - 1]), `the recording goes on after the restart:\n${log}`);

  // Read back: the same failures and mark in the timeline's rounds; points only for rounds that worked.
  const loaded = await loadRecording(result.dir);
  assert.equal(loaded.index.end?.reason, 'stopped');
  const json = timelineJson(loaded.index, loaded.timeline, loaded.findings);
  assert.equal(json.rounds.filter((r) => r.failed.length > 0)[0].round, 4);
  assert.deepEqual(json.rounds.filter((r) => r.change).map((r) => [r.round, r.change]), [[marked[0].round, 'restarted']]);
  const g = json.series.find((s) => s.metric === 'goroutines')!;
  assert.equal(g.points.length, rounds.filter((r) => r.captures.some((c) => c.kind === 'goroutine' && 'file' in c)).length);
  assert.deepEqual(loaded.findings, [], 'a restart is not a leak');
  await waitForPod(kc, ETCD_NS, member, runningReady, 90_000);
});

test('a pod replaced under its name during a recording: that round is marked replaced, the recording goes on', { timeout: 240_000 }, async () => {
  // A scratch operator stand-in: deleted after round 2 and created again under the same name (as a StatefulSet
  // or a static pod gets its name back), with a new uid.
  const ns = 'openshift-etcd-operator';
  const name = await createScratchOperator(kc, info, 'replaced', info.nodes[1].name);
  const core = kc.makeApiClient(CoreV1Api);
  const original = await core.readNamespacedPod({ name, namespace: ns });
  const replace = async (): Promise<void> => {
    await deletePod(kc, ns, name, 0);
    await waitForPodGone(kc, ns, name, 60_000);
    await core.createNamespacedPod({ namespace: ns, body: { metadata: { name, namespace: ns, labels: original.metadata!.labels }, spec: original.spec! } });
    await waitForPod(kc, ns, name, (p) => p.status?.phase === 'Running', 60_000);
    await waitForProfilingLog(kc, ns, name);
  };
  let replacing: Promise<void> | undefined;
  const rounds: RoundEntry[] = [];
  try {
    const recorder = new Recorder({
      kubeConfig: kc,
      namespace: ns,
      pods: [name],
      kinds: ['goroutine'],
      everySeconds: 3,
      forSeconds: null,
      dir: path.join(dir, 'replaced'),
      onRound: (r) => {
        rounds.push(r);
        if (r.round === 2) replacing = replace();
        // Stop two good rounds after the replacement was seen.
        const at = rounds.findIndex((x) => x.change === 'replaced');
        if (at >= 0 && rounds.slice(at).filter(ok).length >= 2) recorder.stop();
      },
    });
    const timer = setTimeout(() => recorder.stop(), 150_000);
    const result = await recorder.run();
    clearTimeout(timer);
    await replacing;
    const log = rounds.map((r) => `${r.round} ${r.podUid ?? '?'} ${r.change ?? '-'} ${r.captures.map((c) => ('file' in c ? `${c.kind}:ok` : `${c.kind}:${c.code}`)).join(' ')}`).join('\n');
    console.log(`rounds (round, pod uid, change, captures):\n${log}`);
    assert.equal(result.reason, 'stopped', log);
    assert.ok(rounds.slice(0, 2).every(ok) && rounds.slice(0, 2).every((r) => r.podUid === original.metadata!.uid), log);
    const marked = rounds.filter((r) => r.change === 'replaced');
    assert.equal(marked.length, 1, `one round marked replaced:\n${log}`);
    assert.ok(marked[0].round > 2, log);
    const newUid = rounds[rounds.length - 1].podUid;
    assert.ok(newUid && newUid !== original.metadata!.uid, `the last rounds read the new pod:\n${log}`);
    assert.ok(rounds.filter((r) => r.round >= marked[0].round).filter(ok).length >= 2, `captured again after the replacement:\n${log}`);
    const loaded = await loadRecording(result.dir);
    const json = timelineJson(loaded.index, loaded.timeline, loaded.findings);
    assert.deepEqual(json.rounds.filter((r) => r.change).map((r) => [r.round, r.change]), [[marked[0].round, 'replaced']]);
  } finally {
    await replacing?.catch(() => undefined);
    await deletePod(kc, ns, name, 0);
  }
});
