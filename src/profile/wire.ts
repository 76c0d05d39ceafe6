// A bounds check of the protobuf wire format against profile.proto's schema, run before
// pprof-format decodes. pprof-format trusts its input: it silently truncates overlong lengths and
// turns every varint over 4 bytes into a BigInt, which is quadratic on a long run of 0xff bytes.
// Checking first makes damaged files fail fast with a clear reason instead.

type Kind = 'varint' | 'packed' | 'bytes' | Schema;
interface Schema {
  [field: number]: Kind;
}

const VALUE_TYPE: Schema = { 1: 'varint', 2: 'varint' };
const LABEL: Schema = { 1: 'varint', 2: 'varint', 3: 'varint', 4: 'varint' };
const SAMPLE: Schema = { 1: 'packed', 2: 'packed', 3: LABEL };
const MAPPING: Schema = {
  1: 'varint', 2: 'varint', 3: 'varint', 4: 'varint', 5: 'varint',
  6: 'varint', 7: 'varint', 8: 'varint', 9: 'varint', 10: 'varint',
};
const LINE: Schema = { 1: 'varint', 2: 'varint', 3: 'varint' };
const LOCATION: Schema = { 1: 'varint', 2: 'varint', 3: 'varint', 4: LINE, 5: 'varint' };
const FUNCTION: Schema = { 1: 'varint', 2: 'varint', 3: 'varint', 4: 'varint', 5: 'varint' };
const PROFILE: Schema = {
  1: VALUE_TYPE, 2: SAMPLE, 3: MAPPING, 4: LOCATION, 5: FUNCTION, 6: 'bytes',
  7: 'varint', 8: 'varint', 9: 'varint', 10: 'varint', 11: VALUE_TYPE, 12: 'varint',
  13: 'packed', 14: 'varint', 15: 'varint',
};

/** Returns '' when `buf` is a well-formed Profile message, else the first problem found. */
export function checkProfileWire(buf: Uint8Array): string {
  return checkMessage(buf, 0, buf.length, PROFILE, 'profile');
}

// Returns the offset just past the varint starting at `pos`, or -1 when it runs past `end` or
// is longer than 10 bytes.
function skipVarint(buf: Uint8Array, pos: number, end: number): number {
  const limit = Math.min(end, pos + 10);
  for (let i = pos; i < limit; i++) {
    if (buf[i] < 0x80) return i + 1;
  }
  return -1;
}

/** A length varint at `pos`: [value, offset past it], or [-1, -1] when it runs past `end` or over 10 bytes. */
export function readLength(buf: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < end && i < pos + 10; i++) {
    const b = buf[i];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return [value, i + 1];
  }
  return [-1, -1];
}

function checkMessage(buf: Uint8Array, start: number, end: number, schema: Schema, what: string): string {
  let pos = start;
  while (pos < end) {
    const tag = buf[pos];
    const field = tag >> 3;
    const wireType = tag & 7;
    // pprof-format reads one-byte tags only; profile.proto's field numbers are all below 16.
    if (tag >= 0x80 || field === 0) return `bad field tag 0x${tag.toString(16)} in ${what} at byte ${pos}`;
    pos++;
    const kind = schema[field];
    if (wireType === 0) {
      if (kind !== undefined && kind !== 'varint' && kind !== 'packed') {
        return `field ${field} of ${what} has the wrong wire type at byte ${pos - 1}`;
      }
      const next = skipVarint(buf, pos, end);
      if (next < 0) return `bad or truncated varint in ${what} at byte ${pos}`;
      pos = next;
    } else if (wireType === 2) {
      if (kind === 'varint') return `field ${field} of ${what} has the wrong wire type at byte ${pos - 1}`;
      const [length, next] = readLength(buf, pos, end);
      if (next < 0) return `bad or truncated length in ${what} at byte ${pos}`;
      if (length > end - next) return `${what} field ${field} runs past the end of the data (truncated?)`;
      pos = next + length;
      if (kind === 'packed') {
        for (let p = next; p < pos; ) {
          const after = skipVarint(buf, p, pos);
          if (after < 0) return `bad packed varint in ${what} at byte ${p}`;
          p = after;
        }
      } else if (kind !== undefined && kind !== 'bytes') {
        const problem = checkMessage(buf, next, pos, kind, `${what}.${field}`);
        if (problem) return problem;
      }
    } else {
      return `unsupported wire type ${wireType} in ${what} at byte ${pos - 1}`;
    }
  }
  return '';
}
