// Seeded, reproducible fuzzing of the four parsers that read what a cluster sends: the pprof index page, the
// "Starting profiling endpoint" log-line detector, the profile decoder and the goroutine dump parser.
// Seeds are real captures (test/hardening/testdata, test/unit/testdata); each input is either one of them
// mutated (bytes, lines, tokens) or generated from the parser's own vocabulary plus hostile fragments.
// Oracle: a well-formed result or the parser's one documented error, never another exception, and every input
// finishes within a bound. FUZZ_SEED / FUZZ_SCALE change the run; the seed is printed. The decoder and the
// dump parser get 100k inputs of their own in the unit phase (test/unit/profile-fuzz.test.ts); here they get a
// smaller share, the decoder's with the model (buildTop) run on what it accepts.
import './helpers/leaks.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { parsePprofIndex } from '../../src/capture/pprofIndex.ts';
import { parseProfilingLogLine } from '../../src/cluster/endpoints.ts';
import { decodeProfile } from '../../src/profile/decode.ts';
import { ProfileError } from '../../src/profile/errors.ts';
import { parseGoroutineDump } from '../../src/profile/goroutines.ts';
import { buildTop } from '../../src/profile/top.ts';
import { recordFigure } from './helpers/figures.ts';
import { guardLeaks } from './helpers/leaks.ts';
import { generateText, mutateBytes, mutateText, Rng } from './helpers/rng.ts';

guardLeaks('fuzz');

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
/** No single input may take longer than this (ms), load included. */
const PER_INPUT_BOUND_MS = 5000;

const here = import.meta.dirname;
const unitData = path.join(here, '../unit/testdata');
const hardData = path.join(here, 'testdata');
const read = (p: string) => readFileSync(p);
const profileSeeds = [
  ...readdirSync(unitData).filter((f) => f.endsWith('.pb.gz')).map((f) => read(path.join(unitData, f))),
  ...readdirSync(hardData).filter((f) => f.endsWith('.pb.gz')).map((f) => read(path.join(hardData, f))),
].map((b) => Uint8Array.from(gunzipSync(b)));
/** Real dumps cut into pieces of a few KB at record boundaries (the debug=1 header kept), so mutations stay cheap. */
function dumpPieces(text: string): string[] {
  const header = /^goroutine profile: total \d+\n/.exec(text)?.[0] ?? '';
  const records = text.slice(header.length).split('\n\n');
  const pieces: string[] = [];
  let cur: string[] = [];
  let size = 0;
  for (const r of records) {
    cur.push(r);
    size += r.length;
    if (size > 4000) {
      pieces.push(header + cur.join('\n\n'));
      cur = [];
      size = 0;
    }
  }
  if (cur.length) pieces.push(header + cur.join('\n\n'));
  return pieces;
}
const dumpSeeds = [
  ...readdirSync(unitData).filter((f) => /goroutine-debug[12]\.txt$/.test(f)).map((f) => read(path.join(unitData, f)).toString('utf8')),
  read(path.join(hardData, 'goroutine-debug2.txt')).toString('utf8'),
].flatMap(dumpPieces);
const indexSeed = read(path.join(hardData, 'index.html')).toString('utf8');
const logSeeds = [read(path.join(hardData, 'operator.log')).toString('utf8'), read(path.join(hardData, 'etcd.log')).toString('utf8')];

interface Run {
  inputs: number;
  accepted: number;
  rejected: number;
  maxMs: number;
  slowest?: string;
}

/** Runs `count` inputs through `check`, timing each; the first failure names the input's number and seed. */
function fuzz(name: string, count: number, seed: number, make: (rng: Rng, i: number) => unknown, check: (input: never) => 'ok' | 'rejected'): Run {
  const rng = new Rng(seed);
  const run: Run = { inputs: 0, accepted: 0, rejected: 0, maxMs: 0 };
  for (let i = 0; i < count; i++) {
    const input = make(rng, i);
    const t0 = performance.now();
    let verdict: 'ok' | 'rejected';
    try {
      verdict = check(input as never);
    } catch (err) {
      const preview = typeof input === 'string' ? JSON.stringify(input.slice(0, 200)) : `${(input as Uint8Array).length} bytes`;
      assert.fail(`${name}: input #${i} (seed ${seed}) threw ${(err as Error)?.stack ?? String(err)}\ninput: ${preview}`);
    }
    const ms = performance.now() - t0;
    if (ms > run.maxMs) {
      run.maxMs = ms;
      run.slowest = `#${i}`;
    }
    assert.ok(ms < PER_INPUT_BOUND_MS, `${name}: input #${i} (seed ${seed}) took ${ms.toFixed(0)} ms`);
    run.inputs++;
    if (verdict === 'ok') run.accepted++;
    else run.rejected++;
  }
  return run;
}

function report(t: { diagnostic: (s: string) => void }, name: string, r: Run, ms: number): void {
  const line = `${name}: ${r.inputs} inputs (${r.accepted} parsed, ${r.rejected} rejected with the documented error), slowest ${r.maxMs.toFixed(1)} ms (${r.slowest}), ${(ms / 1000).toFixed(1)} s`;
  t.diagnostic(line);
  console.log(line);
  recordFigure('inputsFuzzed', r.inputs, `fuzz/${name}`, `seed ${SEED}, slowest ${r.maxMs.toFixed(1)} ms`);
}

const INDEX_TOKENS = [
  '<tr>', '</tr>', '<td>', '</td>', "<a href='", "'>", '</a>', '<a href=', '"', '?debug=1', '?debug=2', 'goroutine', 'heap', 'profile',
  'allocs', 'pprof', '/debug/pprof/', ' ', '\n', '12', '0', '4294967296', '<table>', '</table>', '<html>', 'full goroutine stack dump', '>', '<',
];

test('pprof index parser', { timeout: 300_000 }, (t) => {
  const t0 = performance.now();
  const r = fuzz(
    'pprof index',
    Math.round(45_000 * SCALE),
    SEED + 1,
    (rng) => (rng.chance(0.7) ? mutateText(rng, indexSeed, INDEX_TOKENS, [indexSeed]) : generateText(rng, INDEX_TOKENS, 200)),
    (html: string) => {
      let entries;
      try {
        entries = parsePprofIndex(html);
      } catch (err) {
        assert.equal((err as Error).message, 'Not a /debug/pprof/ index page.');
        return 'rejected';
      }
      assert.ok(entries.length > 0);
      for (const e of entries) {
        assert.equal(typeof e.name, 'string');
        assert.ok(e.name.length > 0 && !e.name.includes('<'), `name ${JSON.stringify(e.name)}`);
        assert.ok(e.count === undefined || (Number.isFinite(e.count) && e.count >= 0), `count ${e.count}`);
        assert.ok(Array.isArray(e.kinds));
      }
      return 'ok';
    },
  );
  assert.ok(r.accepted > r.inputs * 0.05 && r.rejected > r.inputs * 0.01, `both outcomes exercised: ${r.accepted}/${r.rejected}`);
  report(t, 'pprof index', r, performance.now() - t0);
});

const LOG_TOKENS = [
  'Starting profiling endpoint at ', 'http://', 'https://', '127.0.0.1', '0.0.0.0', '[::]', '[::1]', 'localhost', ':6060', ':2379', ':0',
  ':65536', ':99999999999', '/debug/pprof/', '/debug/pprof', '${LISTEN_ON_ALL_IPS}', ' ', '\n', '"', "'", '\\', 'I1126 11:45:03.083201   22467 profiler.go:21] ',
  '{"level":"info","msg":"', '"}', 'http://:6060', '[', ']', '::',
];

test('log-line endpoint detector', { timeout: 300_000 }, (t) => {
  const t0 = performance.now();
  const r = fuzz(
    'log line',
    Math.round(47_000 * SCALE),
    SEED + 2,
    (rng) => (rng.chance(0.6) ? mutateText(rng, rng.pick(logSeeds), LOG_TOKENS, logSeeds) : generateText(rng, LOG_TOKENS, 40)),
    (log: string) => {
      const e = parseProfilingLogLine(log);
      if (!e) return 'rejected';
      assert.ok(e.scheme === 'http' || e.scheme === 'https');
      assert.ok(Number.isInteger(e.port) && e.port > 0 && e.port <= 65535, `port ${e.port}`);
      assert.ok(e.path.startsWith('/') && e.path.endsWith('/'), `path ${e.path}`);
      assert.ok(!/\s/.test(e.host) && !/\s/.test(e.path), `whitespace in ${JSON.stringify(e)}`);
      assert.equal(e.source, 'log');
      return 'ok';
    },
  );
  assert.ok(r.accepted > r.inputs * 0.05 && r.rejected > r.inputs * 0.05, `both outcomes exercised: ${r.accepted}/${r.rejected}`);
  report(t, 'log line', r, performance.now() - t0);
});

test('profile decoder (and the model on what decodes)', { timeout: 300_000 }, (t) => {
  const t0 = performance.now();
  const small = profileSeeds.filter((s) => s.length < 10_000);
  let modelRuns = 0;
  const r = fuzz(
    'profile decoder',
    Math.round(5_000 * SCALE),
    SEED + 3,
    (rng) => {
      const raw = mutateBytes(rng, rng.chance(0.95) ? rng.pick(small) : rng.pick(profileSeeds), profileSeeds);
      const roll = rng.next();
      // Some gzipped whole, some gzipped then cut (truncated downloads), most raw.
      if (roll < 0.1) return gzipSync(raw);
      if (roll < 0.13) {
        const gz = gzipSync(raw);
        return gz.subarray(0, rng.int(gz.length));
      }
      return raw;
    },
    (bytes: Uint8Array) => {
      let p;
      try {
        p = decodeProfile(bytes, 'fuzz.pb.gz');
      } catch (err) {
        assert.ok(err instanceof ProfileError, `not a ProfileError: ${(err as Error)?.stack}`);
        assert.ok(err.message.length > 0 && err.message.length < 2000);
        return 'rejected';
      }
      assert.ok(Array.isArray(p.samples) && p.sampleTypes.length >= 0);
      // The model must survive what the decoder accepts.
      if (p.sampleTypes.length > 0 && modelRuns++ % 4 === 0) {
        try {
          buildTop(p, {});
        } catch (err) {
          assert.ok(err instanceof ProfileError, `model threw ${(err as Error)?.stack}`);
        }
      }
      return 'ok';
    },
  );
  assert.ok(r.accepted > r.inputs * 0.02 && r.rejected > r.inputs * 0.05, `both outcomes exercised: ${r.accepted}/${r.rejected}`);
  report(t, 'profile decoder', r, performance.now() - t0);
});

const DUMP_TOKENS = [
  'goroutine ', '1', '18446744073709551615', ' [', 'chan receive', 'select', 'running', ', 5 minutes', ', locked to thread', ']:\n', '\n',
  'main.main()\n', '\t/usr/local/go/src/runtime/proc.go:283 +0x28\n', 'created by ', ' in goroutine 1\n', '...additional frames elided...\n',
  'goroutine profile: total 4\n', '2 @ 0x43e 0x44f\n', '#\t0x44f\tmain.f+0x2f\t/x.go:12\n', '(', ')', '{', '}', '0xc000012345',
];

test('goroutine dump parser', { timeout: 300_000 }, (t) => {
  const t0 = performance.now();
  const r = fuzz(
    'goroutine dump',
    Math.round(5_000 * SCALE),
    SEED + 4,
    (rng) => Buffer.from(rng.chance(0.7) ? mutateText(rng, rng.pick(dumpSeeds), DUMP_TOKENS, dumpSeeds) : generateText(rng, DUMP_TOKENS, 120)),
    (bytes: Uint8Array) => {
      let d;
      try {
        d = parseGoroutineDump(bytes, 'fuzz.txt');
      } catch (err) {
        assert.ok(err instanceof ProfileError, `not a ProfileError: ${(err as Error)?.stack}`);
        return 'rejected';
      }
      assert.ok(Array.isArray(d.groups));
      for (const g of d.groups) {
        assert.ok(Number.isFinite(g.count) && g.count >= 0, `count ${g.count}`);
        assert.ok(Array.isArray(g.frames));
      }
      return 'ok';
    },
  );
  assert.ok(r.accepted > r.inputs * 0.05 && r.rejected > r.inputs * 0.01, `both outcomes exercised: ${r.accepted}/${r.rejected}`);
  report(t, 'goroutine dump', r, performance.now() - t0);
});
