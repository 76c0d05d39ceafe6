// Flame graph rendering in Chromium for a real Go heap profile with well over 100k call-tree nodes:
// time from the payload's arrival in the webview to the first painted flame graph (goal ≤ 150 ms),
// and the frame time of a zoom (goal ≤ 16 ms). The profile comes from test/bench/bigprofile (a Go
// program allocating down 25 000 distinct paths with MemProfileRate=1), cached between runs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { buildView, defaultOptions, loadProfile } from '../../src/views/profilePanel/model.ts';
import { repoRoot } from '../e2e/harness.ts';
import { deliver, openPanelPage, stagePayload } from '../e2e/webviewPage.ts';
import type { BrowserWindow } from '../e2e/browserGlobals.ts';
import { goal } from './goals.ts';

// page.evaluate callbacks run in Chromium; see browserGlobals.ts.
declare const window: BrowserWindow;
declare function requestAnimationFrame(cb: (t: number) => void): number;

const PATHS = 25000;
const cache = process.env.ETCD_PROFILER_CACHE ?? join(homedir(), '.cache', 'etcd-profiler');
const file = join(cache, 'bench', `flame-big-${PATHS}.pb.gz`);

if (!existsSync(file)) {
  mkdirSync(join(cache, 'bench'), { recursive: true });
  const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
  execFileSync(go, ['run', '.', '-out', file, '-paths', String(PATHS)], {
    cwd: join(repoRoot, 'test', 'bench', 'bigprofile'),
    env: { ...process.env, GOTOOLCHAIN: 'local' },
    stdio: 'inherit',
  });
}
if (!existsSync(join(repoRoot, 'dist', 'webview.js'))) execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))];
const ms = (x: number) => `${x.toFixed(1)} ms`;

const t0 = performance.now();
const loaded = loadProfile(readFileSync(file), 'flame-big.pb.gz');
if ('error' in loaded) throw new Error(loaded.error);
const t1 = performance.now();
const view = buildView(loaded, defaultOptions(loaded), undefined, { fileName: 'flame-big.pb.gz' });
const t2 = performance.now();
const nodes = view.payload.flame.cum.length;
console.log(`profile: ${file}`);
console.log(`call-tree nodes: ${nodes} (frames ${view.payload.frames.names.length}, samples ${loaded.profile.samples.length})`);
console.log(`host: decode ${ms(t1 - t0)}, build views ${ms(t2 - t1)}`);
if (nodes < 100_000) throw new Error(`the benchmark profile has only ${nodes} call-tree nodes (need ≥ 100000)`);

const panel = await openPanelPage('dark');
try {
  const { page } = panel;
  // CPU time of the renderer (main thread, and the whole process with its raster threads), which
  // other processes on a busy machine do not inflate the way they inflate wall-clock time.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' } as never);
  const cpu = async () => {
    const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value * 1000]));
    return { thread: m.ThreadTime, process: m.ProcessTime };
  };
  const firsts: number[] = [];
  const drawn: number[] = [];
  const threadCpu: number[] = [];
  const processCpu: number[] = [];
  let frames = 0;
  for (let run = 0; run < 6; run++) {
    await stagePayload(page, view.payload);
    const before = await cpu();
    const r = await deliver(page);
    const after = await cpu();
    firsts.push(r.toPainted);
    drawn.push(r.toDrawn);
    threadCpu.push(after.thread - before.thread);
    processCpu.push(after.process - before.process);
    frames = r.frames;
    if (r.nodes !== nodes) throw new Error(`webview saw ${r.nodes} nodes, sent ${nodes}`);
  }
  console.log(`arrival → first painted flame graph, wall clock: first ${ms(firsts[0])}, median of ${firsts.length} ${ms(median(firsts))}, max ${ms(Math.max(...firsts))} (goal ≤ 150 ms)`);
  console.log(`  of which layout + draw (synchronous): median ${ms(median(drawn))}; frames drawn ${frames}`);
  console.log(`  renderer CPU time: main thread first ${ms(threadCpu[0])}, median ${ms(median(threadCpu))}; whole renderer first ${ms(processCpu[0])}, median ${ms(median(processCpu))}`);

  // Zoom into frames of every size, as clicks do, and back out; time each until the next frame.
  const zoom = await page.evaluate(async () => {
    const app = (window as unknown as { __profileApp: { flame: { zoomTo(i: number): void; lastDrawMs: number } } }).__profileApp;
    const staged = (window as unknown as { __staged: { flame: { cum: Float64Array; depth: Uint16Array } } }).__staged;
    const { cum, depth } = staged.flame;
    // 60 nodes spread over the tree among those at depth ≤ 10 with at least 0.01% of the total.
    const candidates: number[] = [];
    for (let i = 1; i < cum.length; i++) if (depth[i] <= 10 && cum[i] >= cum[0] * 1e-4) candidates.push(i);
    const targets: number[] = [];
    for (let k = 0; k < 60 && k < candidates.length; k++) targets.push(candidates[Math.floor((k * candidates.length) / Math.min(60, candidates.length))]);
    const sync: number[] = [];
    const frame: number[] = [];
    const best: number[] = [];
    for (const t of [...targets, 0]) {
      let min = Infinity;
      for (let rep = 0; rep < 3; rep++) {
        app.flame.zoomTo(0);
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        const a = performance.now();
        app.flame.zoomTo(t);
        const b = performance.now();
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        sync.push(b - a);
        frame.push(performance.now() - a);
        min = Math.min(min, b - a);
      }
      best.push(min);
    }
    return { sync, frame, best, count: targets.length };
  });
  console.log(
    `zoom (${zoom.count} frames + reset, 3 times each): layout + draw median ${ms(median(zoom.sync))}, p95 ${ms(pct(zoom.sync, 0.95))}, max ${ms(Math.max(...zoom.sync))} (goal ≤ 16 ms)`,
  );
  console.log(`  best of 3 per frame (less disturbed by other processes): median ${ms(median(zoom.best))}, p95 ${ms(pct(zoom.best, 0.95))}, max ${ms(Math.max(...zoom.best))}`);
  console.log(`  until the next frame is painted: median ${ms(median(zoom.frame))}, p95 ${ms(pct(zoom.frame, 0.95))}`);
  // The same zooms once more, one at a time between CPU readings.
  const zoomCpu: number[] = [];
  const targets = await page.evaluate(() => {
    const { cum, depth } = (window.__staged as { flame: { cum: Float64Array; depth: Uint16Array } }).flame;
    const out: number[] = [];
    for (let i = 1; i < cum.length && out.length < 30; i += 97) if (depth[i] <= 10 && cum[i] >= cum[0] * 1e-4) out.push(i);
    return out;
  });
  // The cost of the measuring round trip itself (an evaluate waiting for a frame), to subtract.
  const idle: number[] = [];
  for (let k = 0; k < 10; k++) {
    const before = await cpu();
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
    const after = await cpu();
    idle.push(after.thread - before.thread);
  }
  for (const t of targets) {
    await page.evaluate(() => (window.__profileApp as { flame: { zoomTo(i: number): void } }).flame.zoomTo(0));
    const before = await cpu();
    await page.evaluate(
      (node) =>
        new Promise((resolve) => {
          (window.__profileApp as { flame: { zoomTo(i: number): void } }).flame.zoomTo(node);
          requestAnimationFrame(() => setTimeout(resolve, 0));
        }),
      t,
    );
    const after = await cpu();
    zoomCpu.push(Math.max(0, after.thread - before.thread - median(idle)));
  }
  if (zoomCpu.length) {
    console.log(
      `  zoom main-thread CPU time (${zoomCpu.length} zooms, incl. the frame, less ${ms(median(idle))} of measuring overhead): median ${ms(median(zoomCpu))}, p95 ${ms(pct(zoomCpu, 0.95))}`,
    );
  }
  if (panel.problems.length) console.log(`page problems:\n  ${panel.problems.join('\n  ')}`);
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const wallOk = firsts[0] <= 150 && median(firsts) <= 150 && pct(zoom.best, 0.95) <= 16;
  const cpuOk = threadCpu[0] <= 150 && median(threadCpu) <= 150 && (zoomCpu.length === 0 || pct(zoomCpu, 0.95) <= 16);
  console.log(`flame-render: wall clock ${wallOk ? 'within' : 'OUTSIDE'} the goals; renderer main-thread CPU time ${cpuOk ? 'within' : 'OUTSIDE'} the goals`);
  goal(`flame-render: first painted flame graph (first and median) ≤ 150 ms and zoom p95 (best of 3) ≤ 16 ms, wall clock`, wallOk);
  goal(`flame-render: the same goals in renderer main-thread CPU time`, cpuOk);
} finally {
  await panel.close();
}
