// Goroutine dumps in text form, plain or gzipped:
// - debug=2 (`/debug/pprof/goroutine?debug=2`, also a panic's traceback): one block per goroutine,
//   `goroutine N [state, W minutes, locked to thread]:`, then function lines each followed by a
//   tab-indented `file:line +0x…` line, and `created by F in goroutine M`;
// - debug=1: `goroutine profile: total N`, then `COUNT @ 0x… 0x…` groups with `#\t0x…\tF+0x…\tfile:line`
//   frame lines.
// Goroutines with the same state, the same frames (function, file, line) and the same creator are
// grouped. A goroutine profile in protobuf form is accepted too (its groups have no state).
// Dumps inside other text are read too: behind log-line prefixes (CRI/`kubectl logs --timestamps`
// timestamps, `kubectl logs --prefix`, klog headers), in `go test -v` output (t.Log) or indented
// consistently; see dumpTextOf. With `GODEBUG=tracebackancestors=N` a goroutine's own stack ends at
// `[originating from goroutine N]:`; the ancestors' stacks are kept apart (GoroutineGroup.ancestors).
// A crash traceback's `panic:` / `fatal error:` lines before the first goroutine become `crash`.
import { decodeProfile, describeContent, maybeGunzip } from './decode.ts';
import { ProfileError } from './errors.ts';
import type { Profile } from './types.ts';

export interface GoroutineFrame {
  function: string;
  file: string;
  line: number;
}

export interface GoroutineGroup {
  count: number;
  /** e.g. `chan receive`, `select`, `running`; `unknown` for dumps that carry no state (debug=1). */
  state: string;
  /** Smallest and largest wait in minutes among the group (0 when the dump shows none). */
  waitMinutes: [number, number];
  /** How many of the group are locked to an OS thread. */
  lockedToThread: number;
  /** Innermost call first. */
  frames: GoroutineFrame[];
  createdBy: GoroutineFrame | null;
  /** Goroutine ids (debug=2 only; empty otherwise), in dump order. */
  ids: number[];
  /**
   * `GODEBUG=tracebackancestors=N` only: the stacks of the goroutines that created the group's first
   * goroutine, nearest first (each `[originating from goroutine N]:` section). Not part of the grouping.
   */
  ancestors?: GoroutineAncestor[];
}

export interface GoroutineAncestor {
  id: number;
  frames: GoroutineFrame[];
  createdBy: GoroutineFrame | null;
}

/** What a crash traceback says before its goroutines: `panic: …` or `fatal error: …` and what follows it. */
export interface CrashInfo {
  /** The first line, e.g. `panic: runtime error: invalid memory address or nil pointer dereference`. */
  message: string;
  /** Every non-empty line from the message to the first goroutine (`[signal SIGSEGV: …]`, `[recovered]` chains…). */
  lines: string[];
}

export interface GoroutineDump {
  format: 'debug=2' | 'debug=1' | 'proto';
  goroutines: number;
  /** Goroutines per state, largest first. */
  states: Record<string, number>;
  /** Largest group first. */
  groups: GoroutineGroup[];
  /** debug=1 only: the `total N` header (-1 when absent). */
  headerTotal: number;
  /** debug=2 crash tracebacks only: the panic or fatal error. */
  crash?: CrashInfo;
  /** The dump was read from inside other text, after stripping line prefixes or indentation. */
  unwrapped?: boolean;
}

export const UNKNOWN_STATE = 'unknown';

const textDecoder = new TextDecoder('utf-8');

/** Parses a goroutine dump from bytes (plain or gzipped). `name` is used in error messages. */
export function parseGoroutineDump(input: Uint8Array, name = 'the file'): GoroutineDump {
  if (input.length === 0) {
    throw new ProfileError('empty', `${name} is empty; expected a goroutine dump (debug=1 or debug=2 text).`);
  }
  const data = maybeGunzip(input, name);
  if (data.length === 0) {
    throw new ProfileError('empty', `${name} is an empty gzip stream; expected a goroutine dump.`);
  }
  const looks = describeContent(data);
  if (looks.kind === 'binary') return fromProfile(data, name);
  if (looks.kind === 'html') {
    throw new ProfileError('html', `${name} is an HTML page, not a goroutine dump; was the URL right, or did the server return an error page?`);
  }
  const text = textDecoder.decode(data);
  const dump = parseGoroutineText(text);
  if (!dump) {
    throw new ProfileError('not-goroutine-dump', `${name} is ${looks.text} without any goroutine headers; expected a goroutine dump (debug=1 or debug=2, also inside a log or go test output).`);
  }
  return dump;
}

const DEBUG1_TOTAL = /^goroutine profile: total \d+/m;
const DEBUG2_HEADER = /^goroutine \d+ [^\n]*\[[^\n]*\]:?[ \t]*\r?$/m;
const DEBUG1_RECORD = /^\d+ @( 0x[0-9a-f]+)*\r?$/m;

/** The error for text that holds no dump. */
export function noDumpMessage(name: string): string {
  return `${name} holds no goroutine headers; expected a goroutine dump (debug=1 or debug=2, also inside a log or go test output).`;
}

/** Parses dump text (also inside other text, see dumpTextOf); returns null when it holds no goroutine at all. */
export function parseGoroutineText(text: string): GoroutineDump | null {
  const body = dumpTextOf(text);
  const dump = parsePlain(body);
  if (dump && body !== text) dump.unwrapped = true;
  return dump;
}

function parsePlain(text: string): GoroutineDump | null {
  const firstDebug1 = DEBUG1_TOTAL.exec(text);
  const firstDebug2 = DEBUG2_HEADER.exec(text);
  if (firstDebug1 && (!firstDebug2 || firstDebug1.index < firstDebug2.index)) return parseDebug1(text);
  if (firstDebug2) return parseDebug2(text);
  if (DEBUG1_RECORD.test(text)) return parseDebug1(text);
  return null;
}

function hasDumpAtLineStart(text: string): boolean {
  return DEBUG2_HEADER.test(text) || DEBUG1_TOTAL.test(text) || DEBUG1_RECORD.test(text);
}

// Line prefixes a dump may hide behind, stripped in this order, repeatedly (e.g. `kubectl logs --prefix
// --timestamps` puts the pod before the time):
const LINE_PREFIXES = [
  // `kubectl logs --prefix`: `[pod/NAME/CONTAINER] `
  /^\[pod\/[^\]\s/]+\/[^\]\s/]+\] /,
  // CRI log files (`2026-12-03T10:11:12.123456789Z stderr F `) and `kubectl logs --timestamps` (RFC 3339)
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) (?:std(?:out|err) [FP] )?/,
  // klog: `I1203 10:11:12.123456   12345 file.go:12] `
  /^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^ \]]+:\d+\] /,
  // `go test -v`: the first line of a t.Log message, `    file_test.go:12: ` (the next lines are indented)
  /^ {4}[\w.+-]+\.go:\d+: /,
];
const INDENTED_HEADER = /^([ \t]+)(?:goroutine \d+ [^\n]*\[[^\n]*\]:?|goroutine profile: total \d+|\d+ @( 0x[0-9a-f]+)+)[ \t]*$/;

/**
 * The text a dump is read from: `text` itself when goroutine headers start lines; otherwise, when the dump sits
 * behind log-line prefixes or indentation, the text with them stripped from every line. Line numbers stay those of
 * `text` (no line is added or removed), so folding and links still point into the original.
 */
export function dumpTextOf(text: string): string {
  if (hasDumpAtLineStart(text)) return text;
  if (!/goroutine (?:\d+ |profile: total)|^\S.* \d+ @ 0x/m.test(text)) return text;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    for (let round = 0; round < LINE_PREFIXES.length; round++) {
      let stripped = false;
      for (const re of LINE_PREFIXES) {
        const m = re.exec(line);
        if (m) {
          line = line.slice(m[0].length);
          stripped = true;
        }
      }
      if (!stripped) break;
    }
    lines[i] = line;
  }
  // Consistent indentation (a dump pasted indented, t.Log's continuation lines): the indentation most
  // headers have is taken off every line that starts with it; lines of only white space become empty.
  const indents = new Map<string, number>();
  for (const line of lines) {
    const m = INDENTED_HEADER.exec(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (m) indents.set(m[1], (indents.get(m[1]) ?? 0) + 1);
  }
  let indent = '';
  let best = 0;
  for (const [w, n] of indents) {
    if (n > best) [indent, best] = [w, n];
  }
  if (indent) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line.startsWith(indent)) lines[i] = line.slice(indent.length);
      else if (/^[ \t]+\r?$/.test(line)) lines[i] = '';
    }
  }
  const out = lines.join('\n');
  return hasDumpAtLineStart(out) ? out : text;
}

const CRASH_MESSAGE = /^(?:panic: |fatal error: |fatal: |unexpected fault address |SIGSEGV: |SIGBUS: |SIGABRT: |SIGQUIT: |SIGILL: |SIGFPE: |SIGTRAP: )/;

/** The `panic:` / `fatal error:` lines of a crash traceback, searched just before `firstHeader` (a line index). */
function crashBefore(lines: string[], firstHeader: number): CrashInfo | undefined {
  for (let i = firstHeader - 1; i >= 0 && i >= firstHeader - 60; i--) {
    const line = trimCR(lines[i]);
    if (line.startsWith('goroutine ')) return undefined;
    if (!CRASH_MESSAGE.test(line)) continue;
    // the first of consecutive messages (a re-panic prints `panic: A [recovered]` then `\tpanic: B`)
    let start = i;
    while (start > 0 && CRASH_MESSAGE.test(trimCR(lines[start - 1]))) start--;
    const kept: string[] = [];
    for (let j = start; j < firstHeader && trimCR(lines[j]).trim() !== ''; j++) kept.push(trimCR(lines[j]));
    return { message: kept[0], lines: kept };
  }
  return undefined;
}

function trimCR(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

interface Grouper {
  add(state: string, frames: GoroutineFrame[], createdBy: GoroutineFrame | null, count: number, minutes: number, locked: boolean, id: number, ancestors?: GoroutineAncestor[]): void;
  finish(format: GoroutineDump['format'], headerTotal: number): GoroutineDump;
}

function frameKey(f: GoroutineFrame): string {
  return `${f.function}\u0000${f.file}\u0000${f.line}`;
}

function grouper(): Grouper {
  const groups = new Map<string, GoroutineGroup>();
  return {
    add(state, frames, createdBy, count, minutes, locked, id, ancestors) {
      let key = state;
      for (const f of frames) key += '\u0001' + frameKey(f);
      if (createdBy) key += '\u0002' + frameKey(createdBy);
      let g = groups.get(key);
      if (!g) {
        g = { count: 0, state, waitMinutes: [minutes, minutes], lockedToThread: 0, frames, createdBy, ids: [] };
        if (ancestors) g.ancestors = ancestors;
        groups.set(key, g);
      }
      g.count += count;
      if (minutes < g.waitMinutes[0]) g.waitMinutes[0] = minutes;
      if (minutes > g.waitMinutes[1]) g.waitMinutes[1] = minutes;
      if (locked) g.lockedToThread += count;
      if (id >= 0) g.ids.push(id);
    },
    finish(format, headerTotal) {
      const list = [...groups.values()];
      list.sort((a, b) => b.count - a.count || (a.state < b.state ? -1 : a.state > b.state ? 1 : 0) ||
        compareFrames(a.frames, b.frames));
      const stateCounts = new Map<string, number>();
      let total = 0;
      for (const g of list) {
        total += g.count;
        stateCounts.set(g.state, (stateCounts.get(g.state) ?? 0) + g.count);
      }
      const states: Record<string, number> = {};
      for (const [s, c] of [...stateCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) states[s] = c;
      return { format, goroutines: total, states, groups: list, headerTotal };
    },
  };
}

function compareFrames(a: GoroutineFrame[], b: GoroutineFrame[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i].function;
    const y = b[i].function;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

// `/src/x.go:12 +0x1f` or `/src/x.go:12` → file and line.
function parseFileLine(s: string): { file: string; line: number } {
  let t = s.trim();
  const plus = t.lastIndexOf(' +0x');
  if (plus >= 0) t = t.slice(0, plus);
  const space = t.indexOf(' ');
  // Go 1.21+ may append " fp=… sp=… pc=…" in crash dumps.
  if (space >= 0 && / (fp|sp|pc)=/.test(t)) t = t.slice(0, space);
  const colon = t.lastIndexOf(':');
  if (colon > 0) {
    const line = Number(t.slice(colon + 1));
    if (Number.isInteger(line) && line >= 0) return { file: t.slice(0, colon), line };
  }
  return { file: t, line: 0 };
}

// `pkg.(*T).Method(0x1, {0x2, 0x3})` → `pkg.(*T).Method`.
function stripArgs(s: string): string {
  const t = s.trimEnd();
  if (!t.endsWith(')')) return t;
  let depth = 0;
  for (let i = t.length - 1; i >= 0; i--) {
    const c = t.charCodeAt(i);
    if (c === 41 /* ) */) depth++;
    else if (c === 40 /* ( */) {
      depth--;
      if (depth === 0) return i > 0 ? t.slice(0, i) : t;
    }
  }
  return t;
}

// Inside the brackets of a debug=2 header: state, then optional "N minutes", "locked to thread".
function parseStatus(status: string): { state: string; minutes: number; locked: boolean } {
  const parts = status.split(', ');
  let minutes = 0;
  let locked = false;
  for (let i = 1; i < parts.length; i++) {
    const m = /^(\d+) minutes?$/.exec(parts[i]);
    if (m) minutes = Number(m[1]);
    else if (parts[i] === 'locked to thread') locked = true;
  }
  return { state: parts[0] || UNKNOWN_STATE, minutes, locked };
}

function parseDebug2(text: string): GoroutineDump {
  const g = grouper();
  const lines = text.split('\n');
  let i = 0;
  const n = lines.length;
  let firstHeader = -1;
  while (i < n) {
    const header = lines[i++];
    if (!header.startsWith('goroutine ')) continue;
    const open = header.indexOf('[');
    const close = header.lastIndexOf(']');
    if (open < 0 || close < open) continue;
    const idText = header.slice(10, header.indexOf(' ', 10) >>> 0);
    const id = /^\d+$/.test(idText) ? Number(idText) : -1;
    if (id < 0) continue;
    if (firstHeader < 0) firstHeader = i - 1;
    const { state, minutes, locked } = parseStatus(header.slice(open + 1, close));
    const frames: GoroutineFrame[] = [];
    let createdBy: GoroutineFrame | null = null;
    let ancestors: GoroutineAncestor[] | undefined;
    let ancestor: GoroutineAncestor | undefined;
    while (i < n) {
      const line = lines[i];
      if (line === '' || line === '\r' || line.startsWith('goroutine ')) break;
      i++;
      const c = line.charCodeAt(0);
      if (c === 9 /* \t */ || c === 32) continue; // a file line without its function line
      let fn = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (c === 91 /* [ */ && fn.startsWith('[originating from goroutine ')) {
        // tracebackancestors: what follows is an ancestor's stack, not this goroutine's
        ancestor = { id: Number(/\d+/.exec(fn.slice(27))?.[0] ?? -1), frames: [], createdBy: null };
        (ancestors ??= []).push(ancestor);
        continue;
      }
      let isCreator = false;
      if (fn.startsWith('created by ')) {
        isCreator = true;
        fn = fn.slice(11);
        const inG = fn.lastIndexOf(' in goroutine ');
        if (inG >= 0) fn = fn.slice(0, inG);
      } else if (fn.startsWith('...')) {
        continue; // "...additional frames elided..."
      } else {
        fn = stripArgs(fn);
      }
      let where = { file: '', line: 0 };
      if (i < n && lines[i].charCodeAt(0) === 9) where = parseFileLine(lines[i++]);
      const frame = { function: fn, file: where.file, line: where.line };
      if (ancestor) {
        if (isCreator) ancestor.createdBy = frame;
        else ancestor.frames.push(frame);
      } else if (isCreator) createdBy = frame;
      else frames.push(frame);
    }
    g.add(state, frames, createdBy, 1, minutes, locked, id, ancestors);
  }
  const dump = g.finish('debug=2', -1);
  const crash = firstHeader >= 0 ? crashBefore(lines, firstHeader) : undefined;
  if (crash) dump.crash = crash;
  return dump;
}

function parseDebug1(text: string): GoroutineDump {
  const g = grouper();
  const lines = text.split('\n');
  const header = /^goroutine profile: total (\d+)/m.exec(text);
  let i = 0;
  const n = lines.length;
  while (i < n) {
    const line = lines[i++];
    const at = line.indexOf(' @');
    if (at <= 0) continue;
    const countText = line.slice(0, at);
    if (!/^\d+$/.test(countText)) continue;
    const count = Number(countText);
    const frames: GoroutineFrame[] = [];
    while (i < n && lines[i].startsWith('#')) {
      const parts = lines[i++].split('\t').filter((p) => p !== '');
      // ["#", "0x4dca98", "main.f+0x18", "/src/main.go:53"]; "# labels: {...}" has fewer parts
      if (parts.length < 4 || !parts[1].startsWith('0x')) continue;
      let fn = parts[2];
      const plus = fn.lastIndexOf('+0x');
      if (plus > 0) fn = fn.slice(0, plus);
      const where = parseFileLine(parts.slice(3).join(' '));
      frames.push({ function: fn, file: where.file, line: where.line });
    }
    g.add(UNKNOWN_STATE, frames, null, count, 0, false, -1);
  }
  return g.finish('debug=1', header ? Number(header[1]) : -1);
}

function fromProfile(data: Uint8Array, name: string): GoroutineDump {
  let profile: Profile;
  try {
    profile = decodeProfile(data, name);
  } catch (err) {
    if (err instanceof ProfileError) {
      throw new ProfileError('not-goroutine-dump', `${name} is binary data, neither a goroutine dump (debug=1 or debug=2 text) nor a goroutine profile.`);
    }
    throw err;
  }
  if (profile.sampleTypes.length !== 1 || profile.sampleTypes[0].type !== 'goroutine') {
    const types = profile.sampleTypes.map((t) => t.type).join(', ');
    throw new ProfileError('not-goroutine-dump', `${name} is a pprof profile of ${types}, not a goroutine dump; read it with \`top\` instead.`);
  }
  const g = grouper();
  for (const s of profile.samples) {
    const frames: GoroutineFrame[] = [];
    for (const li of s.locations) {
      for (const line of profile.locations[li].lines) {
        const fn = line.function >= 0 ? profile.functions[line.function] : undefined;
        frames.push({ function: fn?.name ?? '', file: fn?.filename ?? '', line: line.line });
      }
    }
    g.add(UNKNOWN_STATE, frames, null, s.values[0], 0, false, -1);
  }
  return g.finish('proto', -1);
}
