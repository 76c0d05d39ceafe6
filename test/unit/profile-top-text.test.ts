// `etcd-profiler top` without --json prints what `go tool pprof -top` prints, byte for byte, for every sample type
// of every fixture profile at every granularity (pprof with -nodefraction=0 -edgefraction=0 and no node limit,
// as our top shows every row). One allowance, at `files` granularity only: one file can be several rows (functions of
// the same file with different start lines stay distinct nodes) whose flat and name are equal, and pprof sorts those
// as equal from a Go map's order, so its own output changes from run to run (four runs on etcd.goroutine.pb.gz gave
// four different orders); such runs of rows are compared as sets of whole lines (their sum% is the same by
// construction). Plus the formatting rules that can differ: half-to-even rounding, no `Type:` line
// for a sample type without a name.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { decodeProfile } from '../../src/profile/decode.ts';
import { formatTopText } from '../../src/cli.ts';
import { buildTop } from '../../src/profile/top.ts';
import { goFixed, percentage, scaledLabel } from '../../src/profile/units.ts';
import { fixtures, goBinary } from './pprof-reference.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../src/cli.ts');
const profiles = fixtures('.pb.gz');
const GRANULARITIES = ['functions', 'lines', 'files'] as const;

async function pprofText(file: string, sampleIndex: number, granularity: string): Promise<Buffer> {
  const args = ['tool', 'pprof', '-top', '-nodefraction=0', '-edgefraction=0', '-nodecount=1000000', `-sample_index=${sampleIndex}`];
  if (granularity !== 'functions') args.push(`-${granularity}`);
  args.push(file);
  const { stdout } = await run(goBinary(), args, {
    env: { ...process.env, GOTOOLCHAIN: 'local', PPROF_TMPDIR: process.env.TMPDIR ?? '/tmp' },
    maxBuffer: 1 << 30,
    encoding: 'buffer',
  });
  return stdout;
}

async function ourText(file: string, sampleType: string, granularity: string): Promise<Buffer> {
  const { stdout } = await run(process.execPath, [CLI, 'top', file, '--sample-type', sampleType, '--granularity', granularity], {
    maxBuffer: 1 << 30,
    encoding: 'buffer',
  });
  return stdout;
}

const ROW = /^\s*(\S+)\s+\S+%\s+\S+%\s+\S+\s+\S+% {2}(.*?)(?: \((?:partial-)?inline\))?$/;

/** Table rows with the same flat and name (pprof's ties) put in one order; every other line untouched. */
function canonicalTies(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const m = ROW.exec(lines[i]);
    if (!m) {
      out.push(lines[i++]);
      continue;
    }
    let j = i + 1;
    while (j < lines.length) {
      const n = ROW.exec(lines[j]);
      if (!n || n[1] !== m[1] || n[2] !== m[2]) break;
      j++;
    }
    out.push(...lines.slice(i, j).sort());
    i = j;
  }
  return out.join('\n');
}

async function inPairs(jobs: (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all([worker(), worker()]);
}

test('top text equals go tool pprof -top byte for byte: every fixture, sample type and granularity', { timeout: 900_000 }, async () => {
  assert.ok(profiles.length >= 10, 'the fixtures are there');
  const failures: string[] = [];
  let compared = 0;
  const jobs: (() => Promise<void>)[] = [];
  for (const file of profiles) {
    const profile = decodeProfile(readFileSync(file), basename(file));
    profile.sampleTypes.forEach((st, sampleIndex) => {
      for (const granularity of GRANULARITIES) {
        jobs.push(async () => {
          const [ref, ours] = await Promise.all([pprofText(file, sampleIndex, granularity), ourText(file, st.type, granularity)]);
          compared++;
          const same = granularity === 'files'
            ? canonicalTies(ref.toString('latin1')) === canonicalTies(ours.toString('latin1'))
            : Buffer.compare(ref, ours) === 0;
          if (!same) {
            const a = ref.toString('latin1').split('\n');
            const b = ours.toString('latin1').split('\n');
            const i = a.findIndex((l, k) => l !== b[k]);
            failures.push(`${basename(file)} ${st.type} ${granularity}: line ${i + 1}\n  pprof: ${JSON.stringify(a[i])}\n  ours:  ${JSON.stringify(b[i])}`);
          }
        });
      }
    });
  }
  await inPairs(jobs);
  assert.ok(compared >= 60, `compared ${compared}`);
  assert.deepEqual(failures, []);
});

test('a file name that is not valid UTF-8 keeps its byte, as in pprof; JSON has U+FFFD there, as Go\'s encoding/json', async () => {
  // A real profile from a Go program built in a directory named `byte\xffpath`.
  const dir = mkdtempSync(join(tmpdir(), 'ep-bytepath-'));
  try {
    const src = join(import.meta.dirname, 'bytepathgen', 'main.go');
    const file = join(dir, 'bytepath.heap.pb.gz');
    await run('bash', ['-c', 'set -e; d="$1/byte"$\'\\xff\'"path"; mkdir "$d"; cp "$2" "$d/"; cd "$d"; "$3" build -o ../gen main.go; ../gen "$4"', 'bash', dir, src, goBinary(), file], {
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '' },
    });
    const profile = decodeProfile(readFileSync(file), 'bytepath.heap.pb.gz');
    const alloc = profile.sampleTypes.findIndex((st) => st.type === 'alloc_space');
    for (const granularity of GRANULARITIES) {
      const [ref, ours] = await Promise.all([pprofText(file, alloc, granularity), ourText(file, 'alloc_space', granularity)]);
      if (granularity !== 'functions') assert.ok(ref.includes(Buffer.from('byte\xffpath/main.go', 'latin1')), `pprof -${granularity} shows the byte`);
      const text = (b: Buffer) => (granularity === 'files' ? canonicalTies(b.toString('latin1')) : b.toString('latin1'));
      assert.equal(text(ours), text(ref), granularity);
    }
    const { stdout } = await run(process.execPath, [CLI, 'top', file, '--sample-type', 'alloc_space', '--granularity', 'files', '--json']);
    const names = (JSON.parse(stdout) as { rows: { name: string }[] }).rows.map((r) => r.name);
    assert.ok(names.some((n) => n.endsWith('/byte\uFFFDpath/main.go')), names.join(', '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('values round half to even as Go does (1025.125kB → 1025.12kB)', () => {
  // Exactly representable halves: Go's %.2f rounds them to even, JavaScript's toFixed away from zero.
  assert.equal(scaledLabel(1025.125 * 1024, 'bytes', 'kB'), '1025.12kB');
  assert.equal(scaledLabel(1025.375 * 1024, 'bytes', 'kB'), '1025.38kB');
  assert.equal(scaledLabel(2.625 * 1024 * 1024, 'bytes'), '2.62MB');
  assert.equal(scaledLabel(-2.625 * 1024 * 1024, 'bytes'), '-2.62MB');
  assert.equal(goFixed(1.015, 2), '1.01', '1.015 is below the tie in binary: the nearest');
  assert.equal(goFixed(0.125, 2), '0.12');
  assert.equal(goFixed(0.375, 2), '0.38');
  assert.equal(percentage(1, 800), ' 0.12%', '%.2g of 0.125');
  assert.equal(percentage(1, 3), '33.33%');
});

test('no Type: line when the sample type has no name, as pprof', () => {
  const file = fixtures('operator.heap.pb.gz')[0];
  const profile = decodeProfile(readFileSync(file), basename(file));
  const top = buildTop(profile, { sampleIndex: 1 });
  assert.match(formatTopText(profile, top, top.rows.length), /^Type: alloc_space$/m);
  assert.doesNotMatch(formatTopText(profile, { ...top, sampleType: '' }, top.rows.length), /^Type:/m);
});
