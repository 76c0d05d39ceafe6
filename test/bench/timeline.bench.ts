// Memory the extension host keeps for a timeline: a synthetic recording of one hour, four pods (three etcd
// members, the operator), a round every 10 s (360 rounds each) of a goroutine dump (debug=2), a heap and an
// allocs profile, built from the real captures in test/unit/testdata (each round's files are links to them),
// read back the way the Timeline view reads a recording (src/capture/recordingLoad.ts: index, then every
// capture summarized). Measured: the process's JS heap + array buffers after a full GC with the loaded timeline,
// its series and findings alive (modules included), and what loading added. Goal: < 100 MB.
// Run with `npm run bench -- timeline` (Node's --expose-gc is set by re-spawning itself).
import { spawnSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRecording } from '../../src/capture/recordingLoad.ts';
import { RECORDING_FORMAT, RECORDING_INDEX, indexLine, type RecordingHeader, type RoundEntry } from '../../src/profile/recordingIndex.ts';
import { timelineJson } from '../../src/profile/timelineReport.ts';

const GOAL_MB = 100;
const ROUNDS = Number(process.env.TIMELINE_BENCH_ROUNDS ?? 360);
const EVERY = 10;
const testdata = path.join(import.meta.dirname, '..', 'unit', 'testdata');
const PODS: Array<{ pod: string; source: 'etcd' | 'operator' }> = [
  { pod: 'etcd-master-0', source: 'etcd' },
  { pod: 'etcd-master-1', source: 'etcd' },
  { pod: 'etcd-master-2', source: 'etcd' },
  { pod: 'etcd-operator-7c9d', source: 'operator' },
];
const FILES = { goroutine: 'goroutine-debug2.txt', heap: 'heap.pb.gz', allocs: 'allocs.pb.gz' } as const;
const EXT = { goroutine: '.txt', heap: '.pb.gz', allocs: '.pb.gz' } as const;
const CAPTURE_ID = { goroutine: 'goroutine-debug2', heap: 'heap', allocs: 'allocs' } as const;

if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', import.meta.filename], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

function held(): number {
  for (let i = 0; i < 3; i++) globalThis.gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function place(src: string, dst: string): void {
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ep-timeline-bench-'));
  try {
    const t0 = Date.parse('2026-12-03T09:00:00Z');
    const header: RecordingHeader = {
      format: RECORDING_FORMAT, version: 1, context: 'bench', namespace: 'openshift-etcd', pods: PODS.map((p) => p.pod),
      kinds: ['goroutine', 'heap', 'allocs'], everySeconds: EVERY, forSeconds: ROUNDS * EVERY, cpuSeconds: 0, started: new Date(t0).toISOString(),
    };
    let index = indexLine(header);
    let bytesOnDisk = 0;
    for (const { pod } of PODS) mkdirSync(path.join(dir, pod));
    for (let r = 1; r <= ROUNDS; r++) {
      const t = new Date(t0 + (r - 1) * EVERY * 1000).toISOString();
      const stamp = t.replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
      for (const { pod, source } of PODS) {
        const entry: RoundEntry = { round: r, pod, t, captures: [] };
        for (const kind of ['goroutine', 'heap', 'allocs'] as const) {
          const src = path.join(testdata, `${source}.${FILES[kind]}`);
          const rel = `${pod}/${CAPTURE_ID[kind]}-${stamp}${EXT[kind]}`;
          place(src, path.join(dir, rel));
          const bytes = statSync(src).size;
          bytesOnDisk += bytes;
          entry.captures.push({ kind, file: rel, bytes, t });
        }
        index += indexLine(entry);
      }
    }
    index += indexLine({ ended: new Date(t0 + ROUNDS * EVERY * 1000).toISOString(), reason: 'duration' });
    writeFileSync(path.join(dir, RECORDING_INDEX), index);

    const before = held();
    const started = performance.now();
    const loaded = await loadRecording(dir);
    const json = timelineJson(loaded.index, loaded.timeline, loaded.findings);
    const ms = performance.now() - started;
    const after = held();
    const mb = after / (1 << 20);
    const deltaMb = (after - before) / (1 << 20);
    const captures = ROUNDS * PODS.length * 3;
    const points = json.series.reduce((n, s) => n + s.points.length, 0);
    console.log(`timeline: ${PODS.length} pods × ${ROUNDS} rounds every ${EVERY} s (${(ROUNDS * EVERY) / 3600} h) × 3 kinds = ${captures} real captures, ${(bytesOnDisk / (1 << 20)).toFixed(0)} MB on disk`);
    console.log(`  read and summarized in ${(ms / 1000).toFixed(1)} s (${(ms / captures).toFixed(2)} ms per capture); ${json.series.length} series, ${points} points, ${loaded.findings.length} findings, ${loaded.unreadable.length} unreadable`);
    console.log(`  process memory with the timeline loaded (JS heap + array buffers after GC, modules included): ${mb.toFixed(1)} MB; goal < ${GOAL_MB} MB: ${mb < GOAL_MB ? 'met' : 'NOT MET'}`);
    console.log(`  of which added by loading the recording: ${deltaMb.toFixed(1)} MB (${(Math.max(0, after - before) / captures).toFixed(0)} bytes per capture); RSS ${(process.memoryUsage().rss / (1 << 20)).toFixed(0)} MB`);
    if (loaded.unreadable.length > 0 || points === 0) {
      console.log('  FAILED: the recording did not read back whole');
      process.exitCode = 1;
    }
    if (!(mb < GOAL_MB)) process.exitCode = 1;
    // Keep everything alive until measured.
    if (loaded.timeline.pods.size !== PODS.length || json.series.length === 0) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
