// A seeded PRNG (mulberry32) and the byte/text mutators of the fuzz tests: same seed, same inputs.
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Interesting varints and bytes for protobuf: field tags of every wire type, lengths near limits. */
const VARINTS = [0, 1, 0x7f, 0x80, 0xff, 0x3fff, 0x4000, 0x7fffffff, 0xffffffff, 2 ** 53 - 1];

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** One to four byte-level mutations: flip, set, insert, delete, duplicate a slice, truncate, splice another seed. */
export function mutateBytes(rng: Rng, input: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  let b: Buffer = Buffer.from(input);
  const rounds = 1 + rng.int(4);
  const splice = (at: number, del: number, ins: Uint8Array | number[]): Buffer =>
    Buffer.concat([b.subarray(0, at), Buffer.from(ins), b.subarray(Math.min(b.length, at + del))]);
  for (let r = 0; r < rounds; r++) {
    const at = b.length ? rng.int(b.length) : 0;
    switch (rng.int(9)) {
      case 0:
        if (b.length) b[at] ^= 1 << rng.int(8);
        break;
      case 1:
        if (b.length) b[at] = rng.pick([0, 0xff, 0x7f, 0x80, 0x0a, 0x12, 0x1a, 0x22, 0x08]);
        break;
      case 2:
        b = splice(at, 0, varint(rng.pick(VARINTS)));
        break;
      case 3:
        b = splice(at, 1 + rng.int(16), []);
        break;
      case 4: {
        const len = Math.min(b.length - at, 1 + rng.int(64));
        b = splice(rng.int(b.length + 1), 0, Buffer.from(b.subarray(at, at + len)));
        break;
      }
      case 5:
        b = b.subarray(0, at);
        break;
      case 6: {
        const o = rng.pick(others);
        if (o.length) {
          const s = rng.int(o.length);
          b = splice(at, rng.int(32), o.subarray(s, s + 1 + rng.int(128)));
        }
        break;
      }
      case 7:
        // A length-delimited field with a lying length.
        b = splice(at, 0, [(1 + rng.int(14)) * 8 + 2, ...varint(rng.pick(VARINTS))]);
        break;
      default:
        for (let i = 0, n = 1 + rng.int(8); i < n && b.length; i++) b[rng.int(b.length)] = rng.int(256);
    }
  }
  return b;
}

/** Hostile text fragments: markup, control and bidi characters, huge numbers, separators. */
export const HOSTILE_TEXT = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '\u202Egnp.exe\u202C',
  '\u2066\u2067\u2068\u2069\u200F\u200E',
  '\u0000\u0001\u0007\u001b[31m\u007f',
  '\r\n\r\n',
  '\t\t  ',
  '99999999999999999999999',
  '-1',
  '0x7fffffff',
  '%00%2e%2e/',
  '../../../../etc/passwd',
  '\uFEFF',
  '\uD800',
  '😀',
  "'\"`",
  '${LISTEN_ON_ALL_IPS}',
  ' '.repeat(2000),
  'a'.repeat(5000),
];

/** Text-level mutations: line shuffles, token inserts, truncation, and byte mutations of the UTF-8. */
export function mutateText(rng: Rng, input: string, dictionary: readonly string[], others: readonly string[]): string {
  let lines = input.split('\n');
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(lines.length + 1);
    switch (rng.int(8)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        if (lines.length) lines.splice(at, 0, lines[rng.int(lines.length)]);
        break;
      case 2: {
        const line = lines[at] ?? '';
        const pos = rng.int(line.length + 1);
        lines[Math.min(at, lines.length - 1)] = line.slice(0, pos) + rng.pick(rng.chance(0.5) ? dictionary : HOSTILE_TEXT) + line.slice(pos + rng.int(8));
        break;
      }
      case 3:
        lines = lines.slice(0, at);
        break;
      case 4: {
        const o = rng.pick(others).split('\n');
        const s = rng.int(o.length);
        lines.splice(at, 0, ...o.slice(s, s + 1 + rng.int(20)));
        break;
      }
      case 5: {
        const line = lines[at] ?? '';
        lines[Math.min(at, lines.length - 1)] = line.replace(/\d+/, () => rng.pick(['0', '-1', '99999999999999999999', '65536', 'NaN', '1e309']));
        break;
      }
      case 6:
        if (lines.length > 1) {
          const a = rng.int(lines.length);
          const b2 = rng.int(lines.length);
          [lines[a], lines[b2]] = [lines[b2], lines[a]];
        }
        break;
      default: {
        const bytes = Buffer.from(lines.join('\n'));
        return Buffer.from(mutateBytes(rng, bytes, [bytes])).toString('utf8');
      }
    }
  }
  return lines.join('\n');
}

/** A generated input: a random sequence of dictionary tokens and hostile fragments. */
export function generateText(rng: Rng, dictionary: readonly string[], maxTokens = 60): string {
  const n = 1 + rng.int(maxTokens);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.chance(0.8) ? rng.pick(dictionary) : rng.pick(HOSTILE_TEXT);
  return s;
}
