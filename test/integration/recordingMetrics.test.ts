// etcd metrics and triggers in recordings against the sandbox:
// - an etcd member recorded every 3 s for four rounds, with a few puts after each round: every round holds the
//   member's /metrics numbers; its db size equals what the member's /metrics says when the round ends (read
//   again by the test, before its puts), and `etcd-profiler timeline --json` shows the four metrics series;
// - the operator recorded by `etcd-profiler record --trigger-goroutines T --cooldown 5m` while the test parks
//   40 goroutines (POST /park?state=select) after round 2: exactly one trigger fires, in the first round after
//   the park, with a goroutine dump (holding the parked goroutines) and a heap profile; none again in the
//   cool-down. The parked goroutines are released at the end.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { requestFromPod } from '../../src/capture/podRequest.ts';
import { Recorder } from '../../src/capture/recorder.ts';
import { ForwardRegistry } from '../../src/cluster/forwardRegistry.ts';
import type { PortForwardSession } from '../../src/cluster/portForward.ts';
import { summarizeCapture, type GoroutineSummary } from '../../src/profile/captureSummary.ts';
import { decodeProfile } from '../../src/profile/decode.ts';
import { summarizeEtcdMetrics } from '../../src/profile/etcdMetrics.ts';
import { RECORDING_INDEX, parseRecordingIndex } from '../../src/profile/recordingIndex.ts';
import type { TimelineJson } from '../../src/profile/timelineReport.ts';
import { adminConfig, etcdPodNames, operatorPodName, REPO, sandboxInfo, SANDBOX_DIR } from './helpers/sandbox.ts';

const OPERATOR_NS = 'openshift-etcd-operator';
const PARKED = 40;
const info = sandboxInfo();
const kc = adminConfig();
const operator = operatorPodName(info);
let dir: string;
let registry: ForwardRegistry;
let forward: PortForwardSession;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ep-recording-metrics-'));
  registry = new ForwardRegistry();
  forward = await registry.start(kc, { namespace: OPERATOR_NS, pod: operator, remotePort: 6060 }, 0);
});

after(async () => {
  if (forward) await fetch(`http://127.0.0.1:${forward.localPort}/release`, { method: 'POST' }).catch(() => undefined);
  await registry?.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], onStderrLine?: (line: string) => void): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'src/cli.ts'), ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr += line + '\n';
      onStderrLine?.(line);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

test('an etcd member: each round reads its /metrics; db size equals the member\'s /metrics at the end of the round; four series in timeline --json', { timeout: 90_000 }, async () => {
  const member = etcdPodNames(info)[0];
  const o = { kubeConfig: kc, namespace: 'openshift-etcd', pod: member };
  const checks: Array<Promise<{ round: number; recorded: number | undefined; now: number | undefined }>> = [];
  const recorder: Recorder = new Recorder({
    ...o,
    pods: [member],
    kinds: ['goroutine'],
    everySeconds: 3,
    forSeconds: 60,
    dir: path.join(dir, 'member'),
    onRound: (round) => {
      if (round.round >= 4) recorder.stop();
      const recorded = round.metrics && !('error' in round.metrics) ? round.metrics.dbSizeBytes : undefined;
      checks.push(
        (async () => {
          const answer = await requestFromPod(o, '/metrics');
          const now = summarizeEtcdMetrics(answer.body.toString('utf8')).dbSizeBytes;
          // Then a few writes, so the next round's WAL fsync p99 is of fsyncs between two rounds.
          for (let i = 0; i < 5; i++) {
            const put = await requestFromPod({ ...o, postJson: JSON.stringify({ key: Buffer.from(`recording-metrics-${round.round}-${i}`).toString('base64'), value: Buffer.from('v').toString('base64') }) }, '/v3/kv/put');
            assert.equal(put.status, 200, put.body.toString());
          }
          return { round: round.round, recorded, now };
        })(),
      );
    },
  });
  const r = await recorder.run();
  const seen = await Promise.all(checks);
  assert.equal(r.failed, 0);
  assert.equal(r.rounds, 4);
  for (const c of seen) {
    assert.ok(c.recorded !== undefined && c.recorded > 0, JSON.stringify(c));
    assert.equal(c.recorded, c.now, `round ${c.round}: recorded ${c.recorded}, /metrics says ${c.now}`);
  }

  const t = await cli(['timeline', r.dir, '--json']);
  assert.equal(t.code, 0, t.stderr);
  const json = JSON.parse(t.stdout) as TimelineJson;
  const series = json.series.filter((s) => s.kind === 'metrics' && s.pod === member);
  assert.deepEqual(series.map((s) => s.metric), ['db_size_bytes', 'db_size_in_use_bytes', 'wal_fsync_p99_seconds', 'leader_changes_seen_total']);
  for (const s of series) assert.equal(s.points.length, 4, s.metric);
  const get = (m: string) => series.find((s) => s.metric === m)!.points.map((p) => p.value);
  assert.deepEqual(get('db_size_bytes'), seen.map((c) => c.recorded));
  const inUse = get('db_size_in_use_bytes');
  assert.ok(inUse.every((v, i) => v > 0 && v <= get('db_size_bytes')[i]), JSON.stringify(inUse));
  // A member of a healthy three-member cluster has seen a leader at least once, and no change while recorded.
  const leader = get('leader_changes_seen_total');
  assert.ok(leader[0] >= 1 && leader.every((v) => v === leader[0]), JSON.stringify(leader));
  // WAL fsync p99 on a local disk: a bucket bound between 1 ms and 8.192 s.
  const p99 = get('wal_fsync_p99_seconds');
  assert.ok(p99.every((v) => v > 0 && v <= 8.192), JSON.stringify(p99));
  console.log(`db ${get('db_size_bytes').join(', ')} B; in use ${inUse.join(', ')} B; fsync p99 ${p99.map((v) => (v * 1000).toFixed(1)).join(', ')} ms; leader changes ${leader[0]}`);
});

test('operator with --trigger-goroutines: one trigger when the parked goroutines cross it, none again in the cool-down', { timeout: 90_000 }, async () => {
  const res = await fetch(`http://127.0.0.1:${forward.localPort}/debug/pprof/goroutine?debug=1`, { headers: { connection: 'close' } });
  const baseline = Number(/^goroutine profile: total (\d+)/.exec(await res.text())![1]);
  const threshold = baseline + PARKED / 2;
  const out = path.join(dir, 'trigger');
  const rounds: string[] = [];
  const triggers: string[] = [];
  let park: Promise<Response> | undefined;
  const r = await cli(
    ['record', '--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '-n', OPERATOR_NS, operator, '--every', '3s', '--for', '21s', '--kinds', 'goroutine', '--trigger-goroutines', String(threshold), '--cooldown', '5m', '-o', out],
    (line) => {
      if (line.startsWith('trigger: ')) triggers.push(line);
      if (!/^round \d+ /.test(line)) return;
      rounds.push(line);
      if (rounds.length === 2) park = fetch(`http://127.0.0.1:${forward.localPort}/park?n=${PARKED}&state=select`, { method: 'POST', headers: { connection: 'close' } });
    },
  );
  assert.equal((await park)?.status, 200);
  assert.equal(r.code, 0, r.stderr);
  console.log(`${rounds.length} rounds; baseline ${baseline} goroutines, threshold ${threshold}`);
  assert.ok(rounds.length >= 4, rounds.join('\n'));
  assert.equal(triggers.length, 1, r.stderr);
  assert.match(r.stdout, /, 1 trigger fired\) into /);

  const index = parseRecordingIndex(readFileSync(path.join(out, RECORDING_INDEX), 'utf8'));
  assert.deepEqual(index.header.triggers, { goroutines: threshold, cooldownSeconds: 300 });
  const fired = index.rounds.filter((x) => x.triggered);
  assert.equal(fired.length, 1);
  const round = fired[0];
  // The first round after the park (round 3), not before: rounds 1 and 2 stay under the threshold.
  assert.equal(round.round, 3, JSON.stringify(index.rounds.map((x) => [x.round, x.triggered?.reason])));
  assert.equal(round.metrics, undefined, 'the operator is not an etcd member: no /metrics read');
  const tr = round.triggered!;
  assert.equal(tr.crossed.length, 1);
  assert.equal(tr.crossed[0].metric, 'goroutines');
  assert.ok(tr.crossed[0].value >= baseline + PARKED - 2, JSON.stringify(tr.crossed));
  assert.equal(tr.reason, `goroutines ${tr.crossed[0].value} ≥ ${threshold}`);
  assert.ok(triggers[0].startsWith(`trigger: ${operator} round 3: ${tr.reason}: `), triggers[0]);
  assert.deepEqual(tr.captures.map((c) => c.kind), ['goroutine', 'heap']);
  const files = tr.captures.map((c) => ('file' in c ? c.file : assert.fail(`${c.kind}: ${c.error}`)));
  assert.match(files[0], new RegExp(`^${operator}/triggered-goroutine-debug2-.*\\.txt$`));
  assert.match(files[1], new RegExp(`^${operator}/triggered-heap-.*\\.pb\\.gz$`));
  for (const f of files) assert.ok(existsSync(path.join(out, f)), f);
  const dump = summarizeCapture('goroutine', readFileSync(path.join(out, files[0]))) as GoroutineSummary;
  assert.ok(dump.total >= threshold, `${dump.total} goroutines in the triggered dump`);
  assert.equal(dump.groups.filter((g) => g.frames.includes('main.parkedOnRequest') && g.state === 'select').reduce((n, g) => n + g.count, 0), PARKED);
  // A heap profile of the operator (its in-use sample may be empty at the default sampling rate).
  const heap = decodeProfile(readFileSync(path.join(out, files[1])));
  assert.deepEqual(heap.sampleTypes.map((s) => s.type), ['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space']);

  const t = await cli(['timeline', out, '--json']);
  assert.equal(t.code, 0, t.stderr);
  const json = JSON.parse(t.stdout) as TimelineJson;
  assert.deepEqual(json.triggers.map((x) => [x.pod, x.round, x.reason, x.files.map((f) => f.file)]), [[operator, 3, tr.reason, files]]);
  assert.equal(json.series.filter((s) => s.kind === 'metrics').length, 0);
});

test('etcd-profiler record on a member reads /metrics each round; --no-etcd-metrics does not', { timeout: 90_000 }, async () => {
  const member = etcdPodNames(info)[1];
  const run = async (name: string, extra: string[]) => {
    const out = path.join(dir, name);
    const r = await cli(['record', '--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '-n', 'openshift-etcd', member, '--every', '3s', '--for', '5s', '--kinds', 'goroutine', ...extra, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    return { r, index: parseRecordingIndex(readFileSync(path.join(out, RECORDING_INDEX), 'utf8')) };
  };
  const on = await run('cli-on', []);
  assert.equal(on.index.rounds.length, 2, on.r.stderr);
  assert.match(on.r.stderr, /^round 1 .*: saved goroutine; read \/metrics$/m);
  for (const round of on.index.rounds) assert.ok(round.metrics && !('error' in round.metrics) && round.metrics.dbSizeBytes! > 0, JSON.stringify(round.metrics));
  const off = await run('cli-off', ['--no-etcd-metrics']);
  assert.ok(off.index.rounds.length >= 1);
  for (const round of off.index.rounds) assert.equal(round.metrics, undefined);
  assert.doesNotMatch(off.r.stderr, /\/metrics/);
});

test('a /metrics read that fails is written into the round, and the captures of the round go on', { timeout: 60_000 }, async () => {
  // The operator stand-in serves pprof but no /metrics on its pprof port: forcing the read shows the failure path.
  const recorder: Recorder = new Recorder({
    kubeConfig: kc,
    namespace: OPERATOR_NS,
    pods: [operator],
    kinds: ['goroutine'],
    everySeconds: 3,
    forSeconds: 30,
    etcdMetrics: true,
    dir: path.join(dir, 'metrics-fail'),
    onRound: (round) => {
      if (round.round >= 2) recorder.stop();
    },
  });
  const r = await recorder.run();
  assert.equal(r.rounds, 2);
  assert.equal(r.failed, 0);
  const index = parseRecordingIndex(readFileSync(r.index, 'utf8'));
  for (const round of index.rounds) {
    assert.ok(round.metrics && 'error' in round.metrics, JSON.stringify(round.metrics));
    assert.match(round.metrics.error, /^\/metrics answered 404/);
    assert.equal(round.metrics.code, 'http-error');
    assert.deepEqual(round.captures.map((c) => ('file' in c ? c.kind : c.error)), ['goroutine']);
  }
});
