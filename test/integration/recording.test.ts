// Recordings against the sandbox, through `etcd-profiler record` / `timeline` run as a user runs them (child
// processes) and through the recorder itself:
// - the operator recorded every 3 s for 40 s while the test parks 2 goroutines on sync.WaitGroup.Wait after
//   each round (its POST /park): the parked group's series rises by exactly the parked count between the first
//   and last round, and the one goroutine-leak finding names main.parkedOnRequest with that growth and rate;
// - the operator's heap leaking on purpose (POST /leak after each round): a heap-leak finding naming its
//   allocating function, main.retainOnRequest, with about the retained growth;
// - an etcd member recorded while nothing happens to it: no finding.
// The parked goroutines and retained memory are released at the end (POST /release, /unleak).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { Recorder } from '../../src/capture/recorder.ts';
import { loadRecording } from '../../src/capture/recordingLoad.ts';
import { ForwardRegistry } from '../../src/cluster/forwardRegistry.ts';
import type { PortForwardSession } from '../../src/cluster/portForward.ts';
import type { TimelineJson } from '../../src/profile/timelineReport.ts';
import { adminConfig, etcdPodNames, operatorPodName, REPO, sandboxInfo, SANDBOX_DIR } from './helpers/sandbox.ts';

const OPERATOR_NS = 'openshift-etcd-operator';
const PER_ROUND = 2;
const info = sandboxInfo();
const kc = adminConfig();
const operator = operatorPodName(info);
let dir: string;
let registry: ForwardRegistry;
let forward: PortForwardSession;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ep-recording-'));
  registry = new ForwardRegistry();
  forward = await registry.start(kc, { namespace: OPERATOR_NS, pod: operator, remotePort: 6060 }, 0);
});

after(async () => {
  if (forward) {
    await fetch(`http://127.0.0.1:${forward.localPort}/release`, { method: 'POST' }).catch(() => undefined);
    await fetch(`http://127.0.0.1:${forward.localPort}/unleak`, { method: 'POST' }).catch(() => undefined);
  }
  await registry?.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

async function post(p: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${forward.localPort}${p}`, { method: 'POST', headers: { connection: 'close' } });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

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
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

test('operator every 3 s for 40 s while goroutines are parked each round: the parked group rises by exactly the parked count, one finding names it', { timeout: 240_000 }, async () => {
  const out = path.join(dir, 'parked');
  let parked = 0;
  const parks: Array<Promise<unknown>> = [];
  const rounds: string[] = [];
  const r = await cli(
    ['record', '--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '-n', OPERATOR_NS, operator, '--every', '3s', '--for', '40s', '--kinds', 'goroutine', '-o', out],
    (line) => {
      if (!/^round \d+ /.test(line)) return;
      rounds.push(line);
      // Steady: PER_ROUND more after every round, well before the next one (3 s later).
      parks.push(post(`/park?n=${PER_ROUND}&state=wg`).then((x) => ((parked += PER_ROUND), x)));
    },
  );
  await Promise.all(parks);
  assert.equal(r.code, 0, r.stderr);
  // 14 slots in 40 s; a round that overruns its 3 s (a loaded machine) skips the slots it missed.
  console.log(`${rounds.length} rounds in 40 s`);
  assert.ok(rounds.length >= 5 && rounds.length <= 14, `rounds:\n${rounds.join('\n')}`);
  assert.ok(rounds.every((l) => l.includes('saved goroutine')), rounds.join('\n'));
  assert.match(r.stdout, new RegExp(`^Recorded ${rounds.length} rounds \\(${rounds.length} captures, 0 failed\\) into ${out}; duration reached\\.`));

  const t = await cli(['timeline', out, '--json']);
  assert.equal(t.code, 0, t.stderr);
  const json = JSON.parse(t.stdout) as TimelineJson;
  // The parks after the last round are not in any capture.
  const between = (rounds.length - 1) * PER_ROUND;
  const wg = json.series.find((s) => s.pod === operator && s.kind === 'goroutine' && s.metric === 'goroutines:sync.WaitGroup.Wait')!;
  assert.equal(wg.points.length, rounds.length);
  assert.equal(wg.points[wg.points.length - 1].value - wg.points[0].value, between, JSON.stringify(wg.points.map((p) => p.value)));
  const total = json.series.find((s) => s.pod === operator && s.metric === 'goroutines')!;
  assert.ok(total.points[total.points.length - 1].value - total.points[0].value >= between - 2, JSON.stringify(total.points.map((p) => p.value)));

  const leaks = json.findings.filter((f) => f.kind === 'goroutine-leak');
  assert.equal(leaks.length, 1, JSON.stringify(json.findings, null, 1));
  const f = leaks[0];
  assert.equal(f.pod, operator);
  assert.equal(f.state, 'sync.WaitGroup.Wait');
  assert.equal(f.end - f.start, between);
  const minutes = (Date.parse(f.to) - Date.parse(f.from)) / 60_000;
  assert.equal(f.perMinute, Math.round((between / minutes) * 10) / 10);
  assert.equal(f.what, `+${f.perMinute}/min main.parkedOnRequest · sync.WaitGroup.Wait`);
  assert.ok(f.frames?.includes('sync.(*WaitGroup).Wait'), f.frames?.join(' < '));
  // Rate about 2 per 3 s = 40/min.
  assert.ok(f.perMinute > 30 && f.perMinute < 50, String(f.perMinute));
  // The first and last captures are ordinary dumps in the recording.
  assert.match(f.files![0], new RegExp(`^${operator}/goroutine-debug2-.*\\.txt$`));
  assert.equal(parked, rounds.length * PER_ROUND);

  const text = await cli(['timeline', out]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^Findings:\\n  ${operator}: \\+${f.perMinute}/min main\\.parkedOnRequest · sync\\.WaitGroup\\.Wait \\(${f.start} → ${f.end}`, 'm'));
});

test('operator heap leaking on purpose: found with its allocating function', { timeout: 180_000 }, async () => {
  const KB = 3072;
  let leaks = 0;
  const posts: Array<Promise<unknown>> = [];
  const recorder = new Recorder({
    kubeConfig: kc,
    namespace: OPERATOR_NS,
    pods: [operator],
    kinds: ['heap'],
    everySeconds: 3,
    forSeconds: 30,
    dir: path.join(dir, 'leak'),
    onRound: () => {
      leaks++;
      posts.push(post(`/leak?kb=${KB}`));
    },
  });
  const r = await recorder.run();
  await Promise.all(posts);
  assert.equal(r.failed, 0);
  console.log(`${r.rounds} rounds in 30 s`);
  assert.ok(r.rounds >= 5, `${r.rounds} rounds`);
  const heapLeak = r.findings.filter((f) => f.kind === 'heap-leak');
  assert.equal(heapLeak.length, 1, JSON.stringify(r.findings, null, 1));
  const f = heapLeak[0];
  assert.equal(f.functions?.[0].name, 'main.retainOnRequest', JSON.stringify(f.functions));
  // Retained between the first and last capture: (rounds − 1) × KB; the heap profile samples (512 KiB rate).
  const retained = (r.rounds - 1) * KB * 1024;
  const growth = f.functions![0].growth;
  assert.ok(growth > retained * 0.5 && growth < retained * 1.5, `growth ${growth} vs retained ${retained}`);
  assert.match(f.what, /^\+[\d.]+MB\/min heap in use · main\.retainOnRequest \+[\d.]+MB/);
  // The same findings when the recording is read back from disk.
  const loaded = await loadRecording(r.dir);
  assert.deepEqual(loaded.findings, r.findings);
  assert.equal(leaks, r.rounds);
});

test('an etcd member recorded while nothing happens to it: no finding', { timeout: 240_000 }, async () => {
  const member = etcdPodNames(info)[0];
  // Six rounds, however long a loaded machine takes for them (fewer than four could not show a finding).
  const recorder: Recorder = new Recorder({
    kubeConfig: kc,
    namespace: 'openshift-etcd',
    pods: [member],
    kinds: ['goroutine', 'heap', 'allocs'],
    everySeconds: 3,
    forSeconds: null,
    dir: path.join(dir, 'flat'),
    onRound: (round) => {
      if (round.round >= 6) recorder.stop();
    },
  });
  const r = await recorder.run();
  assert.equal(r.failed, 0);
  assert.equal(r.rounds, 6);
  assert.deepEqual(r.findings, []);
  const series = r.timeline.series();
  assert.equal(series.find((s) => s.metric === 'goroutines')?.points.length, r.rounds);
  assert.equal(series.find((s) => s.metric === 'inuse_bytes')?.points.length, r.rounds);
  const rates = series.find((s) => s.metric === 'alloc_bytes_per_second')!;
  assert.equal(rates.points.length, r.rounds - 1);
  assert.ok(rates.points.every((p) => p.value > 0), 'a running etcd allocates');
});
