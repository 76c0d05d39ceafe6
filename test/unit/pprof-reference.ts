// Runs `go tool pprof -top` on a profile and parses its table, as the reference our numbers must
// equal. Values are requested in the sample type's own unit (-unit=…) so they print as integers.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TESTDATA = process.env.PROFILE_FIXTURES ?? join(import.meta.dirname, 'testdata');

export function goBinary(): string {
  if (process.env.GO) return process.env.GO;
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
}

export function fixtures(suffix: string | RegExp): string[] {
  if (!existsSync(TESTDATA)) return [];
  return readdirSync(TESTDATA)
    .filter((f) => (typeof suffix === 'string' ? f.endsWith(suffix) : suffix.test(f)))
    .sort()
    .map((f) => join(TESTDATA, f));
}

export interface RefRow {
  name: string;
  inline: string;
  flat: number;
  cum: number;
}

export interface RefTop {
  total: number;
  rows: RefRow[];
}

function value(text: string): number {
  const m = /^-?\d+(\.\d+)?/.exec(text);
  if (!m) throw new Error(`unexpected pprof value "${text}"`);
  if (m[1]) throw new Error(`pprof printed a fractional value "${text}"; the -unit flag did not give raw integers`);
  return Number(m[0]);
}

/** Unit flag for pprof so that values print unscaled in the profile's unit. */
export function unitFlag(unit: string): string {
  return `-unit=${unit}`;
}

export async function pprofTop(file: string, sampleIndex: number, unit: string, granularity = 'functions', extra: string[] = []): Promise<RefTop> {
  const args = ['tool', 'pprof', '-top', '-nodefraction=0', '-edgefraction=0', '-nodecount=1000000',
    `-sample_index=${sampleIndex}`, unitFlag(unit), ...extra];
  if (granularity !== 'functions') args.push(`-${granularity}`);
  args.push(file);
  const { stdout } = await run(goBinary(), args, {
    env: { ...process.env, GOTOOLCHAIN: 'local', PPROF_TMPDIR: process.env.TMPDIR ?? '/tmp' },
    maxBuffer: 1 << 30,
  });
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => /^\s+flat\s+flat%\s+sum%\s+cum\s+cum%$/.test(l));
  if (header < 0) throw new Error(`no table in pprof output:\n${stdout.slice(0, 2000)}`);
  const totalLine = lines.find((l) => l.startsWith('Showing nodes accounting for'));
  const totalMatch = totalLine && /of (\S+) total/.exec(totalLine);
  if (!totalMatch) throw new Error(`no total in pprof output:\n${stdout.slice(0, 2000)}`);
  const rows: RefRow[] = [];
  for (const line of lines.slice(header + 1)) {
    if (line.trim() === '') continue;
    const m = /^\s*(\S+)\s+\S+%\s+\S+%\s+(\S+)\s+\S+% {2}(.*)$/.exec(line);
    if (!m) throw new Error(`unparsed pprof row: ${line}`);
    let name = m[3];
    let inline = '';
    const im = / (\((?:partial-)?inline\))$/.exec(name);
    if (im) {
      inline = im[1];
      name = name.slice(0, im.index);
    }
    rows.push({ name, inline, flat: value(m[1]), cum: value(m[2]) });
  }
  return { total: value(totalMatch[1]), rows };
}
