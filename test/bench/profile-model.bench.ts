// The profile model against the reference tools, in one run on the same machine:
// - `etcd-profiler top BIG` vs `go tool pprof -top BIG` on a real ~200k-sample heap profile
//   (MemProfileRate=1 while type-checking net/http and go/types): median wall ratio, goal ≤ 0.25;
// - `etcd-profiler goroutines DUMP` vs `panicparse DUMP` on a real 100k-goroutine debug=2 dump:
//   median wall ratio, goal ≤ 0.5.
// Each command runs under /usr/bin/time for its wall time, CPU time and peak memory (maximum resident
// set size). Runs alternate between the two tools so that changes in machine load hit both alike.
// Inputs come from test/bench/gen/make-inputs.sh (built once into the cache). Environment:
// BENCH_RUNS (default 3) runs of each top command; PANICPARSE_RUNS (default 1) runs of each
// goroutines command, since panicparse needs tens of CPU seconds on 100k goroutines (0: not measured).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { goal } from './goals.ts';

const root = join(import.meta.dirname, '..', '..');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const ppRuns = Number(process.env.PANICPARSE_RUNS ?? 1);
const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
const node = process.execPath;
const scratch = mkdtempSync(join(tmpdir(), 'profile-bench-'));
const cli = join(scratch, 'cli', 'cli.js');

function need(cmd: string, hint: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.log(`profile-model: ${cmd} is missing (${hint})`);
    process.exit(1);
  }
}
need('/usr/bin/time', 'apt-get install -y time');
need('panicparse', 'apt-get install -y panicparse');

const inputs = execFileSync('bash', [join(root, 'test/bench/gen/make-inputs.sh')], {
  encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local', PATH: `${join(go, '..')}:${process.env.PATH}` },
  stdio: ['ignore', 'pipe', 'inherit'],
}).trim().split('\n');
const big = inputs.find((f) => f.endsWith('.pb.gz'))!;
const dump = inputs.find((f) => f.endsWith('.debug2.txt'))!;
// The CLI bundled into the scratch folder as scripts/build.mjs bundles it (production), so that
// rebuilds of dist/ by others during the run cannot pull chunks away.
await esbuild.build({
  entryPoints: [join(root, 'src', 'cli.ts')], outdir: join(scratch, 'cli'), entryNames: '[name]',
  chunkNames: 'cli-chunks/[name]-[hash]', splitting: true, bundle: true, minify: true, platform: 'node',
  target: 'node22', format: 'esm', logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});

interface Measure { wall: number; cpu: number; rssMB: number }

function measure(cmd: string[], env: NodeJS.ProcessEnv = process.env): Measure {
  const out = join(scratch, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, ...cmd], {
    env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr.toString().slice(0, 500)}`);
  const [wall, user, sys, rss] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: user + sys, rssMB: rss / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (x: number, d = 2) => x.toFixed(d);

function compare(label: string, goal: number, ours: string[], theirs: string[], nOurs: number, nTheirs: number,
  names: [string, string], env?: NodeJS.ProcessEnv): boolean {
  const a: Measure[] = [];
  const b: Measure[] = [];
  for (let i = 0; i < Math.max(nOurs, nTheirs); i++) {
    if (i < nOurs) a.push(measure(ours, env));
    if (i < nTheirs) b.push(measure(theirs, env));
  }
  const wa = median(a.map((m) => m.wall));
  const wb = median(b.map((m) => m.wall));
  const ca = median(a.map((m) => m.cpu));
  const cb = median(b.map((m) => m.cpu));
  const ratio = wa / wb;
  const met = ratio <= goal;
  console.log(`${label}`);
  console.log(`  ${names[0].padEnd(22)} wall ${f(wa)} s  cpu ${f(ca)} s  peak ${f(Math.max(...a.map((m) => m.rssMB)), 0)} MB  [walls ${a.map((m) => f(m.wall)).join(', ')}]`);
  console.log(`  ${names[1].padEnd(22)} wall ${f(wb)} s  cpu ${f(cb)} s  peak ${f(Math.max(...b.map((m) => m.rssMB)), 0)} MB  [walls ${b.map((m) => f(m.wall)).join(', ')}]`);
  console.log(`  median wall ratio ${f(ratio, 3)} (goal ≤ ${goal}: ${met ? 'met' : 'NOT met'}); cpu ratio ${f(ca / cb, 3)}`);
  return met;
}

console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
try {
  const goEnv = { ...process.env, GOTOOLCHAIN: 'local' };
  // One untimed run each, so that the cached pprof tool binary and the page cache are warm.
  measure([go, 'tool', 'pprof', '-top', big], goEnv);
  measure([node, cli, 'top', big]);
  const topMet = compare(`top ${big} (median of ${runs})`, 0.25,
    [node, cli, 'top', big], [go, 'tool', 'pprof', '-top', big], runs, runs,
    ['etcd-profiler top', 'go tool pprof -top'], goEnv);
  // PANICPARSE_RUNS=0 (CI) leaves this comparison out: Debian's panicparse needs 15 s on an idle machine and took
  // 415 s at a load average of 18; goroutines.bench.ts holds the same goal against panicparse's library.
  const grMet = ppRuns === 0 ? (console.log('goroutines vs the panicparse command: not measured (PANICPARSE_RUNS=0)'), true) : compare(`goroutines ${dump} (${runs} runs of ours, ${ppRuns} of panicparse)`, 0.5,
    [node, cli, 'goroutines', dump], ['panicparse', '-parse=false', dump], runs, ppRuns,
    ['etcd-profiler goroutines', 'panicparse -parse=false']);
  console.log(`profile-model: top ${topMet ? 'meets' : 'does NOT meet'} its goal, goroutines ${grMet ? 'meets' : 'does NOT meet'} its goal; load average now ${loadavg()[0].toFixed(1)}`);
  goal('profile-model: etcd-profiler top / go tool pprof -top, median wall ratio ≤ 0.25', topMet);
  if (ppRuns > 0) goal('profile-model: etcd-profiler goroutines / panicparse, median wall ratio ≤ 0.5', grMet);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
