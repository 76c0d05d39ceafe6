// The fuzz loop, run in a worker thread by profile-fuzz.test.ts so that a hang can be detected and
// stopped. Mutates the real fixtures (bit flips, byte changes, truncations, splices, insertions),
// raw and gzipped, and feeds them to the decoders. Reports progress and a summary to the parent.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { crc32, gunzipSync, gzipSync } from 'node:zlib';
import { decodeProfile } from '../../src/profile/decode.ts';
import { ProfileError } from '../../src/profile/errors.ts';
import { parseGoroutineDump } from '../../src/profile/goroutines.ts';
import { buildTop } from '../../src/profile/top.ts';

const { dir, inputs, seed } = workerData as { dir: string; inputs: number; seed: number };

// mulberry32: small, seeded, reproducible.
let state = seed >>> 0;
function rand(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number) => Math.floor(rand() * n);

const files = readdirSync(dir).filter((f) => /\.(pb\.gz|txt|txt\.gz)$/.test(f)).sort();
const profiles: Uint8Array[] = [];
const dumps: Uint8Array[] = [];
for (const f of files) {
  const data = readFileSync(join(dir, f));
  const raw = f.endsWith('.gz') ? gunzipSync(data) : data;
  (f.endsWith('.pb.gz') ? profiles : dumps).push(raw);
}
// Smaller seeds more often: most inputs then decode in well under a millisecond.
const bySize = (list: Uint8Array[]) => [...list].sort((a, b) => a.length - b.length);
const smallProfiles = bySize(profiles);
const smallDumps = bySize(dumps);
const pick = (list: Uint8Array[]) => list[Math.floor(list.length * rand() ** 3)];
// Dumps are long runs of similar blocks: most inputs take a real prefix of up to a few kB.
const seedOf = (list: Uint8Array[]) => {
  const data = pick(list);
  return list === smallDumps && rand() < 0.8 ? data.subarray(0, 512 + int(4096)) : data;
};

// A gzip stream with stored (uncompressed) blocks: valid gzip around any bytes, without the cost
// of a deflate stream per input.
function storedGzip(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(10 + data.length + 5 * blocks + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  let at = 10;
  for (let b = 0; b < blocks; b++) {
    const chunk = data.subarray(b * 65535, (b + 1) * 65535);
    out[at++] = b === blocks - 1 ? 1 : 0;
    out[at++] = chunk.length & 0xff;
    out[at++] = chunk.length >> 8;
    out[at++] = ~chunk.length & 0xff;
    out[at++] = (~chunk.length >> 8) & 0xff;
    out.set(chunk, at);
    at += chunk.length;
  }
  const view = new DataView(out.buffer);
  view.setUint32(at, crc32(data), true);
  view.setUint32(at + 4, data.length >>> 0, true);
  return out;
}
const gzSeeds = new Map<Uint8Array, Uint8Array>();
const gzipOf = (seed: Uint8Array) => {
  let gz = gzSeeds.get(seed);
  if (!gz) gzSeeds.set(seed, (gz = gzipSync(seed)));
  return gz;
};

function mutate(src: Uint8Array): Uint8Array {
  let data = new Uint8Array(src); // a copy
  const steps = 1 + int(4);
  for (let s = 0; s < steps; s++) {
    const n = data.length;
    switch (int(7)) {
      case 0: // bit flips
        for (let k = 1 + int(8); k > 0 && n > 0; k--) data[int(n)] ^= 1 << int(8);
        break;
      case 1: // random bytes
        for (let k = 1 + int(4); k > 0 && n > 0; k--) data[int(n)] = int(256);
        break;
      case 2: // truncation
        data = data.subarray(0, int(n + 1));
        break;
      case 3: { // splice with another seed
        const other = pick(rand() < 0.5 ? smallProfiles : smallDumps);
        const cut = int(n + 1);
        const from = int(other.length + 1);
        const out = new Uint8Array(cut + other.length - from);
        out.set(data.subarray(0, cut));
        out.set(other.subarray(from), cut);
        data = out;
        break;
      }
      case 4: { // insert random bytes
        const at = int(n + 1);
        const extra = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
        const out = new Uint8Array(n + extra.length);
        out.set(data.subarray(0, at));
        out.set(extra, at);
        out.set(data.subarray(at), at + extra.length);
        data = out;
        break;
      }
      case 5: { // duplicate a chunk
        const a = int(n + 1);
        const b = Math.min(n, a + int(64));
        const out = new Uint8Array(n + (b - a));
        out.set(data.subarray(0, b));
        out.set(data.subarray(a), b);
        data = out;
        break;
      }
      default: // varint-ish: set a byte's continuation bit
        if (n > 0) data[int(n)] |= 0x80;
    }
  }
  return data;
}

let crashes = 0;
let decoded = 0;
let rejected = 0;
let max = 0;
let maxAt = -1;
const crashList: string[] = [];
const started = performance.now();
for (let i = 0; i < inputs; i++) {
  if (i % 1000 === 0) parentPort!.postMessage({ type: 'progress', i });
  const profileInput = rand() < 0.8;
  const seedData = seedOf(profileInput ? smallProfiles : smallDumps);
  let data: Uint8Array;
  const how = rand();
  if (how < 0.2) data = storedGzip(mutate(seedData)); // valid gzip, damaged content
  else if (how < 0.25) data = mutate(gzipOf(seedData)); // damaged gzip
  else data = mutate(seedData);
  const crossFeed = rand() < 0.05;
  const t0 = performance.now();
  try {
    if (profileInput !== crossFeed) {
      const p = decodeProfile(data, 'input');
      if (rand() < 0.2) buildTop(p, { sampleIndex: int(p.sampleTypes.length) });
    } else {
      parseGoroutineDump(data, 'input');
    }
    decoded++;
  } catch (err) {
    if (err instanceof ProfileError && err.message.length > 0 && !err.message.includes('\n')) rejected++;
    else {
      crashes++;
      if (crashList.length < 5) crashList.push(`input ${i}: ${(err as Error)?.stack ?? err}`);
    }
  }
  const dt = performance.now() - t0;
  if (dt > max) {
    max = dt;
    maxAt = i;
  }
}
parentPort!.postMessage({
  type: 'done', inputs, decoded, rejected, crashes, crashList, max, maxAt,
  seconds: (performance.now() - started) / 1000,
});
