// Hostile content through the model, the panel's rendering and the source resolver, each input in a child
// process with a capped heap: names with markup, script, control and bidi characters, a 1 MiB name, paths
// outside every root, two million samples, a 10k-frame recursion, and the same in a goroutine dump. Every
// input is a mutation of a real capture (helpers/hostile.ts).
import { PRIVATE_TMP } from './helpers/leaks.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { recordFigure } from './helpers/figures.ts';
import { hostileDump, withDeepStack, withHostileStrings, withManySamples } from './helpers/hostile.ts';
import { guardLeaks } from './helpers/leaks.ts';

const run = promisify(execFile);
const here = import.meta.dirname;
const data = (f: string) => readFileSync(path.join(here, 'testdata', f));
const work = path.join(PRIVATE_TMP, 'hostile');
/** Heap cap of each child (MiB) and the RSS ceiling asserted: inputs must stay within them. */
const HEAP_CAP_MB = 1024;
const RSS_BOUND_MB = 1536;

interface Report {
  error?: string;
  peakRssMB: number;
  ms: number;
  pathsOutside: string[];
  pathsAsked: number;
  [k: string]: unknown;
}

async function through(kind: 'profile' | 'dump', name: string, bytes: Uint8Array | string, mode = ''): Promise<Report> {
  mkdirSync(work, { recursive: true });
  const file = path.join(work, name);
  writeFileSync(file, bytes);
  try {
    const { stdout } = await run(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, path.join(here, 'helpers/hostileWorker.ts'), kind, file, path.join(work, 'ws'), mode], {
      maxBuffer: 1 << 20,
      timeout: 120_000,
    });
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as Report;
    recordFigure('hostileInputs', 1, `hostile/${name}`, `${report.peakRssMB} MB peak, ${report.ms} ms`);
    console.log(`${name}: ${JSON.stringify({ ...report, pathsOutside: report.pathsOutside.length })}`);
    assert.ok(report.peakRssMB < RSS_BOUND_MB, `${name}: peak RSS ${report.peakRssMB} MB`);
    assert.deepEqual(report.pathsOutside, [], `${name}: the resolver asked about paths outside the roots`);
    return report;
  } finally {
    rmSync(file, { force: true });
  }
}

// Registered before the leak guard, so the work dir is gone when it counts temp entries.
test.after(() => rmSync(work, { recursive: true, force: true }));
guardLeaks('hostile');

test('hostile names and paths render as text and never leave the roots', { timeout: 180_000 }, async () => {
  const etcdCpu = readFileSync(path.join(here, '../unit/testdata/etcd.cpu.pb.gz'));
  for (const [base, bytes] of [['heap.pb.gz', data('heap.pb.gz')], ['goroutine.pb.gz', data('goroutine.pb.gz')], ['etcd.cpu.pb.gz', etcdCpu]] as const) {
    const r = await through('profile', `names-${base}`, withHostileStrings(bytes));
    assert.equal(r.error, undefined);
    assert.deepEqual(r.foreignTags, [], 'only the SVG elements we write');
    assert.equal(r.rawScriptInSvg, false);
    assert.equal(r.namesVerbatim, true, 'names reach the rows as data, verbatim');
    assert.ok((r.longestName as number) >= 1 << 20, `the 1 MiB name survives (${r.longestName})`);
    assert.ok((r.sourceFiles as number) >= 5 && r.pathsAsked >= 0);
    assert.equal(r.filesResolved, 0, 'no hostile path resolves to a file');
  }
});

test('two million samples stay within memory bounds', { timeout: 180_000 }, async () => {
  const r = await through('profile', 'many-samples.pb.gz', withManySamples(data('heap.pb.gz'), 2_000_000));
  assert.equal(r.error, undefined);
  assert.ok((r.samples as number) >= 2_000_000, `samples ${r.samples}`);
  assert.ok((r.nodes as number) > 10);
});

test('a 10k-frame recursion stays within memory bounds and renders', { timeout: 180_000 }, async () => {
  const r = await through('profile', 'deep.pb.gz', withDeepStack(data('cpu.pb.gz'), 10_000, /recurse/));
  assert.equal(r.error, undefined);
  assert.ok((r.maxDepth as number) >= 10_000, `depth ${r.maxDepth}`);
  // A 1 MiB name in each of the 10k frames: the model and the top table only. The SVG/text exports cost
  // O(frames x name length) there (the webview builds each tooltip from the full name before clipping).
  const h = await through('profile', 'deep-hostile.pb.gz', withHostileStrings(withDeepStack(data('cpu.pb.gz'), 10_000, /recurse/)), 'no-svg');
  assert.equal(h.error, undefined);
  assert.ok((h.maxDepth as number) >= 10_000);
});

test('a goroutine dump with hostile names, a 1 MiB name and a 10k-frame goroutine', { timeout: 180_000 }, async () => {
  const r = await through('dump', 'dump.txt', hostileDump(data('goroutine-debug2.txt').toString('utf8'), 10_000));
  assert.ok((r.maxFrames as number) >= 10_000, `frames ${r.maxFrames}`);
  assert.ok((r.longestName as number) >= 1 << 20, `longest ${r.longestName}`);
  assert.ok((r.sourceFiles as number) >= 5);
});
