// A small ustar writer and reader for profiling bundles (`.tar.gz`), on node:zlib only. Writes regular files
// (with their parent directories) under names of at most 255 bytes; reads regular files back into memory,
// refusing names that would leave the archive's root (absolute, `..`, backslashes) and archives too large to
// hold. The reader treats the archive as untrusted input: every length is bounds-checked.
import { gunzipSync, gzipSync } from 'node:zlib';

export interface TarEntry {
  /** Relative path with `/` separators. */
  path: string;
  data: Uint8Array;
  /** Modification time (default: now). */
  mtime?: Date;
}

const BLOCK = 512;

/** Largest archive (decompressed) the reader accepts. */
export const MAX_TAR_BYTES = 2 * 1024 * 1024 * 1024 - 1;

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

/** Throws unless `p` is a plain relative path inside the archive. */
export function checkEntryPath(p: string): string {
  if (!p || p.startsWith('/') || p.includes('\\') || p.includes('\0') || /^[A-Za-z]:/.test(p)) throw new TarError(`Unsafe path in archive: ${JSON.stringify(p)}.`);
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || parts.some((s) => s === '..')) throw new TarError(`Unsafe path in archive: ${JSON.stringify(p)}.`);
  return parts.join('/');
}

function writeString(buf: Buffer, offset: number, length: number, s: string): void {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > length) throw new TarError(`Tar field too long: ${s}`);
  bytes.copy(buf, offset);
}

function writeOctal(buf: Buffer, offset: number, length: number, n: number): void {
  const s = Math.floor(n).toString(8).padStart(length - 1, '0');
  if (s.length > length - 1) throw new TarError(`Tar number too large: ${n}`);
  writeString(buf, offset, length, s + '\0');
}

/** Splits a name into ustar's prefix (155) and name (100) at a `/`. */
function splitName(name: string): { prefix: string; name: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { prefix, name: rest };
  }
  throw new TarError(`Name too long for a tar archive: ${name}`);
}

function header(name: string, size: number, mtime: Date, type: '0' | '5'): Buffer {
  const h = Buffer.alloc(BLOCK);
  const split = splitName(name);
  writeString(h, 0, 100, split.name);
  writeOctal(h, 100, 8, type === '5' ? 0o755 : 0o644);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, Math.floor(mtime.getTime() / 1000));
  h.fill(0x20, 148, 156); // checksum field counts as spaces
  h.write(type, 156, 'latin1');
  writeString(h, 257, 6, 'ustar\0');
  writeString(h, 263, 2, '00');
  writeString(h, 265, 32, 'root');
  writeString(h, 297, 32, 'root');
  writeString(h, 345, 155, split.prefix);
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** The uncompressed tar of `entries` (directories added before their first file). */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  const now = new Date();
  for (const e of entries) {
    const p = checkEntryPath(e.path);
    const mtime = e.mtime ?? now;
    const segments = p.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/') + '/';
      if (!dirs.has(dir)) {
        dirs.add(dir);
        parts.push(header(dir, 0, mtime, '5'));
      }
    }
    parts.push(header(p, e.data.length, mtime, '0'), Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength));
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

export function writeTarGz(entries: readonly TarEntry[]): Buffer {
  return gzipSync(writeTar(entries));
}

function readString(buf: Buffer, offset: number, length: number): string {
  const field = buf.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

function readOctal(buf: Buffer, offset: number, length: number): number {
  const s = readString(buf, offset, length).trim();
  if (!/^[0-7]*$/.test(s)) throw new TarError('Not a tar archive (bad number field).');
  return s ? parseInt(s, 8) : 0;
}

/** Regular files of an uncompressed tar, in archive order. Directories, links and extended headers are skipped. */
export function readTar(tar: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let pos = 0;
  let longName: string | undefined;
  while (pos + BLOCK <= tar.length) {
    const h = tar.subarray(pos, pos + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    if (readOctal(h, 148, 8) !== sum) throw new TarError('Not a tar archive (header checksum mismatch).');
    const size = readOctal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 0x30);
    const dataStart = pos + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > tar.length) throw new TarError('The archive is truncated.');
    const magic = readString(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? readString(h, 345, 155) : '';
    const rawName = longName ?? (prefix ? `${prefix}/${readString(h, 0, 100)}` : readString(h, 0, 100));
    longName = undefined;
    if (type === 'L') longName = tar.subarray(dataStart, dataEnd).toString('utf8').replace(/\0+$/, '');
    else if (type === '0' || type === '7') out.push({ path: checkEntryPath(rawName), data: tar.subarray(dataStart, dataEnd), mtime: new Date(readOctal(h, 136, 12) * 1000) });
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

export function readTarGz(data: Uint8Array, maxBytes = MAX_TAR_BYTES): TarEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(data, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new TarError(`The archive is larger than ${Math.round(maxBytes / 2 ** 20)} MiB unpacked.`);
    throw new TarError(`Not a .tar.gz file (${(err as Error).message}).`);
  }
  return readTar(tar);
}
