// The recorder's bookkeeping without a cluster: a kubeconfig whose API server refuses connections, so every
// capture fails, and an injected pod reader that reports a restart, then a new pod under the same name. Each
// round is still written with its failures, the next round runs, the changes are marked; the capture URLs.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { Recorder, recordCaptureKind } from '../../src/capture/recorder.ts';
import { capturePath } from '../../src/capture/kinds.ts';
import { parseRecordingIndex } from '../../src/profile/recordingIndex.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'ep-recorder-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('capture URLs: goroutines as debug=2 dumps, heap after a GC unless turned off', () => {
  assert.equal(capturePath(recordCaptureKind('goroutine')), '/debug/pprof/goroutine?debug=2');
  assert.equal(capturePath(recordCaptureKind('heap')), '/debug/pprof/heap?gc=1');
  assert.equal(capturePath(recordCaptureKind('heap', false)), '/debug/pprof/heap');
  assert.equal(capturePath(recordCaptureKind('allocs')), '/debug/pprof/allocs');
  assert.equal(capturePath(recordCaptureKind('cpu'), 5), '/debug/pprof/profile?seconds=5');
});

test('every round is written with its failures, the next one runs, restarts and replacements are marked', { timeout: 60_000 }, async () => {
  const kc = new KubeConfig();
  const port = await closedPort();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  // Calls of the pod reader: round 1 starts (uid a, 0 restarts), its captures fail and the re-read sees a restart;
  // round 2 starts and re-reads 6 times (no change); round 3 starts on a new pod b.
  let calls = 0;
  const readPod = async () => {
    calls++;
    return calls <= 1 ? { uid: 'a', restarts: 0 } : calls <= 9 ? { uid: 'a', restarts: 1 } : { uid: 'b', restarts: 0 };
  };
  let reads = 0;
  const seenRounds: number[] = [];
  const out = path.join(dir, 'rec');
  const recorder = new Recorder({
    kubeConfig: kc,
    namespace: 'ns',
    pods: ['p'],
    kinds: ['goroutine', 'heap'],
    everySeconds: 0.3,
    forSeconds: null,
    dir: out,
    readPod,
    onRoundStart: () => reads++,
    onRound: (r) => {
      seenRounds.push(r.round);
      if (seenRounds.length === 4) recorder.stop();
    },
  });
  const r = await recorder.run();
  assert.equal(r.reason, 'stopped');
  assert.deepEqual(seenRounds, [1, 2, 3, 4]);
  assert.equal(r.failed, 8);
  const index = parseRecordingIndex(readFileSync(path.join(out, 'recording.jsonl'), 'utf8'));
  assert.deepEqual(index.rounds.map((x) => x.change ?? '-'), ['restarted', '-', 'replaced', '-']);
  for (const round of index.rounds) {
    assert.deepEqual(round.captures.map((c) => c.kind), ['goroutine', 'heap']);
    for (const c of round.captures) assert.ok('error' in c && c.error.length > 0, JSON.stringify(c));
  }
  // Seen after the failure: the failure says why; seen at the start of a round: the mark says it.
  assert.match((index.rounds[0].captures[0] as { error: string }).error, /^A container of p restarted during this round; nothing was saved\. \(Cannot reach the API server/);
  assert.match((index.rounds[2].captures[0] as { error: string }).error, /^Cannot reach the API server/);
  assert.equal(index.end?.reason, 'stopped');
  assert.ok(reads >= 4);
  // The timeline keeps the rounds with their failures and marks, and no points.
  const p = r.timeline.pods.get('p')!;
  assert.deepEqual(p.rounds.map((x) => [x.round, x.change, x.failed.length]), [[1, 'restarted', 2], [2, undefined, 2], [3, 'replaced', 2], [4, undefined, 2]]);
  assert.equal(p.goroutine.length, 0);
});
