// The `Time:` line of `go tool pprof -top`: the profile's time in Go's local zone, `2006-01-02 15:04:05 MST`.
// Go's local zone: TZ unset → /etc/localtime; TZ="" or "UTC" → UTC; TZ="/path" (or ":/path") → that TZif file;
// TZ="Area/City" → the system's zoneinfo directories; anything that does not load → UTC. The zone file is read as
// Go's time package reads it (the 64-bit section, and the POSIX TZ string in its footer for times after the last
// transition). Go would also look in its own GOROOT/lib/time/zoneinfo.zip, which a machine without Go lacks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ZONE_DIRS = ['/usr/share/zoneinfo/', '/usr/share/lib/zoneinfo/', '/usr/lib/locale/TZ/', '/etc/zoneinfo'];

interface Zone {
  name: string;
  offset: number;
  isDST?: boolean;
}

interface ZoneFile {
  zones: Zone[];
  transitions: { when: number; index: number }[];
  extend: string;
}

/** `Time: …` as pprof prints it, for a profile time in nanoseconds since the epoch. */
export function pprofTime(nanos: number, env: NodeJS.ProcessEnv = process.env): string {
  const sec = Math.floor(nanos / 1e9);
  const zone = lookup(localZone(env), sec);
  const d = new Date((sec + zone.offset) * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${zone.name || numericZone(zone.offset)}`;
}

function numericZone(offset: number): string {
  const abs = Math.abs(offset);
  return `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 3600)).padStart(2, '0')}${String(Math.floor(abs / 60) % 60).padStart(2, '0')}`;
}

const loaded = new Map<string | undefined, ZoneFile | undefined>();

function localZone(env: NodeJS.ProcessEnv): ZoneFile | undefined {
  if (!loaded.has(env.TZ)) loaded.set(env.TZ, readZone(env.TZ));
  return loaded.get(env.TZ);
}

function readZone(tz: string | undefined): ZoneFile | undefined {
  if (tz === undefined) return load(['/etc/localtime']);
  if (tz.startsWith(':')) tz = tz.slice(1);
  if (tz.startsWith('/')) return load([tz]);
  if (tz === '' || tz === 'UTC') return undefined;
  return load(ZONE_DIRS.map((d) => join(d, tz)));
}

function load(files: string[]): ZoneFile | undefined {
  for (const file of files) {
    try {
      return parseTzif(readFileSync(file));
    } catch {
      // Not there or not a zone file: Go tries the next place, then falls back to UTC.
    }
  }
  return undefined;
}

/** A TZif file (RFC 8536) as Go's LoadLocationFromTZData reads it; throws on anything else. */
export function parseTzif(data: Buffer): ZoneFile {
  let at = 0;
  const header = () => {
    if (data.toString('latin1', at, at + 4) !== 'TZif') throw new Error('not a TZif file');
    const version = data[at + 4];
    const n = [0, 1, 2, 3, 4, 5].map((i) => data.readUInt32BE(at + 20 + 4 * i));
    at += 44;
    return { version, isut: n[0], isstd: n[1], leap: n[2], time: n[3], type: n[4], chars: n[5] };
  };
  let h = header();
  let wide = false;
  if (h.version >= 0x32) {
    // Skip the 32-bit section; the 64-bit one follows with its own header.
    at += h.time * 5 + h.type * 6 + h.chars + h.leap * 8 + h.isstd + h.isut;
    h = header();
    wide = true;
  }
  const size = wide ? 8 : 4;
  const times: number[] = [];
  for (let i = 0; i < h.time; i++) times.push(wide ? Number(data.readBigInt64BE(at + i * 8)) : data.readInt32BE(at + i * 4));
  at += h.time * size;
  const indices = [...data.subarray(at, at + h.time)];
  at += h.time;
  const types: { offset: number; isDST: boolean; abbr: number }[] = [];
  for (let i = 0; i < h.type; i++) types.push({ offset: data.readInt32BE(at + i * 6), isDST: data[at + i * 6 + 4] !== 0, abbr: data[at + i * 6 + 5] });
  at += h.type * 6;
  const chars = data.subarray(at, at + h.chars);
  at += h.chars + h.leap * (size + 4) + h.isstd + h.isut;
  if (types.length === 0) throw new Error('no zone types');
  const zones = types.map((t) => {
    const end = chars.indexOf(0, t.abbr);
    return { offset: t.offset, isDST: t.isDST, name: chars.toString('latin1', t.abbr, end < 0 ? chars.length : end) };
  });
  const transitions = times.map((when, i) => ({ when, index: indices[i] }));
  if (transitions.some((t) => t.index >= zones.length)) throw new Error('bad zone index');
  if (transitions.length === 0) transitions.push({ when: -Infinity, index: 0 });
  let extend = '';
  if (wide && data[at] === 0x0a) {
    const end = data.indexOf(0x0a, at + 1);
    if (end > at) extend = data.toString('latin1', at + 1, end);
  }
  return { zones, transitions, extend };
}

function lookup(file: ZoneFile | undefined, sec: number): Zone {
  if (!file) return { name: 'UTC', offset: 0 };
  const tx = file.transitions;
  if (sec < tx[0].when) return file.zones[firstZone(file)];
  let lo = 0;
  let hi = tx.length;
  while (hi - lo > 1) {
    const m = (lo + hi) >>> 1;
    if (sec < tx[m].when) hi = m;
    else lo = m;
  }
  if (lo === tx.length - 1 && file.extend) {
    const z = tzset(file.extend, sec);
    if (z) return z;
  }
  return file.zones[tx[lo].index];
}

// Go's lookupFirstZone: the zone before the first transition.
function firstZone(file: ZoneFile): number {
  const { zones, transitions } = file;
  if (!transitions.some((t) => t.index === 0)) return 0;
  if (zones[transitions[0].index].isDST) {
    for (let i = transitions[0].index - 1; i >= 0; i--) if (!zones[i].isDST) return i;
  }
  const std = zones.findIndex((z) => !z.isDST);
  return std < 0 ? 0 : std;
}

/** A POSIX TZ string (`CET-1CEST,M3.5.0,M10.5.0/3`) at a time, as Go's tzset; undefined if it does not parse. */
export function tzset(spec: string, sec: number): Zone | undefined {
  const p = { s: spec };
  const stdName = tzName(p);
  const stdOff = stdName === undefined ? undefined : tzOffset(p);
  if (stdName === undefined || stdOff === undefined) return undefined;
  const std = { name: stdName, offset: -stdOff };
  if (p.s === '' || p.s[0] === ',') return std;
  const dstName = tzName(p);
  if (dstName === undefined) return undefined;
  let dstOffset = std.offset + 3600;
  if (p.s !== '' && p.s[0] !== ',') {
    const o = tzOffset(p);
    if (o === undefined) return undefined;
    dstOffset = -o;
  }
  const dst = { name: dstName, offset: dstOffset };
  if (p.s === '') p.s = ',M3.2.0,M11.1.0';
  if (p.s[0] !== ',' && p.s[0] !== ';') return undefined;
  p.s = p.s.slice(1);
  const startRule = tzRule(p);
  if (!startRule || p.s[0] !== ',') return undefined;
  p.s = p.s.slice(1);
  const endRule = tzRule(p);
  if (!endRule || p.s !== '') return undefined;

  const day = Math.floor(sec / 86400);
  const year = new Date(day * 86400_000).getUTCFullYear();
  const ystart = Date.UTC(year, 0, 1) / 1000;
  const ysec = sec - ystart;
  let startSec = ruleTime(year, startRule, std.offset);
  let endSec = ruleTime(year, endRule, dst.offset);
  let [outside, inside] = [std, dst];
  if (endSec < startSec) {
    [startSec, endSec] = [endSec, startSec];
    [outside, inside] = [inside, outside];
  }
  return ysec < startSec || ysec >= endSec ? outside : inside;
}

interface Rule {
  kind: 'julian' | 'doy' | 'mwd';
  day: number;
  week: number;
  mon: number;
  time: number;
}

function tzName(p: { s: string }): string | undefined {
  const s = p.s;
  if (s === '') return undefined;
  if (s[0] === '<') {
    const end = s.indexOf('>');
    if (end < 0) return undefined;
    p.s = s.slice(end + 1);
    return s.slice(1, end);
  }
  const i = s.search(/[0-9,+-]/);
  const len = i < 0 ? s.length : i;
  if (len < 3) return undefined;
  p.s = s.slice(len);
  return s.slice(0, len);
}

function tzNum(p: { s: string }, min: number, max: number): number | undefined {
  const m = /^[0-9]+/.exec(p.s);
  if (!m) return undefined;
  const n = Number(m[0]);
  if (n < min || n > max) return undefined;
  p.s = p.s.slice(m[0].length);
  return n;
}

function tzOffset(p: { s: string }): number | undefined {
  let neg = false;
  if (p.s[0] === '+' || p.s[0] === '-') {
    neg = p.s[0] === '-';
    p.s = p.s.slice(1);
  }
  const hours = tzNum(p, 0, 24 * 7);
  if (hours === undefined) return undefined;
  let off = hours * 3600;
  for (const unit of [60, 1]) {
    if (p.s[0] !== ':') break;
    p.s = p.s.slice(1);
    const n = tzNum(p, 0, 59);
    if (n === undefined) return undefined;
    off += n * unit;
  }
  return neg ? -off : off;
}

function tzRule(p: { s: string }): Rule | undefined {
  const r: Rule = { kind: 'doy', day: 0, week: 0, mon: 0, time: 7200 };
  if (p.s[0] === 'J') {
    p.s = p.s.slice(1);
    const d = tzNum(p, 1, 365);
    if (d === undefined) return undefined;
    r.kind = 'julian';
    r.day = d;
  } else if (p.s[0] === 'M') {
    p.s = p.s.slice(1);
    const mon = tzNum(p, 1, 12);
    if (mon === undefined || p.s[0] !== '.') return undefined;
    p.s = p.s.slice(1);
    const week = tzNum(p, 1, 5);
    if (week === undefined || p.s[0] !== '.') return undefined;
    p.s = p.s.slice(1);
    const day = tzNum(p, 0, 6);
    if (day === undefined) return undefined;
    Object.assign(r, { kind: 'mwd', mon, week, day });
  } else {
    const d = tzNum(p, 0, 365);
    if (d === undefined) return undefined;
    r.day = d;
  }
  if (p.s[0] === '/') {
    p.s = p.s.slice(1);
    const t = tzOffset(p);
    if (t === undefined) return undefined;
    r.time = t;
  }
  return r;
}

/** Seconds from the start of the year (UTC) to the rule's moment, as Go's tzruleTime. */
function ruleTime(year: number, r: Rule, off: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  let days: number;
  if (r.kind === 'julian') days = r.day - 1 + (leap && r.day >= 60 ? 1 : 0);
  else if (r.kind === 'doy') days = r.day;
  else {
    const first = new Date(Date.UTC(year, r.mon - 1, 1));
    const inMonth = new Date(Date.UTC(year, r.mon, 0)).getUTCDate();
    let d = (r.day - first.getUTCDay() + 7) % 7; // zero-based day of the month of the first such weekday
    for (let i = 1; i < r.week && d + 7 < inMonth; i++) d += 7;
    days = (Date.UTC(year, r.mon - 1, 1) - Date.UTC(year, 0, 1)) / 86400_000 + d;
  }
  return days * 86400 + r.time - off;
}
