// Strings of a profile that are not valid UTF-8 (a file path with a Latin-1 byte, a label value) keep their
// bytes: each byte that Go's utf8.DecodeRune refuses becomes the lone surrogate U+DC00+byte (Python's
// "surrogateescape"), so it survives every string operation and is written back as that byte where pprof writes
// bytes (the CLI's text), or as U+FFFD where Go's encoding/json would (JSON).
import { readLength } from './wire.ts';

const ESCAPED = /[\uDC80-\uDCFF]/u;
const ESCAPED_ALL = /[\uDC80-\uDCFF]/gu;

/** Decodes UTF-8 as Go does (overlongs, surrogates and bytes past U+10FFFF are invalid), escaping invalid bytes. */
export function decodeKeepingBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    const [cp, size] = decodeRune(bytes, i);
    out += cp < 0 ? String.fromCharCode(0xdc00 + b) : String.fromCodePoint(cp);
    i += size;
  }
  return out;
}

/** One multi-byte rune at i: [code point, size], or [-1, 1] where Go's utf8.DecodeRune returns RuneError, 1. */
function decodeRune(bytes: Uint8Array, i: number): [number, number] {
  const b = bytes[i];
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < bytes.length && bytes[i + k] >= lo && bytes[i + k] <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? [((b & 0x1f) << 6) | (bytes[i + 1] & 0x3f), 2] : [-1, 1];
  if (b >= 0xe0 && b <= 0xef) {
    const lo = b === 0xe0 ? 0xa0 : 0x80;
    const hi = b === 0xed ? 0x9f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2)) return [-1, 1];
    return [((b & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f), 3];
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const lo = b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xf4 ? 0x8f : 0xbf;
    if (!cont(1, lo, hi) || !cont(2) || !cont(3)) return [-1, 1];
    return [((b & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f), 4];
  }
  return [-1, 1];
}

/** The bytes of a text whose escaped bytes (see decodeKeepingBytes) go out as themselves. */
export function encodeKeepingBytes(text: string): Buffer {
  if (!ESCAPED.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(ESCAPED_ALL)) {
    parts.push(Buffer.from(text.slice(last, m.index), 'utf8'), Buffer.of(m[0].charCodeAt(0) - 0xdc00));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** Escaped bytes as U+FFFD, one per byte, as Go's encoding/json writes invalid UTF-8. */
export function replaceEscapedBytes(text: string): string {
  return ESCAPED.test(text) ? text.replace(ESCAPED_ALL, '\uFFFD') : text;
}

/**
 * The string table with invalid UTF-8 kept as escaped bytes. pprof-format decodes each string with a lossy
 * TextDecoder but keeps each one's wire encoding (tag 6, length, bytes), which `encode()` returns; only tables
 * with a U+FFFD in them are decoded again.
 */
export function stringsKeepingBytes(table: { strings: string[]; encode(): Uint8Array }): string[] {
  const strings = table.strings;
  if (!strings.some((s) => s.includes('\uFFFD'))) return strings;
  const wire = table.encode();
  const out = strings.slice();
  let at = 0;
  for (let i = 0; i < strings.length && at < wire.length; i++) {
    const [len, start] = readLength(wire, at + 1, wire.length); // after the field tag
    if (start < 0) break;
    if (strings[i].includes('\uFFFD')) out[i] = decodeKeepingBytes(wire.subarray(start, start + len));
    at = start + len;
  }
  return out;
}
