// The profile panel's host-side model on real captures (test/unit/testdata): the preorder flame
// arrays, the top table, the comparison, source locations, capture info and line values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { aggregateView } from '../../src/profile/top.ts';
import {
  buildView,
  captureInfoFromPath,
  defaultOptions,
  emptyProfileHint,
  loadProfile,
  profileKind,
  sourceOf,
  valuesByFileLine,
  type LoadedProfile,
} from '../../src/views/profilePanel/model.ts';
import type { FlameData } from '../../src/protocol.ts';

const dir = new URL('./testdata/', import.meta.url);

function load(name: string): LoadedProfile {
  const l = loadProfile(readFileSync(new URL(name, dir)), name);
  if ('error' in l) throw new Error(l.error);
  return l;
}

/** Structural invariants of the preorder arrays. */
function checkFlame(f: FlameData): void {
  const n = f.cum.length;
  assert.equal(f.depth[0], 0);
  assert.equal(f.frame[0], -1);
  assert.equal(f.end[0], n);
  for (let i = 0; i < n; i++) {
    assert.ok(f.end[i] > i && f.end[i] <= n, `end of ${i}`);
    let childSum = 0;
    let prev = Infinity;
    for (let j = i + 1; j < f.end[i]; j = f.end[j]) {
      assert.equal(f.depth[j], f.depth[i] + 1, `child depth at ${j}`);
      assert.ok(f.end[j] <= f.end[i]);
      assert.ok(f.cum[j] <= prev, `children by descending cum at ${j}`);
      prev = f.cum[j];
      childSum += f.cum[j];
    }
    assert.ok(Math.abs(f.self[i] + childSum - f.cum[i]) <= 1e-6 * Math.max(1, Math.abs(f.cum[i])), `cum = self + children at ${i}`);
  }
}

for (const name of ['operator.cpu.pb.gz', 'etcd.cpu.pb.gz', 'etcd.heap.pb.gz', 'operator.goroutine.pb.gz', 'etcd.mutex.pb.gz']) {
  test(`flame and top of ${name} agree with the model's aggregate`, () => {
    const l = load(name);
    const opts = defaultOptions(l);
    const v = buildView(l, opts, undefined, { fileName: name });
    const p = v.payload;
    checkFlame(p.flame);
    let sum = 0;
    for (const s of l.profile.samples) sum += s.values[opts.sampleIndex];
    assert.equal(p.flame.cum[0], sum, 'root = sum of the samples');
    // Flat per frame from the flame graph equals the top table's flat (same node table).
    const agg = aggregateView(l.profile, { sampleIndex: opts.sampleIndex, granularity: 'functions' });
    const flat = new Float64Array(p.frames.names.length);
    for (let i = 1; i < p.flame.cum.length; i++) flat[p.flame.frame[i]] += p.flame.self[i];
    for (let k = 0; k < p.top.frame.length; k++) {
      const f = p.top.frame[k];
      assert.equal(p.top.flat[k], flat[f], `flat of ${p.frames.names[f]}`);
      assert.equal(p.top.cum[k], agg.cum[f], `cum of ${p.frames.names[f]}`);
    }
    assert.deepEqual(p.warnings, []);
  });
}

test('kinds from sample types', () => {
  assert.equal(profileKind(load('etcd.cpu.pb.gz').profile), 'cpu');
  assert.equal(profileKind(load('etcd.heap.pb.gz').profile), 'heap');
  assert.equal(profileKind(load('etcd.allocs.pb.gz').profile), 'allocs');
  assert.equal(profileKind(load('operator.goroutine.pb.gz').profile), 'goroutine');
  assert.match(profileKind(load('etcd.block.pb.gz').profile), /block/);
});

test('block and mutex told apart by the file name, else by the stacks', () => {
  // Same sample and period types; a mutex profile's stacks end in the Unlock that woke a waiter.
  assert.equal(profileKind(load('operator.block.pb.gz').profile), 'block');
  assert.equal(profileKind(load('operator.mutex.pb.gz').profile), 'mutex');
  assert.equal(profileKind(load('etcd.mutex.pb.gz').profile), 'mutex');
  // The empty one: only its name can tell.
  assert.equal(profileKind(load('etcd.block.pb.gz').profile), 'block or mutex');
  assert.equal(profileKind(load('etcd.block.pb.gz').profile, 'etcd.block.pb.gz'), 'block');
  assert.equal(profileKind(load('etcd.block.pb.gz').profile, 'mutex-2026-12-03T10-00-00Z.pb.gz'), 'mutex');
  assert.equal(profileKind(load('etcd.block.pb.gz').profile, 'blocking.pb.gz'), 'block or mutex');
});

test('an empty block profile says what it is and why it is empty', () => {
  const l = load('etcd.block.pb.gz');
  const v = buildView(l, defaultOptions(l), undefined, { fileName: 'block-2026-12-03T10-00-00Z.pb.gz' });
  assert.equal(v.payload.header.kind, 'block');
  assert.equal(v.payload.warnings.length, 1);
  assert.match(v.payload.warnings[0], /^This block profile has no samples: block profiling is off unless the process calls runtime\.SetBlockProfileRate \(etcd does not by default\)/);
  assert.match(emptyProfileHint('mutex'), /runtime\.SetMutexProfileFraction/);
  assert.match(emptyProfileHint('block or mutex'), /SetBlockProfileRate[\s\S]*SetMutexProfileFraction/);
});

test('a base from another pod or of another kind is warned about', () => {
  const root = '/w/.profiles';
  const heap = load('etcd.heap.pb.gz');
  const allocs = load('etcd.allocs.pb.gz');
  const same = buildView(heap, defaultOptions(heap), heap, {
    fileName: 'heap-2026-12-03T10-05-00Z.pb.gz',
    path: `${root}/sandbox/openshift-etcd/etcd-master-0/heap-2026-12-03T10-05-00Z.pb.gz`,
    basePath: `${root}/sandbox/openshift-etcd/etcd-master-0/heap-2026-12-03T10-00-00Z.pb.gz`,
    baseFileName: 'heap-2026-12-03T10-00-00Z.pb.gz',
    capturesRoot: root,
  });
  assert.deepEqual(same.payload.warnings, []);
  const other = buildView(heap, defaultOptions(heap), { ...allocs, name: 'allocs-2026-12-03T10-00-00Z.pb.gz' }, {
    fileName: 'heap-2026-12-03T10-05-00Z.pb.gz',
    path: `${root}/sandbox/openshift-etcd/etcd-master-0/heap-2026-12-03T10-05-00Z.pb.gz`,
    basePath: `${root}/sandbox/openshift-etcd/etcd-master-1/allocs-2026-12-03T10-00-00Z.pb.gz`,
    baseFileName: 'allocs-2026-12-03T10-00-00Z.pb.gz',
    capturesRoot: root,
  });
  assert.equal(other.payload.warnings.length, 2);
  assert.match(other.payload.warnings[0], /captured from openshift-etcd\/etcd-master-1, this profile from openshift-etcd\/etcd-master-0/);
  assert.match(other.payload.warnings[1], /is an allocs profile, this one a heap profile/);
});

test('a text goroutine dump is refused with the model clear error', () => {
  const l = loadProfile(readFileSync(new URL('operator.goroutine-debug1.txt', dir)), 'operator.goroutine-debug1.txt');
  assert.ok('error' in l);
  assert.match(l.error, /goroutine dump/);
});

test('granularity, sample type and filters reach the views', () => {
  const l = load('etcd.heap.pb.gz');
  const types = l.profile.sampleTypes.map((t) => t.type);
  const space = types.indexOf('alloc_space');
  const v = buildView(l, { ...defaultOptions(l), sampleIndex: space, granularity: 'lines' }, undefined, { fileName: 'h' });
  assert.equal(v.payload.header.unit, 'bytes');
  assert.ok(v.payload.frames.lines.some((x) => x > 0), 'line frames carry lines');
  const all = buildView(l, defaultOptions(l), undefined, { fileName: 'h' });
  const focused = buildView(l, { ...defaultOptions(l), focus: 'raft' }, undefined, { fileName: 'h' });
  assert.ok(focused.payload.flame.cum[0] > 0 && focused.payload.flame.cum[0] < all.payload.flame.cum[0], 'focus keeps a part of the samples');
  assert.equal(focused.payload.header.total, all.payload.header.total, 'percentages stay relative to the whole profile');
  const bad = buildView(l, { ...defaultOptions(l), ignore: '(' }, undefined, { fileName: 'h' });
  assert.match(bad.payload.warnings.join(' '), /not a valid regular expression/);
  assert.equal(bad.payload.options.ignore, '');
});

test('comparison: widths from the profile, delta = profile − base per stack and per function', () => {
  const a = load('operator.cpu.pb.gz');
  const b = load('etcd.cpu.pb.gz');
  assert.throws(() => buildView(a, defaultOptions(a), load('operator.heap.pb.gz'), { fileName: 'a' }), /sample types differ/);
  const v = buildView(a, defaultOptions(a), b, { fileName: 'a', baseFileName: 'b' });
  const f = v.payload.flame;
  checkFlame(f);
  const total = (l: LoadedProfile) => l.profile.samples.reduce((s, x) => s + x.values[1], 0);
  assert.equal(f.cum[0], total(a));
  assert.equal(f.delta![0], total(a) - total(b));
  assert.ok(v.payload.top.delta, 'top has a delta column');
  const names = v.payload.frames.names;
  const k = v.payload.top.frame.findIndex((x) => names[x] === 'runtime.memmove');
  if (k >= 0) {
    const flatOf = (l: LoadedProfile) => aggregateView(l.profile, { sampleIndex: 1 }).flat[aggregateView(l.profile, { sampleIndex: 1 }).nodes.infos.findIndex((x) => x.function === 'runtime.memmove')] ?? 0;
    assert.equal(v.payload.top.delta![k], flatOf(a) - flatOf(b));
  }
  assert.equal(v.payload.header.baseFileName, 'b');
});

test('frames of the operator main package point at its Go files and function lines', () => {
  const l = load('operator.cpu.pb.gz');
  const v = buildView(l, defaultOptions(l), undefined, { fileName: 'o' });
  const names = v.payload.frames.names;
  const i = names.indexOf('main.checksumLoop');
  assert.ok(i >= 0);
  const src = sourceOf(v, i)!;
  assert.match(src.file, /sandbox\/operator\/work\.go$/);
  const lines = readFileSync(new URL('../sandbox/operator/work.go', import.meta.url), 'utf8').split('\n');
  assert.match(lines[src.line - 1], /^func checksumLoop\(/);
  assert.equal(v.payload.frames.lines[i], src.line, 'the table shows the function start line');
});

test('capture info comes from the captures folder layout', () => {
  assert.deepEqual(captureInfoFromPath('/w/.profiles/sandbox/openshift-etcd/etcd-master-0/cpu-x.pb.gz', '/w/.profiles'), {
    context: 'sandbox',
    namespace: 'openshift-etcd',
    pod: 'etcd-master-0',
  });
  assert.equal(captureInfoFromPath('/elsewhere/cpu.pb.gz', '/w/.profiles'), undefined);
  const l = load('operator.cpu.pb.gz');
  const v = buildView(l, defaultOptions(l), undefined, {
    fileName: 'cpu-x.pb.gz',
    path: '/w/.profiles/sandbox/openshift-etcd-operator/etcd-operator-1/cpu-x.pb.gz',
    capturesRoot: '/w/.profiles',
    node: 'master-0',
  });
  assert.deepEqual(v.payload.header.capture, { context: 'sandbox', namespace: 'openshift-etcd-operator', pod: 'etcd-operator-1', node: 'master-0' });
  assert.equal(captureInfoFromPath('/w/.profiles/a/cpu.pb.gz', '/w/.profiles'), undefined);
});

test('line values for annotations: flat and cum per file line', () => {
  const l = load('operator.cpu.pb.gz');
  const { files, unit } = valuesByFileLine(l, defaultOptions(l).sampleIndex);
  assert.equal(unit, 'nanoseconds');
  const work = [...files.keys()].find((f) => f.endsWith('sandbox/operator/work.go'));
  assert.ok(work);
  const lines = files.get(work)!;
  const src = readFileSync(new URL('../sandbox/operator/work.go', import.meta.url), 'utf8').split('\n');
  // The hottest line of checksumLoop is its hashing call.
  const [hot] = [...lines].filter(([n]) => n > 205 && n < 221).sort((x, y) => y[1].cum - x[1].cum);
  assert.ok(hot, 'checksumLoop has annotated lines');
  assert.match(src[hot[0] - 1], /sha256|for|busy/);
  for (const [, v] of lines) assert.ok(v.cum >= v.flat && v.flat >= 0);
});
