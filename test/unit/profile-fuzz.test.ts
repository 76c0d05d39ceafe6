// Fuzz: ≥100k mutated profiles and goroutine dumps (from the real fixtures, seeded and reproducible)
// go to the decoders, split over two worker threads. Every input must decode or fail with a one-line
// ProfileError; none may crash or hang (a worker that reports no progress for STALL_MS is stuck on
// one input). FUZZ_INPUTS and FUZZ_SEED change the size and the seed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { TESTDATA } from './pprof-reference.ts';

const inputs = Number(process.env.FUZZ_INPUTS ?? 100_000);
const seed = Number(process.env.FUZZ_SEED ?? 20261126);
const WORKERS = 2;
const STALL_MS = 60_000;

interface Done {
  type: 'done';
  inputs: number;
  decoded: number;
  rejected: number;
  crashes: number;
  crashList: string[];
  max: number;
  maxAt: number;
  seconds: number;
}

function runWorker(count: number, workerSeed: number): Promise<Done> {
  const worker = new Worker(join(import.meta.dirname, 'fuzz-worker.ts'), {
    workerData: { dir: TESTDATA, inputs: count, seed: workerSeed },
  });
  let last = 0;
  let lastAt = Date.now();
  return new Promise<Done>((resolve, reject) => {
    const watchdog = setInterval(() => {
      if (Date.now() - lastAt > STALL_MS) {
        clearInterval(watchdog);
        void worker.terminate();
        reject(new Error(`fuzz worker (seed ${workerSeed}) made no progress for ${STALL_MS} ms after input ${last}: a hang`));
      }
    }, 1000);
    worker.on('message', (m: { type: 'progress'; i: number } | Done) => {
      lastAt = Date.now();
      if (m.type === 'progress') last = m.i;
      else {
        clearInterval(watchdog);
        void worker.terminate();
        resolve(m);
      }
    });
    worker.on('error', (err) => {
      clearInterval(watchdog);
      reject(err);
    });
  });
}

test(`fuzz: ${inputs} mutated profiles and dumps, seed ${seed}`, async () => {
  const per = Math.ceil(inputs / WORKERS);
  const results = await Promise.all(Array.from({ length: WORKERS }, (_, w) => runWorker(per, seed + w)));
  const sum = (k: 'inputs' | 'decoded' | 'rejected' | 'crashes') => results.reduce((n, r) => n + r[k], 0);
  const slowest = results.reduce((a, b) => (b.max > a.max ? b : a));
  const seconds = Math.max(...results.map((r) => r.seconds));
  console.log(`fuzz: ${sum('inputs')} inputs, ${sum('crashes')} crashes, ${sum('rejected')} clear errors, ` +
    `${sum('decoded')} decoded, max ${slowest.max.toFixed(0)} ms, ${seconds.toFixed(1)} s`);
  assert.ok(sum('inputs') >= inputs);
  assert.equal(sum('crashes'), 0, results.flatMap((r) => r.crashList).join('\n'));
  assert.ok(sum('decoded') > 0 && sum('rejected') > 0, 'the mutations should produce both valid and invalid inputs');
  // Generous: the machine may be busy; a real hang trips the watchdog above.
  assert.ok(slowest.max < 5000, `slowest input took ${slowest.max} ms (input ${slowest.maxAt})`);
});
