// Bytes → Profile: gzip sniffing, a wire-format check, pprof-format's decoder, then conversion to
// plain numbers and indices with the consistency checks of pprof's CheckValid. Every failure is a
// ProfileError whose message says what the input looks like and what was expected.
import { gunzipSync } from 'node:zlib';
import { Profile as PprofProfile } from 'pprof-format';
import { ProfileError } from './errors.ts';
import { withColumns } from './columns.ts';
import { displayName } from './names.ts';
import { removeUninteresting } from './prune.ts';
import { stringsKeepingBytes } from './rawBytes.ts';
import type { Line, Location, Mapping, Profile, ProfileFunction, SampleLabel, ValueType } from './types.ts';
import { splitSamples, WireError } from './samples.ts';
import type { RawSamples, SplitProfile } from './samples.ts';
import { checkProfileWire } from './wire.ts';

/** Decompressed inputs larger than this are refused (a gzip bomb would otherwise exhaust memory). */
export const MAX_DECOMPRESSED_BYTES = 1 << 30;

type Numeric = number | bigint;

export interface DecodeOptions {
  /**
   * Skip what `go tool pprof` does on load: simplify function names (see names.ts) and apply
   * drop_frames/keep_frames (see prune.ts). Default false.
   */
  raw?: boolean;
}

export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

/** Gunzips when the data starts with the gzip magic, else returns it unchanged. */
export function maybeGunzip(data: Uint8Array, what = 'the file'): Uint8Array {
  if (!isGzip(data)) return data;
  try {
    return gunzipSync(data, { maxOutputLength: MAX_DECOMPRESSED_BYTES, chunkSize: 1 << 20 });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(String((err as Error).message))) {
      throw new ProfileError('truncated-gzip', `${what} is a truncated gzip stream (the download or copy was cut short).`);
    }
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new ProfileError('too-large', `${what} decompresses to more than ${MAX_DECOMPRESSED_BYTES / (1 << 20)} MiB, which is not a plausible profile.`);
    }
    throw new ProfileError('bad-gzip', `${what} starts like gzip but is corrupt (${zlibReason(err)}).`);
  }
}

function zlibReason(err: unknown): string {
  const code = (err as { code?: string; errno?: number }).code;
  if (code === 'Z_DATA_ERROR') return 'invalid compressed data';
  return String((err as Error).message ?? err).split('\n')[0];
}

/** A short description of what non-profile bytes look like, for error messages. */
export function describeContent(data: Uint8Array): { kind: 'html' | 'goroutine-dump' | 'text' | 'binary'; text: string } {
  const head = Buffer.from(data.subarray(0, 4096)).toString('latin1');
  const trimmed = head.replace(/^\uFEFF?\s+/, '');
  if (/^<(!doctype|html|head|body|\?xml|!--)/i.test(trimmed) || /<html[\s>]/i.test(head)) {
    return { kind: 'html', text: 'an HTML page' };
  }
  if (/^goroutine \d+ (\S+ )*\[/.test(trimmed) || /^goroutine profile: total \d+/.test(trimmed) || /\ngoroutine \d+ \[[^\]]*\]:\n/.test(head)) {
    return { kind: 'goroutine-dump', text: 'a goroutine dump in text form' };
  }
  let printable = 0;
  const n = Math.min(data.length, 4096);
  for (let i = 0; i < n; i++) {
    const b = data[i];
    if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 0xc0) printable++;
  }
  if (n > 0 && printable / n > 0.95) return { kind: 'text', text: 'a text file' };
  return { kind: 'binary', text: 'binary data' };
}

/**
 * Decodes a pprof profile (gzipped or raw protobuf). `name` is used in error messages.
 * Throws ProfileError for anything that is not a valid profile.
 */
export function decodeProfile(input: Uint8Array, name = 'the file', options: DecodeOptions = {}): Profile {
  if (input.length === 0) {
    throw new ProfileError('empty', `${name} is empty; expected a pprof profile (gzipped protobuf).`);
  }
  const data = maybeGunzip(input, name);
  const gz = data !== input;
  if (data.length === 0) {
    throw new ProfileError('empty', `${name} is an empty gzip stream; expected a pprof profile.`);
  }
  let split: SplitProfile;
  try {
    split = splitSamples(data);
  } catch (err) {
    if (err instanceof WireError) throw notAProfile(data, name, gz, err.message);
    throw err;
  }
  const problem = checkProfileWire(split.rest);
  if (problem) throw notAProfile(data, name, gz, problem);
  let raw: PprofProfile;
  try {
    raw = PprofProfile.decode(split.rest);
  } catch (err) {
    throw notAProfile(data, name, gz, String((err as Error).message ?? err));
  }
  const profile = convert(raw, split.samples, name, !options.raw);
  if (options.raw) return profile;
  return removeUninteresting(profile);
}

function notAProfile(data: Uint8Array, name: string, gz: boolean, detail: string): ProfileError {
  const looks = describeContent(data);
  const inside = gz ? ' (inside gzip)' : '';
  switch (looks.kind) {
    case 'html':
      return new ProfileError('html', `${name} is an HTML page${inside}, not a pprof profile; was the URL right, or did the server return an error page?`);
    case 'goroutine-dump':
      return new ProfileError('goroutine-dump', `${name} is a goroutine dump in text form${inside}, not a pprof profile; read it with \`goroutines\` instead.`);
    case 'text':
      return new ProfileError('text', `${name} is a text file${inside}, not a pprof profile (expected gzipped protobuf).`);
    default:
      return new ProfileError('not-protobuf', `${name} is not a pprof profile: ${gz ? 'the gzip content' : 'the data'} is not valid profile protobuf (${detail}).`);
  }
}

function invalid(name: string, detail: string): ProfileError {
  return new ProfileError('invalid-profile', `${name} is not a valid pprof profile: ${detail}.`);
}

// Signed 64-bit values (sample values, times) must fit a double exactly.
function signed(v: Numeric, name: string, what: string): number {
  if (typeof v === 'number') return v;
  const s = BigInt.asIntN(64, v);
  if (s > BigInt(Number.MAX_SAFE_INTEGER) || s < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw invalid(name, `${what} ${s} is too large to represent exactly`);
  }
  return Number(s);
}

// Signed values where a few ulps do not matter (wall-clock nanoseconds exceed 2^53).
function approx(v: Numeric): number {
  return typeof v === 'number' ? v : Number(BigInt.asIntN(64, v));
}

// Unsigned 64-bit identifiers and addresses: precision above 2^53 is not needed for display.
function unsigned(v: Numeric): number {
  return typeof v === 'number' ? v : Number(BigInt.asUintN(64, v));
}

function convert(raw: PprofProfile, rawSamples: RawSamples, name: string, simplifyNames: boolean): Profile {
  const strings = stringsKeepingBytes(raw.stringTable);
  if (strings.length === 0 || strings[0] !== '') throw invalid(name, 'the string table does not start with the empty string');
  const str = (v: Numeric, what: string): string => {
    const i = unsigned(v);
    const s = strings[i];
    if (s === undefined) throw invalid(name, `${what} refers to string ${i} of ${strings.length}`);
    return s;
  };
  const valueType = (v: { type: Numeric; unit: Numeric }, what: string): ValueType => ({
    type: str(v.type, what),
    unit: str(v.unit, what),
  });

  const sampleTypes = raw.sampleType.map((v) => valueType(v, 'a sample type'));
  if (sampleTypes.length === 0) {
    throw invalid(name, raw.sample.length ? 'it has samples but no sample types' : 'it has no sample types');
  }

  const mappings: Mapping[] = [];
  const mappingIndex = new Map<number, number>();
  for (const m of raw.mapping) {
    const id = unsigned(m.id);
    if (id === 0) throw invalid(name, 'a mapping has id 0');
    if (mappingIndex.has(id)) throw invalid(name, `mapping id ${id} appears twice`);
    mappingIndex.set(id, mappings.length);
    mappings.push({
      id,
      start: unsigned(m.memoryStart),
      limit: unsigned(m.memoryLimit),
      offset: unsigned(m.fileOffset),
      file: str(m.filename, 'a mapping file name'),
      buildId: str(m.buildId, 'a mapping build id'),
      hasFunctions: !!m.hasFunctions,
      hasFilenames: !!m.hasFilenames,
      hasLineNumbers: !!m.hasLineNumbers,
      hasInlineFrames: !!m.hasInlineFrames,
    });
  }

  const functions: ProfileFunction[] = [];
  const functionIndex = new Map<number, number>();
  for (const f of raw.function) {
    const id = unsigned(f.id);
    if (id === 0) throw invalid(name, 'a function has id 0');
    if (functionIndex.has(id)) throw invalid(name, `function id ${id} appears twice`);
    functionIndex.set(id, functions.length);
    const fn = {
      id,
      name: str(f.name, 'a function name'),
      systemName: str(f.systemName, 'a function system name'),
      filename: str(f.filename, 'a function file name'),
      startLine: signed(f.startLine, name, 'a start line'),
    };
    if (simplifyNames) fn.name = displayName(fn);
    functions.push(fn);
  }

  const locations: Location[] = [];
  const locationIndex = new Map<number, number>();
  let sequentialLocations = true;
  for (const l of raw.location) {
    const id = unsigned(l.id);
    if (id === 0) throw invalid(name, 'a location has id 0');
    if (locationIndex.has(id)) throw invalid(name, `location id ${id} appears twice`);
    if (id !== locations.length + 1) sequentialLocations = false;
    locationIndex.set(id, locations.length);
    const mappingId = unsigned(l.mappingId);
    let mapping = -1;
    if (mappingId !== 0) {
      const mi = mappingIndex.get(mappingId);
      if (mi === undefined) throw invalid(name, `location ${id} refers to missing mapping ${mappingId}`);
      mapping = mi;
    }
    const lines: Line[] = l.line.map((ln) => {
      const fid = unsigned(ln.functionId);
      let fn = -1;
      if (fid !== 0) {
        const fi = functionIndex.get(fid);
        if (fi === undefined) throw invalid(name, `location ${id} refers to missing function ${fid}`);
        fn = fi;
      }
      return { function: fn, line: signed(ln.line, name, 'a line number'), column: signed(ln.column, name, 'a column') };
    });
    locations.push({ id, mapping, address: unsigned(l.address), lines, isFolded: !!l.isFolded });
  }

  const nTypes = sampleTypes.length;
  const { count, idStart, ids, valueStart, values, labelStart, labelPool } = rawSamples;
  for (let i = 0; i < count; i++) {
    const n = valueStart[i + 1] - valueStart[i];
    if (n !== nTypes) throw invalid(name, `a sample has ${n} values but there are ${nTypes} sample types`);
  }
  // Location ids become location indices in place.
  const nLocations = locations.length;
  if (sequentialLocations) {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < 1 || id > nLocations) throw invalid(name, `a sample refers to missing location ${id}`);
      ids[i] = id - 1;
    }
  } else {
    for (let i = 0; i < ids.length; i++) {
      const index = locationIndex.get(ids[i]);
      if (index === undefined) throw invalid(name, `a sample refers to missing location ${ids[i]}`);
      ids[i] = index;
    }
  }
  const noLabels: readonly SampleLabel[] = Object.freeze([]);
  const labels = new Array<readonly SampleLabel[]>(count).fill(noLabels);
  if (labelPool.length > 0) {
    // Heap profiles label every sample with its object size: share equal label lists. Single
    // labels are looked up by number (per key, value and unit), others by a string key.
    const lists = new Map<string, readonly SampleLabel[]>();
    const singles = new Map<number, Map<number, readonly SampleLabel[]>>();
    const makeList = (a: number, b: number): readonly SampleLabel[] => {
      const items: SampleLabel[] = [];
      for (let j = 4 * a; j < 4 * b; j += 4) {
        items.push(Object.freeze({
          key: str(labelPool[j], 'a label key'),
          str: str(labelPool[j + 1], 'a label value'),
          num: labelPool[j + 2],
          numUnit: str(labelPool[j + 3], 'a label unit'),
        }));
      }
      return Object.freeze(items);
    };
    const nStrings = strings.length;
    for (let i = 0; i < count; i++) {
      const a = labelStart[i];
      const b = labelStart[i + 1];
      if (a === b) continue;
      let list: readonly SampleLabel[] | undefined;
      if (b === a + 1) {
        const j = 4 * a;
        const k = labelPool[j];
        const sv = labelPool[j + 1];
        const u = labelPool[j + 3];
        const group = k + nStrings * (sv + nStrings * u);
        let byNum = singles.get(group);
        if (!byNum) singles.set(group, (byNum = new Map()));
        list = byNum.get(labelPool[j + 2]);
        if (!list) byNum.set(labelPool[j + 2], (list = makeList(a, b)));
      } else {
        let key = '';
        for (let j = 4 * a; j < 4 * b; j += 4) key += `${labelPool[j]},${labelPool[j + 1]},${labelPool[j + 2]},${labelPool[j + 3]};`;
        list = lists.get(key);
        if (!list) lists.set(key, (list = makeList(a, b)));
      }
      labels[i] = list;
    }
  }
  const columns = { count, nTypes, idStart, ids, values, labels };

  const defaultSampleType = str(raw.defaultSampleType, 'the default sample type');
  return withColumns({
    sampleTypes,
    defaultSampleType,
    locations,
    functions,
    mappings,
    periodType: raw.periodType ? valueType(raw.periodType, 'the period type') : null,
    period: approx(raw.period),
    timeNanos: approx(raw.timeNanos),
    durationNanos: approx(raw.durationNanos),
    dropFrames: str(raw.dropFrames, 'drop_frames'),
    keepFrames: str(raw.keepFrames, 'keep_frames'),
    comments: raw.comment.map((c) => str(c, 'a comment')),
    docUrl: str(raw.docUrl, 'doc_url'),
  }, columns);
}
