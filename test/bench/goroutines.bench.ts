// Grouping a 100k-goroutine debug=2 dump (~30 MB, test/bench/gen/make-inputs.sh) the way the extension does
// it for a saved dump — the goroutine worker thread (src/profile/goroutineWorker.ts, bundled as
// dist/goroutineWorker.cjs) reads the file, parses, groups and line-indexes it, the result comes back — against
// panicparse (github.com/maruel/panicparse/v2, read + ScanSnapshot + Aggregate; test/bench/panicparse) on the
// same file, interleaved in one run. Goal, as in profile-model.bench.ts (which times the CLI's in-thread path
// against the panicparse binary): median ratio ours/panicparse ≤ 0.5.
// Also how long the calling thread stalls meanwhile (a 5 ms timer's largest gap): with the worker, the
// extension host keeps running; in-thread (the fallback) it would stall for the whole parse.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GoroutineGrouper, groupHere } from '../../src/profile/goroutineWorkerClient.ts';
import { goal } from './goals.ts';

const run = promisify(execFile);
const ROUNDS = Number(process.env.GOROUTINE_BENCH_ROUNDS ?? 3);
const here = import.meta.dirname;
const cache = process.env.ETCD_PROFILER_CACHE ?? path.join(homedir(), '.cache', 'etcd-profiler');
const input = path.join(cache, 'bench', 'goroutines-100k.debug2.txt');
const driver = path.join(cache, 'bench', 'bin', 'panicparse-bench');
const goEnv = { ...process.env, GOTOOLCHAIN: 'local', PATH: `/usr/local/go/bin:${process.env.PATH ?? ''}` };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs `fn` while a 5 ms timer ticks on this thread; returns its result and the largest gap between ticks. */
async function withStallProbe<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; maxStallMs: number }> {
  let last = performance.now();
  let maxStall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxStall = Math.max(maxStall, now - last);
    last = now;
  }, 5);
  const t0 = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t0;
    maxStall = Math.max(maxStall, performance.now() - last);
    return { value, ms, maxStallMs: maxStall };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  if (!existsSync(input)) {
    console.log('goroutines bench: building the inputs (test/bench/gen/make-inputs.sh)…');
    await run('bash', [path.join(here, 'gen', 'make-inputs.sh')], { env: goEnv, maxBuffer: 1 << 24, timeout: 30 * 60_000 });
  }
  if (!existsSync(driver)) {
    mkdirSync(path.dirname(driver), { recursive: true });
    await run('go', ['build', '-o', driver, '.'], { cwd: path.join(here, 'panicparse'), env: goEnv, timeout: 10 * 60_000 });
  }
  const grouper = new GoroutineGrouper(new URL('../../src/profile/goroutineWorker.ts', import.meta.url));
  const ours: number[] = [];
  const theirs: number[] = [];
  const stalls: number[] = [];
  const reads: number[] = [];
  const textStalls: number[] = [];
  let groups = 0;
  let goroutines = 0;
  let buckets = 0;
  let ppGoroutines = 0;
  try {
    // Warm the worker (thread start, module load) outside the timing, as the extension's first dump does.
    await grouper.group('goroutine 1 [running]:\nmain.main()\n\t/x/main.go:1 +0x1\n', 'warm-up');
    for (let i = 0; i < ROUNDS; i++) {
      // As the extension does for a saved dump: the worker reads the file itself.
      const r = await withStallProbe(() => grouper.groupFile(input, path.basename(input)));
      ours.push(r.ms);
      // An edited (unsaved) dump: its text is read here and sent to the worker.
      const t0 = performance.now();
      const text = readFileSync(input, 'utf8');
      const readMs = performance.now() - t0;
      const rt = await withStallProbe(() => grouper.group(text, path.basename(input)));
      reads.push(readMs);
      textStalls.push(rt.maxStallMs);
      stalls.push(r.maxStallMs);
      groups = r.value.dump.groups.length;
      goroutines = r.value.dump.goroutines;
      const { stdout } = await run(driver, [input, '1'], { maxBuffer: 1 << 20, timeout: 10 * 60_000 });
      const pp = JSON.parse(stdout) as { goroutines: number; buckets: number; ms: number[] };
      theirs.push(pp.ms[0]);
      buckets = pp.buckets;
      ppGoroutines = pp.goroutines;
    }
  } finally {
    grouper.dispose();
  }
  // The same code without the worker, once, for the stall it would cause.
  const whole = readFileSync(input, 'utf8');
  const inThread = await withStallProbe(async () => groupHere(whole, 'in-thread'));

  const o = median(ours);
  const p = median(theirs);
  const ratio = o / p;
  const size = (readFileSync(input).length / 1e6).toFixed(1);
  console.log(`goroutines: ${path.basename(input)} (${size} MB, ${goroutines} goroutines), ${ROUNDS} interleaved rounds (medians)`);
  console.log(`  extension (worker: read, parse, group, index; result back):  ${o.toFixed(0)} ms   [${ours.map((x) => x.toFixed(0)).join(', ')}]  ${groups} groups`);
  console.log(`  panicparse v2 (read + ScanSnapshot + Aggregate):            ${p.toFixed(0)} ms   [${theirs.map((x) => x.toFixed(0)).join(', ')}]  ${buckets} buckets, ${ppGoroutines} goroutines`);
  console.log(`  ratio extension/panicparse: ${ratio.toFixed(2)} (goal <= 0.5: ${ratio <= 0.5 ? 'met' : 'NOT met'})`);
  console.log(`  calling thread's longest stall while grouping (medians): worker reading the file ${median(stalls).toFixed(0)} ms; text sent to the worker (unsaved dump) ${median(textStalls).toFixed(0)} ms + ${median(reads).toFixed(0)} ms getting the text; in-thread ${inThread.maxStallMs.toFixed(0)} ms (${inThread.ms.toFixed(0)} ms total)`);
  if (goroutines !== ppGoroutines) throw new Error(`goroutine counts differ: extension ${goroutines}, panicparse ${ppGoroutines}`);
  goal(`goroutines: extension/panicparse median ratio ${ratio.toFixed(2)} ≤ 0.5`, ratio <= 0.5);
}

try {
  await main();
} catch (err) {
  console.error(`goroutines bench failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}
