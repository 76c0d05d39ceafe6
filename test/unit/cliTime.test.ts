// The CLI's `Time:` line is Go's: the same local zone from TZ (unset, empty, a name, a path, a bad name) and the
// same abbreviation and offset, checked against Go's own time package (test/unit/tzref, built here) at instants
// from 1901 to 2099 and on both sides of DST changes, and against `go tool pprof -top` itself.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { pprofTime } from '../../src/cliTime.ts';
import { fixtures, goBinary } from './pprof-reference.ts';

const run = promisify(execFile);
let dir: string;
let bin: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ep-tzref-'));
  bin = join(dir, 'tzref');
  await run(goBinary(), ['build', '-o', bin, 'main.go'], { cwd: join(import.meta.dirname, 'tzref'), env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '' } });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Go's formatting of each instant with the environment's TZ (undefined: unset). */
function goTimes(tz: string | undefined, instants: number[]): Promise<string[]> {
  const env = { ...process.env };
  if (tz === undefined) delete env.TZ;
  else env.TZ = tz;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trimEnd().split('\n')) : reject(new Error(`tzref exit ${code}`))));
    child.stdin.end(instants.join('\n') + '\n');
  });
}

const ZONES = [
  undefined, '', 'UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'America/Sao_Paulo', 'Australia/Lord_Howe',
  'Pacific/Chatham', 'Europe/Dublin', 'Africa/Casablanca', 'America/Santiago', 'Asia/Tehran', 'EST5EDT',
  ':/usr/share/zoneinfo/Asia/Tokyo', '/usr/share/zoneinfo/America/St_Johns', 'Bogus/Zone', 'CET-1CEST',
];

function instants(): number[] {
  const out: number[] = [];
  // Every 9 days and 7 hours from 1901 to 2099 (every hour of day and weekday over the years), and each hour
  // around the turn of every month from 2020 to 2045 (where DST changes fall), one second either side too.
  for (let s = -2_200_000_000; s < 4_100_000_000; s += 9 * 86400 + 7 * 3600) out.push(s);
  for (let y = 2020; y <= 2045; y++) {
    for (let m = 0; m < 12; m++) {
      const start = Date.UTC(y, m, 24) / 1000;
      for (let h = 0; h < 24 * 14; h += 1) out.push(start + h * 3600 - 1, start + h * 3600);
    }
  }
  return out;
}

test("the Time: line equals Go's in every zone TZ can select, at over 200 000 instants", { timeout: 300_000 }, async () => {
  const all = instants();
  const wrong: string[] = [];
  for (const tz of ZONES) {
    const env: NodeJS.ProcessEnv = tz === undefined ? {} : { TZ: tz };
    const go = await goTimes(tz, all);
    assert.equal(go.length, all.length);
    let misses = 0;
    all.forEach((s, i) => {
      const ours = pprofTime(s * 1e9, env);
      if (ours !== go[i] && misses++ < 3) wrong.push(`TZ=${tz ?? '(unset)'} at ${s}: Go ${go[i]}, ours ${ours}`);
    });
  }
  assert.ok(all.length > 200_000, `${all.length} instants`);
  assert.deepEqual(wrong, []);
});

test('etcd-profiler top prints the Time: line go tool pprof -top prints, with TZ set', async () => {
  const file = fixtures('.pb.gz')[0];
  const timeLine = (text: string) => text.split('\n').find((l) => l.startsWith('Time: '));
  for (const TZ of ['America/Sao_Paulo', 'Asia/Kolkata']) {
    const env = { ...process.env, TZ, GOTOOLCHAIN: 'local' };
    const [ref, ours] = await Promise.all([
      run(goBinary(), ['tool', 'pprof', '-top', file], { env, maxBuffer: 1 << 26 }),
      run(process.execPath, [join(import.meta.dirname, '../../src/cli.ts'), 'top', file], { env, maxBuffer: 1 << 26 }),
    ]);
    assert.ok(timeLine(ref.stdout), 'pprof prints a Time: line');
    assert.equal(timeLine(ours.stdout), timeLine(ref.stdout), TZ);
  }
});
