// The fast path of decoding: a large profile is almost all Sample messages (a 200k-sample heap
// profile holds millions of location ids), which pprof-format decodes object by object with a
// sub-buffer per field. This reads the samples straight from the bytes, checking the wire format
// as it goes, and returns the rest of the message for pprof-format to decode.

/**
 * The samples in columns: sample i has location ids ids[idStart[i] .. idStart[i+1]) and values
 * values[valueStart[i] .. valueStart[i+1]); its labels are the quadruples (key, str, num, numUnit)
 * labelPool[4*labelStart[i] .. 4*labelStart[i+1]) with string indices. No object per sample, so
 * millions of ids cost the garbage collector nothing.
 */
export interface RawSamples {
  count: number;
  idStart: Int32Array;
  ids: Int32Array;
  valueStart: Int32Array;
  values: Float64Array;
  labelStart: Int32Array;
  labelPool: Float64Array;
}

export interface SplitProfile {
  samples: RawSamples;
  /** The profile message without its samples. */
  rest: Uint8Array;
}

/**
 * Thrown for malformed wire data; decode.ts turns it into a ProfileError. Not an Error subclass:
 * it never escapes the decoder, and damaged files need no stack trace captured.
 */
export class WireError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

let pos = 0;

// An unsigned varint of up to 10 bytes. Values above 2^53 lose precision here; readSigned
// re-reads those exactly.
function readVarint(buf: Uint8Array, end: number): number {
  if (pos >= end) throw new WireError('truncated varint');
  let b = buf[pos++];
  if (b < 0x80) return b;
  let result = b & 0x7f;
  let shift = 7;
  for (let i = 1; i < 4; i++) {
    if (pos >= end) throw new WireError('truncated varint');
    b = buf[pos++];
    result |= (b & 0x7f) << shift;
    if (b < 0x80) return result;
    shift += 7;
  }
  let mul = 2 ** 28;
  for (let i = 4; i < 10; i++) {
    if (pos >= end) throw new WireError('truncated varint');
    b = buf[pos++];
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result;
    mul *= 128;
  }
  throw new WireError('varint longer than 10 bytes');
}

// A varint read as int64 two's complement, exactly; throws when it does not fit a double exactly.
function readSigned(buf: Uint8Array, end: number): number {
  const start = pos;
  const v = readVarint(buf, end);
  if (v <= Number.MAX_SAFE_INTEGER) return v;
  let big = 0n;
  for (let i = pos - 1; i >= start; i--) big = (big << 7n) | BigInt(buf[i] & 0x7f);
  const s = BigInt.asIntN(64, big);
  if (s > BigInt(Number.MAX_SAFE_INTEGER) || s < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new WireError(`sample value ${s} is too large to represent exactly`);
  }
  return Number(s);
}

function readLength(buf: Uint8Array, end: number): number {
  const n = readVarint(buf, end);
  if (n > end - pos) throw new WireError('a field runs past the end of the data (truncated?)');
  return n;
}

function skipField(buf: Uint8Array, end: number, wireType: number): void {
  if (wireType === 0) readVarint(buf, end);
  else if (wireType === 2) {
    const n = readLength(buf, end); // (not `pos += readLength()`: that would add to the old pos)
    pos += n;
  }
  else throw new WireError(`unsupported wire type ${wireType}`);
}

// Growable pools the samples' ids and values are appended to.
let idPool = new Int32Array(0);
let idCount = 0;
let valuePool = new Float64Array(0);
let valueCount = 0;

function pushId(v: number): void {
  if (idCount === idPool.length) {
    const next = new Int32Array(Math.max(1024, idPool.length * 2));
    next.set(idPool);
    idPool = next;
  }
  // Ids beyond int32 cannot index a location array; -1 makes them "missing" later.
  idPool[idCount++] = v <= 0x7fffffff ? v : -1;
}

function pushValue(v: number): void {
  if (valueCount === valuePool.length) {
    const next = new Float64Array(Math.max(1024, valuePool.length * 2));
    next.set(valuePool);
    valuePool = next;
  }
  valuePool[valueCount++] = v;
}

function readIds(buf: Uint8Array, end: number, wireType: number): void {
  if (wireType === 0) {
    pushId(readVarint(buf, end));
  } else if (wireType === 2) {
    const n = readLength(buf, end);
    const stop = pos + n;
    // Mostly one or two bytes each, read inline.
    let p = pos;
    while (p < stop) {
      const b0 = buf[p];
      if (b0 < 0x80) {
        pushId(b0);
        p++;
      } else if (p + 1 < stop && buf[p + 1] < 0x80) {
        pushId((b0 & 0x7f) | (buf[p + 1] << 7));
        p += 2;
      } else {
        pos = p;
        pushId(readVarint(buf, stop));
        p = pos;
      }
    }
    pos = p;
  } else {
    throw new WireError(`sample field has unsupported wire type ${wireType}`);
  }
}

function readValues(buf: Uint8Array, end: number, wireType: number): void {
  if (wireType === 0) {
    pushValue(readSigned(buf, end));
  } else if (wireType === 2) {
    const n = readLength(buf, end);
    const stop = pos + n;
    while (pos < stop) pushValue(readSigned(buf, stop));
  } else {
    throw new WireError(`sample field has unsupported wire type ${wireType}`);
  }
}

let labelPool = new Float64Array(0);
let labelCount = 0;

function readLabel(buf: Uint8Array, end: number): void {
  let key = 0;
  let str = 0;
  let num = 0;
  let numUnit = 0;
  while (pos < end) {
    const tag = buf[pos++];
    const field = tag >> 3;
    const wireType = tag & 7;
    if (tag >= 0x80 || field === 0) throw new WireError(`bad field tag 0x${tag.toString(16)} in a label`);
    if (wireType !== 0) {
      skipField(buf, end, wireType);
      continue;
    }
    if (field === 3) {
      num = readSigned(buf, end);
      continue;
    }
    const v = readVarint(buf, end);
    if (field === 1) key = v;
    else if (field === 2) str = v;
    else if (field === 4) numUnit = v;
  }
  if (labelPool.length < 4 * (labelCount + 1)) {
    const next = new Float64Array(Math.max(64, labelPool.length * 2));
    next.set(labelPool);
    labelPool = next;
  }
  const at = 4 * labelCount++;
  labelPool[at] = key;
  labelPool[at + 1] = str;
  labelPool[at + 2] = num;
  labelPool[at + 3] = numUnit;
}

// Growable int32 list.
class Int32List {
  data = new Int32Array(64);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** Decodes the Sample fields of a Profile message and returns them with the remaining bytes. */
export function splitSamples(buf: Uint8Array): SplitProfile {
  const idStarts = new Int32List();
  const valueStarts = new Int32List();
  const labelStarts = new Int32List();
  const keep: [number, number][] = [];
  let kept = 0;
  pos = 0;
  idPool = new Int32Array(Math.min(1 << 20, Math.max(64, buf.length >> 1)));
  idCount = 0;
  valuePool = new Float64Array(Math.min(1 << 18, Math.max(64, buf.length >> 3)));
  valueCount = 0;
  labelPool = new Float64Array(64);
  labelCount = 0;
  const end = buf.length;
  try {
    while (pos < end) {
      const start = pos;
      const tag = buf[pos++];
      if (tag === 0x12) {
        // field 2 (sample), length-delimited: the hot path, with the packed ids read inline.
        const length = readLength(buf, end);
        const stop = pos + length;
        idStarts.push(idCount);
        valueStarts.push(valueCount);
        labelStarts.push(labelCount);
        while (pos < stop) {
          const t = buf[pos++];
          if (t === 0x0a) {
            const n = readLength(buf, stop);
            let p = pos;
            const idsEnd = p + n;
            let pool = idPool;
            let count = idCount;
            if (pool.length - count < n) {
              const next = new Int32Array(Math.max(pool.length * 2, count + n));
              next.set(pool);
              pool = idPool = next;
            }
            while (p < idsEnd) {
              const b0 = buf[p];
              if (b0 < 0x80) {
                pool[count++] = b0;
                p++;
              } else if (p + 1 < idsEnd && buf[p + 1] < 0x80) {
                pool[count++] = (b0 & 0x7f) | (buf[p + 1] << 7);
                p += 2;
              } else {
                pos = p;
                const v = readVarint(buf, idsEnd);
                pool[count++] = v <= 0x7fffffff ? v : -1;
                p = pos;
              }
            }
            idCount = count;
            pos = p;
          } else {
            const field = t >> 3;
            const wireType = t & 7;
            if (t >= 0x80 || field === 0) throw new WireError(`bad field tag 0x${t.toString(16)} in a sample`);
            if (field === 1) readIds(buf, stop, wireType);
            else if (field === 2) readValues(buf, stop, wireType);
            else if (field === 3 && wireType === 2) {
              const n = readLength(buf, stop);
              const labelEnd = pos + n;
              readLabel(buf, labelEnd);
              pos = labelEnd;
            } else skipField(buf, stop, wireType);
          }
        }
        continue;
      }
      const field = tag >> 3;
      const wireType = tag & 7;
      if (tag >= 0x80 || field === 0) throw new WireError(`bad field tag 0x${tag.toString(16)} at byte ${start}`);
      if (field === 2) throw new WireError(`sample field has wire type ${wireType}`);
      skipField(buf, end, wireType);
      const last = keep[keep.length - 1];
      if (last && last[1] === start) last[1] = pos;
      else keep.push([start, pos]);
      kept += pos - start;
    }
    const count = idStarts.length;
    idStarts.push(idCount);
    valueStarts.push(valueCount);
    labelStarts.push(labelCount);
    const samples: RawSamples = {
      count,
      idStart: idStarts.done(),
      ids: idPool.subarray(0, idCount),
      valueStart: valueStarts.done(),
      values: valuePool.subarray(0, valueCount),
      labelStart: labelStarts.done(),
      labelPool: labelPool.subarray(0, 4 * labelCount),
    };
    const rest = new Uint8Array(kept);
    let at = 0;
    for (const [a, b] of keep) {
      rest.set(buf.subarray(a, b), at);
      at += b - a;
    }
    return { samples, rest };
  } finally {
    // Do not keep the pools alive through module state.
    idPool = new Int32Array(0);
    valuePool = new Float64Array(0);
    labelPool = new Float64Array(0);
  }
}
