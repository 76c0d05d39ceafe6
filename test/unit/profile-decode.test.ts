// Bad input gets one clear sentence, from the model (ProfileError.kind) and from the CLI (exit 1,
// one line on stderr, no stack trace); good input round-trips through the CLI's JSON.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { decodeProfile } from '../../src/profile/decode.ts';
import { ProfileError } from '../../src/profile/errors.ts';
import type { ProfileErrorKind } from '../../src/profile/errors.ts';
import { buildTop } from '../../src/profile/top.ts';
import { fixtures } from './pprof-reference.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../src/cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'decode-test-'));
const cpu = fixtures('.cpu.pb.gz')[0];
const dump = fixtures('.goroutine-debug2.txt')[0];

// Deterministic noise (a linear congruential generator).
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const bad: [string, Uint8Array, ProfileErrorKind, RegExp][] = [
  ['empty', new Uint8Array(0), 'empty', /is empty/],
  ['truncated gzip', readFileSync(cpu).subarray(0, 2000), 'truncated-gzip', /truncated gzip/],
  ['HTML page', Buffer.from('<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>nope</body></html>\n'), 'html', /HTML page/],
  ['gzipped HTML page', gzipSync('<html><body>Unauthorized</body></html>'), 'html', /HTML page \(inside gzip\)/],
  ['goroutine dump', readFileSync(dump), 'goroutine-dump', /goroutine dump .*`goroutines`/],
  ['plain text', Buffer.from('hello\nthis is not a profile\n'), 'text', /text file/],
  ['random bytes', noise(4096, 7), 'not-protobuf', /not a pprof profile/],
  ['gzipped random bytes', gzipSync(noise(4096, 9)), 'not-protobuf', /gzip content/],
];

for (const [what, data, kind, pattern] of bad) {
  test(`decode: ${what} → ProfileError ${kind}`, () => {
    assert.throws(() => decodeProfile(data, 'input.pb.gz'), (err: unknown) => {
      assert.ok(err instanceof ProfileError, `not a ProfileError: ${err}`);
      assert.equal(err.kind, kind, err.message);
      assert.match(err.message, pattern);
      assert.ok(err.message.startsWith('input.pb.gz '), err.message);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  });
}

test('CLI top: bad input exits 1 with one line, no stack trace', async () => {
  for (const [what, data] of bad) {
    const file = join(dir, `${what.replace(/ /g, '-')}.pb.gz`);
    writeFileSync(file, data);
    const r = await run(process.execPath, [CLI, 'top', file]).then(
      () => assert.fail(`${what}: exit 0`),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    assert.equal(r.code, 1, `${what}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
    assert.match(lines[0], new RegExp(`^etcd-profiler top: ${basename(file)} `));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  const missing = await run(process.execPath, [CLI, 'top', join(dir, 'nope.pb.gz')]).catch((e) => e);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such file/);
  const badFlag = await run(process.execPath, [CLI, 'top', cpu, '--granularity', 'bytes']).catch((e) => e);
  assert.equal(badFlag.code, 1);
  assert.equal(badFlag.stderr.trimEnd().split('\n').length, 1);
  const badType = await run(process.execPath, [CLI, 'top', cpu, '--sample-type', 'alloc_space']).catch((e) => e);
  assert.equal(badType.code, 1);
  assert.match(badType.stderr, /sample type "alloc_space" is not in this profile; it has: samples, cpu/);
});

test('CLI top --json: the documented shape, sorted by flat, all rows unless --limit', async () => {
  const profile = decodeProfile(readFileSync(cpu));
  const expected = buildTop(profile, { sampleIndex: 1 });
  const { stdout } = await run(process.execPath, [CLI, 'top', cpu, '--json'], { maxBuffer: 1 << 26 });
  const out = JSON.parse(stdout);
  assert.deepEqual(Object.keys(out), ['sampleType', 'unit', 'total', 'rows']);
  assert.deepEqual([out.sampleType, out.unit, out.total], ['cpu', 'nanoseconds', expected.total]);
  assert.equal(out.rows.length, expected.rows.length);
  for (const r of out.rows) assert.deepEqual(Object.keys(r), ['name', 'flat', 'cum']);
  for (let i = 1; i < out.rows.length; i++) assert.ok(Math.abs(out.rows[i - 1].flat) >= Math.abs(out.rows[i].flat));
  const limited = JSON.parse((await run(process.execPath, [CLI, 'top', cpu, '--json', '--limit', '3', '--sample-type', 'samples'])).stdout);
  assert.equal(limited.rows.length, 3);
  assert.equal(limited.sampleType, 'samples');
  assert.equal(limited.unit, 'count');
});

test('the default sample type is the profile default, else the last', () => {
  for (const file of fixtures('.pb.gz')) {
    const p = decodeProfile(readFileSync(file));
    const top = buildTop(p);
    const want = p.defaultSampleType || p.sampleTypes[p.sampleTypes.length - 1].type;
    assert.equal(top.sampleType, want, basename(file));
  }
});

test('a decoded profile reads the same through its samples as through its columns', () => {
  for (const file of fixtures('.pb.gz')) {
    const p = decodeProfile(readFileSync(file));
    const direct = buildTop(p);
    const copy = { ...p, samples: p.samples.map((s) => ({ ...s })) };
    assert.deepEqual(buildTop(copy), direct, basename(file));
  }
});
