// Module zips as the module proxy serves them: read from memory (central directory, stored or deflated entries),
// hashed as the go command hashes them (dirhash `h1:`), and extracted without trusting any name in them: every
// entry must lie under `module@version/`, no `..`, no symlink, sizes bounded, nothing written outside the target.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { checkRelPath } from './modules.ts';

/** golang.org/x/mod/zip's limit on a module zip; the uncompressed total gets the same bound, twice over. */
export const MAX_ZIP_BYTES = 500 << 20;
export const MAX_UNZIPPED_BYTES = 1024 << 20;
const MAX_ENTRIES = 100_000;

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  /** Unix mode from the external attributes (0 when the zip was not made on Unix). */
  mode: number;
}

export class ZipError extends Error {}

/** The central directory of `buf`. Zip64 and multi-disk archives are refused (module zips are neither). */
export function readZipEntries(buf: Buffer): ZipEntry[] {
  if (buf.length > MAX_ZIP_BYTES) throw new ZipError(`the zip is ${buf.length} bytes, over the ${MAX_ZIP_BYTES}-byte limit of module zips`);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('not a zip file (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError('zip64 archives are not module zips');
  if (cdOffset + cdSize > eocd || count > MAX_ENTRIES) throw new ZipError('corrupt zip (central directory out of range)');
  const out: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > eocd || buf.readUInt32LE(p) !== 0x02014b50) throw new ZipError('corrupt zip (bad central directory entry)');
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const entry: ZipEntry = {
      method: buf.readUInt16LE(p + 10),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      mode: (buf.readUInt32LE(p + 38) >>> 16) & 0xffff,
      localOffset: buf.readUInt32LE(p + 42),
      name: buf.toString('utf8', p + 46, p + 46 + nameLen),
    };
    if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff || entry.localOffset === 0xffffffff) {
      throw new ZipError('zip64 entries are not module zip entries');
    }
    out.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** The bytes of one entry, checked against its recorded size. */
export function entryData(buf: Buffer, e: ZipEntry): Buffer {
  const lh = e.localOffset;
  if (lh + 30 > buf.length || buf.readUInt32LE(lh) !== 0x04034b50) throw new ZipError(`corrupt zip (no local header for ${e.name})`);
  const start = lh + 30 + buf.readUInt16LE(lh + 26) + buf.readUInt16LE(lh + 28);
  const end = start + e.compressedSize;
  if (end > buf.length) throw new ZipError(`corrupt zip (${e.name} runs past the end)`);
  const raw = buf.subarray(start, end);
  let data: Buffer;
  if (e.method === 0) data = raw;
  else if (e.method === 8) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
    } catch (err) {
      throw new ZipError(`corrupt zip (${e.name}: ${(err as Error).message})`);
    }
  } else throw new ZipError(`${e.name}: compression method ${e.method} is not used in module zips`);
  if (data.length !== e.size) throw new ZipError(`corrupt zip (${e.name} is ${data.length} bytes, recorded as ${e.size})`);
  return data;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

/**
 * Checks every entry of a module zip for `prefix` (`module@version/`): the names, no symlinks, no duplicates, the
 * total size. Returns the file entries (directories dropped) with their path inside the module.
 */
export function checkModuleZip(entries: readonly ZipEntry[], prefix: string): { entry: ZipEntry; rel: string }[] {
  const out: { entry: ZipEntry; rel: string }[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const e of entries) {
    if (!e.name.startsWith(prefix)) throw new ZipError(`the zip holds "${e.name}", outside ${prefix}`);
    if ((e.mode & S_IFMT) === S_IFLNK) throw new ZipError(`the zip holds a symbolic link, ${e.name}`);
    if (e.name.endsWith('/') || (e.mode & S_IFMT) === S_IFDIR) continue;
    const rel = e.name.slice(prefix.length);
    if (!checkRelPath(rel)) throw new ZipError(`the zip holds a file with an unsafe name, "${e.name}"`);
    const key = rel.toLowerCase();
    if (seen.has(key)) throw new ZipError(`the zip holds ${rel} twice (names differing only in case count as the same)`);
    seen.add(key);
    total += e.size;
    if (total > MAX_UNZIPPED_BYTES) throw new ZipError(`the zip unpacks to more than ${MAX_UNZIPPED_BYTES} bytes`);
    out.push({ entry: e, rel });
  }
  return out;
}

/** dirhash.Hash1 over the zip's entries, as `go mod download` records it in go.sum: `h1:` + base64 SHA-256. */
export function zipHash1(buf: Buffer, entries: readonly ZipEntry[]): string {
  const lines: string[] = [];
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.includes('\n')) throw new ZipError(`a zip entry name holds a newline`);
    lines.push(`${createHash('sha256').update(entryData(buf, e)).digest('hex')}  ${e.name}\n`);
  }
  return 'h1:' + createHash('sha256').update(lines.join('')).digest('base64');
}

/**
 * Writes the checked files under `dir` (which must not exist yet, a fresh temp folder), read-only. `keep` limits
 * which files are written (the toolchain's `src/` only), the hash having covered all.
 */
export async function extractModuleZip(buf: Buffer, files: readonly { entry: ZipEntry; rel: string }[], dir: string, keep: (rel: string) => boolean = () => true): Promise<number> {
  const root = path.resolve(dir);
  let bytes = 0;
  const made = new Set<string>();
  for (const { entry, rel } of files) {
    if (!keep(rel)) continue;
    const target = path.resolve(root, ...rel.split('/'));
    if (!target.startsWith(root + path.sep)) throw new ZipError(`"${entry.name}" would land outside the cache folder`);
    const parent = path.dirname(target);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true, mode: 0o755 });
      made.add(parent);
    }
    const data = entryData(buf, entry);
    // `wx`: never follow or replace something already there.
    await writeFile(target, data, { flag: 'wx', mode: 0o444 });
    bytes += data.length;
  }
  return bytes;
}
