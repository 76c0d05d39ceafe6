// Every flat and cum of every sample type of every fixture profile equals `go tool pprof -top`'s.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { test } from 'node:test';
import { aggregate } from '../../src/profile/aggregate.ts';
import { buildCallTree } from '../../src/profile/calltree.ts';
import { decodeProfile } from '../../src/profile/decode.ts';
import { diffProfiles } from '../../src/profile/diff.ts';
import { buildTop } from '../../src/profile/top.ts';
import type { TopRow } from '../../src/profile/top.ts';
import type { Granularity } from '../../src/profile/types.ts';
import { fixtures, pprofTop } from './pprof-reference.ts';
import type { RefRow } from './pprof-reference.ts';

const profiles = fixtures('.pb.gz');

function rowKey(r: { name: string; flat: number; cum: number; inline: string }): string {
  return `${r.name}\t${r.flat}\t${r.cum}\t${r.inline}`;
}

// Compares as multisets: with -files pprof can print one file on several rows (functions of the
// same file with different start lines stay distinct nodes), so names are not unique keys.
function assertSameRows(ours: TopRow[], ref: RefRow[], what: string): void {
  const a = ours.map(rowKey).sort();
  const b = ref.map(rowKey).sort();
  const onlyOurs = a.filter((x) => !b.includes(x)).slice(0, 5);
  const onlyRef = b.filter((x) => !a.includes(x)).slice(0, 5);
  assert.deepEqual(a, b, `${what}: rows differ\n ours only: ${onlyOurs.join('\n   ')}\n pprof only: ${onlyRef.join('\n   ')}`);
}

// Up to two `go tool pprof` processes at a time (the machine has 2 cores).
async function inPairs<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

test('there are real profile fixtures to compare', () => {
  assert.ok(profiles.length >= 1, 'no test/unit/testdata/*.pb.gz fixtures found');
});

test('top equals go tool pprof -top for every sample type of every fixture', async () => {
  const jobs: (() => Promise<string>)[] = [];
  for (const file of profiles) {
    const profile = decodeProfile(readFileSync(file), basename(file));
    profile.sampleTypes.forEach((st, sampleIndex) => {
      const granularities: Granularity[] = ['functions'];
      // lines and files on the richest profiles (cpu and allocs), to keep the suite fast
      if (/(^|\.)(cpu|allocs)\./.test(basename(file))) granularities.push('lines', 'files');
      for (const granularity of granularities) {
        jobs.push(async () => {
          const what = `${basename(file)} ${st.type} ${granularity}`;
          const ref = await pprofTop(file, sampleIndex, st.unit, granularity);
          const ours = buildTop(profile, { sampleIndex, granularity });
          assert.equal(ours.total, ref.total, `${what}: total`);
          assertSameRows(ours.rows, ref.rows, what);
          // Same order too, except among rows pprof cannot tell apart by name.
          assert.deepEqual(ours.rows.map((r) => r.flat), ref.rows.map((r) => r.flat), `${what}: order of flat`);
          return `${what}: ${ref.rows.length} rows`;
        });
      }
    });
  }
  const done = await inPairs(jobs);
  assert.ok(done.length >= profiles.length);
});

function pick(kind: string, process = 'operator'): string {
  const file = profiles.find((f) => basename(f) === `${process}.${kind}.pb.gz`) ?? profiles.find((f) => basename(f).includes(`.${kind}.`));
  assert.ok(file, `no ${kind} fixture`);
  return file;
}

test('diff equals go tool pprof -diff_base (allocs − heap of the same process)', async () => {
  const file = pick('allocs');
  const baseFile = pick('heap');
  const profile = decodeProfile(readFileSync(file));
  const base = decodeProfile(readFileSync(baseFile));
  const diff = diffProfiles(profile, base);
  await inPairs(profile.sampleTypes.map((st, sampleIndex) => async () => {
    const ref = await pprofTop(file, sampleIndex, st.unit, 'functions', [`-diff_base=${baseFile}`]);
    const ours = buildTop(diff, { sampleIndex });
    assert.equal(ours.total, ref.total, `${st.type}: total`);
    assertSameRows(ours.rows, ref.rows, `diff ${st.type}`);
  }));
});

test('focus, ignore and hide equal go tool pprof -focus/-ignore/-hide', async () => {
  const file = pick('cpu', 'etcd');
  const profile = decodeProfile(readFileSync(file));
  const sampleIndex = profile.sampleTypes.length - 1;
  const unit = profile.sampleTypes[sampleIndex].unit;
  const cases: [string[], Record<string, string>][] = [
    [['-focus=runtime'], { focus: 'runtime' }],
    [['-ignore=syscall'], { ignore: 'syscall' }],
    [[String.raw`-hide=runtime\.`], { hide: String.raw`runtime\.` }],
    [['-focus=etcd', '-ignore=grpc'], { focus: 'etcd', ignore: 'grpc' }],
  ];
  await inPairs(cases.map(([extra, filters]) => async () => {
    const flag = extra.join(' ');
    const ref = await pprofTop(file, sampleIndex, unit, 'functions', extra);
    const ours = buildTop(profile, { sampleIndex, ...filters });
    assert.ok(ref.rows.length > 0, `${flag}: pprof shows nothing, the case tests nothing`);
    assert.equal(ours.total, ref.total, `${flag}: total`);
    assertSameRows(ours.rows, ref.rows, `filter ${extra.join(' ')}`);
  }));
});

test('the call tree adds up: cum = self + children, and per-function cum equals top', () => {
  for (const file of profiles) {
    const profile = decodeProfile(readFileSync(file));
    const sampleIndex = profile.sampleTypes.length - 1;
    const tree = buildCallTree(profile, { sampleIndex });
    const n = tree.frame.length;
    assert.equal(tree.end[0], n);
    let sum = 0;
    for (const s of profile.samples) sum += s.values[sampleIndex];
    assert.equal(tree.cum[0], sum, `${basename(file)}: root cum`);
    // cum = self + sum of the children's cum, children walked through end[].
    for (let i = 0; i < n; i++) {
      let children = 0;
      for (let c = i + 1; c < tree.end[i]; c = tree.end[c]) {
        assert.equal(tree.depth[c], tree.depth[i] + 1);
        children += tree.cum[c];
      }
      assert.ok(Math.abs(tree.cum[i] - tree.self[i] - children) < 1e-6, `${basename(file)}: node ${i}`);
    }
    // A function's cum is the sum over tree nodes of that function with no ancestor of it.
    const agg = aggregate(profile, { sampleIndex, nodes: tree.nodes });
    const fromTree = new Float64Array(agg.cum.length);
    const open: number[] = [];
    const onPath = new Int32Array(agg.cum.length);
    for (let i = 0; i < n; i++) {
      while (open.length && tree.end[open[open.length - 1]] <= i) onPath[tree.frame[open.pop()!]]--;
      const f = tree.frame[i];
      if (f >= 0) {
        if (onPath[f] === 0) fromTree[f] += tree.cum[i];
        onPath[f]++;
        open.push(i);
      }
    }
    assert.deepEqual(Array.from(fromTree), Array.from(agg.cum), `${basename(file)}: cum from the tree`);
  }
});

test('buildView against a base: top delta equals the diff that matches pprof, flame delta adds up', async () => {
  const { buildView } = await import('../../src/profile/flame.ts');
  const profile = decodeProfile(readFileSync(pick('allocs')));
  const base = decodeProfile(readFileSync(pick('heap')));
  const sampleIndex = 1; // alloc_space
  const view = buildView(profile, { sampleIndex }, base);
  assert.ok(view.top.delta && view.flame.delta);
  const diff = new Map(buildTop(diffProfiles(profile, base), { sampleIndex }).rows.map((r) => [r.name, r.flat]));
  for (let i = 0; i < view.top.frame.length; i++) {
    const name = view.frames.labels[view.top.frame[i]];
    assert.equal(view.top.delta[i], diff.get(name) ?? 0, name);
  }
  // Every row of the diff with a flat change is in the table, including functions gone since the base.
  const shown = new Set(Array.from(view.top.frame, (f) => view.frames.labels[f]));
  for (const [name, flat] of diff) if (flat !== 0) assert.ok(shown.has(name), `${name} missing`);
  let sumProfile = 0;
  let sumBase = 0;
  for (const s of profile.samples) sumProfile += s.values[sampleIndex];
  for (const s of base.samples) sumBase += s.values[sampleIndex];
  assert.equal(view.flame.cum[0], sumProfile);
  assert.equal(view.flame.delta[0], sumProfile - sumBase);
  const same = buildView(profile, { sampleIndex }, profile);
  assert.ok(same.flame.delta!.every((d) => d === 0) && same.top.delta!.every((d) => d === 0));
});
