// etcd-profiler: the profile model headless. Each subcommand is one entry of COMMANDS; a
// subcommand's run() returns the text to print or throws a one-line error.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsOptionsConfig } from 'node:util';
import { resolveSampleIndex } from './profile/aggregate.ts';
import { decodeProfile } from './profile/decode.ts';
import { diffProfiles } from './profile/diff.ts';
import { ProfileError } from './profile/errors.ts';
import { parseGoroutineDump } from './profile/goroutines.ts';
import type { GoroutineDump } from './profile/goroutines.ts';
import { buildTop } from './profile/top.ts';
import { pprofTime } from './cliTime.ts';
import { encodeKeepingBytes, replaceEscapedBytes } from './profile/rawBytes.ts';
import type { TopResult } from './profile/top.ts';
import type { Granularity, Profile } from './profile/types.ts';
import { percentage, scale, scaledLabel, selectOutputUnit } from './profile/units.ts';

/** A failure the user caused (bad file, bad flag): printed as one line, exit code 1. */
export class UsageError extends Error {}

export interface Command {
  usage: string;
  summary: string;
  run(args: string[]): Promise<string> | string;
}

function readInput(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${file}: no such file.`);
    if (code === 'EISDIR') throw new UsageError(`${file} is a directory; expected a file.`);
    throw new UsageError(`${file}: cannot read (${code ?? (err as Error).message}).`);
  }
}

interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function parse(args: string[], options: ParseArgsOptionsConfig, usage: string): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} Usage: ${usage}`);
  }
}

function oneFile(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one FILE. Usage: ${usage}`);
  return positionals[0];
}

const TOP_USAGE =
  'etcd-profiler top FILE [--sample-type NAME] [--granularity functions|lines|files] [--limit N] ' +
  '[--focus RE] [--ignore RE] [--hide RE] [--diff-base FILE] [--json]';

function loadProfile(file: string): Profile {
  return decodeProfile(readInput(file), basename(file));
}

function runTop(args: string[]): string {
  const { values, positionals } = parse(
    args,
    {
      'sample-type': { type: 'string' },
      granularity: { type: 'string', default: 'functions' },
      limit: { type: 'string' },
      focus: { type: 'string' },
      ignore: { type: 'string' },
      hide: { type: 'string' },
      'diff-base': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    TOP_USAGE,
  );
  const file = oneFile(positionals, TOP_USAGE);
  const granularity = values.granularity as string;
  if (granularity !== 'functions' && granularity !== 'lines' && granularity !== 'files') {
    throw new UsageError(`--granularity must be functions, lines or files, not "${granularity}".`);
  }
  let limit = Infinity;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit must be a non-negative integer, not "${values.limit}".`);
  }
  let profile = loadProfile(file);
  const baseFile = values['diff-base'] as string | undefined;
  if (baseFile) profile = diffProfiles(profile, loadProfile(baseFile), basename(file), basename(baseFile));
  const sampleIndex = resolveSampleIndex(profile, values['sample-type'] as string | undefined);
  const top = buildTop(profile, {
    sampleIndex,
    granularity: granularity as Granularity,
    focus: values.focus as string | undefined,
    ignore: values.ignore as string | undefined,
    hide: values.hide as string | undefined,
  });
  const rows = top.rows.slice(0, limit);
  if (values.json) {
    return JSON.stringify({
      sampleType: replaceEscapedBytes(top.sampleType),
      unit: replaceEscapedBytes(top.unit),
      total: top.total,
      rows: rows.map((r) => ({ name: replaceEscapedBytes(r.name), flat: r.flat, cum: r.cum })),
    });
  }
  return formatTopText(profile, top, Math.min(limit, top.rows.length));
}

/** The text report, laid out like `go tool pprof -top`. */
export function formatTopText(profile: Profile, top: TopResult, limit: number): string {
  const rows = top.rows;
  const shownRows = rows.slice(0, limit);
  const unit = selectOutputUnit(shownRows.map((r) => (r.flat !== 0 ? r.flat : r.cum)), top.total, top.unit);
  const fmt = (v: number) => scaledLabel(v, top.unit, unit);
  const out: string[] = [];
  const main = profile.mappings[0];
  if (main?.file) out.push(`File: ${basename(main.file)}`);
  if (main?.buildId) out.push(`Build ID: ${main.buildId}`);
  for (const c of profile.comments) if (!c.startsWith('#')) out.push(c);
  if (top.sampleType) out.push(`Type: ${top.sampleType}`);
  if (profile.docUrl) out.push(`Doc: ${profile.docUrl}`);
  if (profile.timeNanos) out.push(`Time: ${pprofTime(profile.timeNanos)}`);
  if (profile.durationNanos) {
    const [totalNanos, totalUnit] = scale(top.total, top.unit, 'nanoseconds');
    const ratio = totalUnit === 'ns' && totalNanos !== 0 ? `(${percentage(totalNanos, profile.durationNanos)})` : '';
    out.push(`Duration: ${scaledLabel(profile.durationNanos, 'nanoseconds')}, Total samples = ${fmt(top.total)} ${ratio}`);
  }
  let shown = 0;
  for (const r of shownRows) shown += r.flat;
  out.push(`Showing nodes accounting for ${fmt(shown)}, ${percentage(shown, top.total).trim()} of ${fmt(top.total)} total`);
  if (limit < rows.length) out.push(`Showing top ${limit} nodes out of ${rows.length}`);
  out.push(`${'flat'.padStart(10)} ${'flat'.padStart(5)}% ${'sum'.padStart(5)}% ${'cum'.padStart(10)} ${'cum'.padStart(5)}%`);
  let sum = 0;
  for (const r of shownRows) {
    sum += r.flat;
    const inl = r.inline ? ` ${r.inline}` : '';
    out.push(`${fmt(r.flat).padStart(10)} ${percentage(r.flat, top.total)} ${percentage(sum, top.total)} ` +
      `${fmt(r.cum).padStart(10)} ${percentage(r.cum, top.total)}  ${r.name}${inl}`);
  }
  return out.join('\n');
}

const GOROUTINES_USAGE = 'etcd-profiler goroutines FILE [--json]';

function runGoroutines(args: string[]): string {
  const { values, positionals } = parse(args, { json: { type: 'boolean', default: false } }, GOROUTINES_USAGE);
  const file = oneFile(positionals, GOROUTINES_USAGE);
  const dump = parseGoroutineDump(readInput(file), basename(file));
  if (values.json) {
    return JSON.stringify({
      goroutines: dump.goroutines,
      states: dump.states,
      groups: dump.groups.map((g) => ({
        count: g.count,
        state: g.state,
        waitMinutes: g.waitMinutes,
        frames: g.frames,
        createdBy: g.createdBy,
      })),
    });
  }
  return formatGoroutinesText(dump);
}

export function formatGoroutinesText(dump: GoroutineDump): string {
  const out: string[] = [];
  const states = Object.entries(dump.states).map(([s, c]) => `${c} ${s}`).join(', ');
  out.push(`${dump.goroutines} goroutines in ${dump.groups.length} groups: ${states}`);
  for (const g of dump.groups) {
    const wait = g.waitMinutes[1] > 0
      ? g.waitMinutes[0] === g.waitMinutes[1] ? `, ${g.waitMinutes[0]} minutes` : `, ${g.waitMinutes[0]}-${g.waitMinutes[1]} minutes`
      : '';
    const locked = g.lockedToThread ? `, ${g.lockedToThread} locked to thread` : '';
    out.push('');
    out.push(`${g.count} × [${g.state}${wait}${locked}]`);
    for (const f of g.frames) out.push(`    ${f.function}\n        ${f.file}:${f.line}`);
    if (g.createdBy) out.push(`    created by ${g.createdBy.function}\n        ${g.createdBy.file}:${g.createdBy.line}`);
  }
  return out.join('\n');
}

/**
 * The subcommands: one entry each, either the command or a loader for it (loaded only when used,
 * so heavy dependencies stay out of the other commands' startup).
 */
export const COMMANDS: Record<string, Command | (() => Promise<Command>)> = {
  top: { usage: TOP_USAGE, summary: 'flat and cum per function, line or file, like go tool pprof -top', run: runTop },
  goroutines: { usage: GOROUTINES_USAGE, summary: 'goroutines of a dump grouped by state and stack', run: runGoroutines },
  capture: () => import('./capture/cliCapture.ts').then((m) => m.captureCliCommand(UsageError)),
  gateway: () => import('./capture/cliGateway.ts').then((m) => m.gatewayCliCommand(UsageError)),
  bundle: () => import('./cliBundle.ts').then((m) => m.bundleCliCommand(UsageError)),
  record: () => import('./capture/cliRecord.ts').then((m) => m.recordCliCommand(UsageError)),
  timeline: () => import('./capture/cliRecord.ts').then((m) => m.timelineCliCommand(UsageError)),
  source: () => import('./source/cliSource.ts').then((m) => m.sourceCliCommand(UsageError)),
};

async function load(entry: Command | (() => Promise<Command>)): Promise<Command> {
  return typeof entry === 'function' ? entry() : entry;
}

async function help(): Promise<string> {
  const lines = ['Usage:'];
  for (const entry of Object.values(COMMANDS)) {
    const c = await load(entry);
    lines.push(`  ${c.usage}`, `      ${c.summary}`);
  }
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await help()) + '\n');
    return name === undefined ? 2 : 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`etcd-profiler: unknown command "${name}". ${await help()}\n`);
    return 2;
  }
  try {
    const command = await load(entry);
    const text = await command.run(rest);
    if (text) await writeOut(text + '\n');
    return 0;
  } catch (err) {
    if (err instanceof ProfileError || err instanceof UsageError) {
      process.stderr.write(`etcd-profiler ${name}: ${err.message}\n`);
      return 1;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`etcd-profiler ${name}: internal error: ${message.split('\n')[0]}\n`);
    return 3;
  }
}

// Large outputs go to a pipe; wait until they are flushed before exiting. A profile's names that are not valid
// UTF-8 go out as their own bytes, as pprof writes them.
function writeOut(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(encodeKeepingBytes(text))) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}

const invokedDirectly = process.argv[1] !== undefined &&
  /(?:^|[/\\])(cli\.(?:ts|js)|etcd-profiler)$/.test(process.argv[1]);
if (invokedDirectly) {
  // A closed pipe (`| head`) is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err) => {
      process.stderr.write(`etcd-profiler: internal error: ${String((err as Error)?.message ?? err).split('\n')[0]}\n`);
      process.exitCode = 3;
    },
  );
}
