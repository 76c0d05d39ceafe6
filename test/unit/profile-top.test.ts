// Every flat and cum of every sample type of every fixture profile equals `go tool pprof -top`'s.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { test } from 'node:test';
import { decodeProfile } from '../../src/profile/decode.ts';
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
