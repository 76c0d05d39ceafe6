// The Go checksum database (sum.golang.org), checked as the go command checks it: the lookup's record must be in
// the tree whose head the database signed (Ed25519 note signed by the key of GOSUMDB), proven with the tree's
// tiles (RFC 6962 hashes, tile height 8). The hashes it yields are the only ones a downloaded zip is compared to.
// Unlike the go command this keeps no tree head between runs (no consistency proof with an earlier head).
import { createHash, createPublicKey, verify } from 'node:crypto';
import { escapePath } from './modules.ts';

/** The key the go command has built in for sum.golang.org (and its mirror sum.golang.google.cn). */
export const SUM_GOLANG_ORG_KEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
const TILE_HEIGHT = 8;

export class SumDbError extends Error {}

export interface Verifier {
  name: string;
  keyHash: number;
  publicKey: ReturnType<typeof createPublicKey>;
}

/** Parses a verifier key `name+hash+base64(0x01‖key)`. */
export function parseVerifierKey(vkey: string): Verifier {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey);
  if (!m) throw new SumDbError(`malformed checksum database key "${vkey}"`);
  const [, name, hashHex, b64] = m;
  const key = Buffer.from(b64, 'base64');
  if (key.length !== 33 || key[0] !== 1) throw new SumDbError(`checksum database key "${vkey}" is not an Ed25519 key`);
  const keyHash = createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n'), key])).digest().readUInt32BE(0);
  if (keyHash !== parseInt(hashHex, 16)) throw new SumDbError(`checksum database key "${vkey}" has a wrong key hash`);
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key.subarray(1)]);
  return { name, keyHash, publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }) };
}

/** GOSUMDB: `off`, `name`, `name+hash+key`, each optionally followed by a URL. */
export function parseGoSumDb(gosumdb: string): { verifier: Verifier; url?: string } | 'off' {
  const fields = gosumdb.trim().split(/\s+/);
  if (fields[0] === 'off') return 'off';
  let key = fields[0];
  let url = fields[1];
  if (key === 'sum.golang.org' || key === 'sum.golang.google.cn') {
    if (key === 'sum.golang.google.cn' && !url) url = 'https://sum.golang.google.cn';
    key = SUM_GOLANG_ORG_KEY;
  }
  if (!key.includes('+')) throw new SumDbError(`GOSUMDB "${gosumdb}" names an unknown database without its key`);
  return { verifier: parseVerifierKey(key), url: url?.replace(/\/+$/, '') };
}

/** The signed note's text when one of its signatures is by `v`, else an error. */
export function verifyNote(note: string, v: Verifier): string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new SumDbError('malformed signed tree head');
  const text = note.slice(0, split + 1);
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== v.name) continue;
    const sig = Buffer.from(m[2], 'base64');
    if (sig.length !== 68 || sig.readUInt32BE(0) !== v.keyHash) continue;
    if (verify(null, Buffer.from(text), v.publicKey, sig.subarray(4))) return text;
    throw new SumDbError(`the tree head's signature by ${v.name} does not verify`);
  }
  throw new SumDbError(`the tree head is not signed by ${v.name}`);
}

export interface Tree {
  size: number;
  hash: Buffer;
}

export function parseTree(text: string): Tree {
  const m = /^go\.sum database tree\n(\d+)\n([A-Za-z0-9+/=]{44})\n/.exec(text);
  if (!m) throw new SumDbError('malformed tree head');
  return { size: Number(m[1]), hash: Buffer.from(m[2], 'base64') };
}

const recordHash = (data: Buffer): Buffer => createHash('sha256').update(Buffer.from([0])).update(data).digest();
const nodeHash = (l: Buffer, r: Buffer): Buffer => createHash('sha256').update(Buffer.from([1])).update(l).update(r).digest();

export function tilePath(level: number, index: number, width: number): string {
  let n = index;
  let s = String(n % 1000).padStart(3, '0');
  while (n >= 1000) {
    n = Math.floor(n / 1000);
    s = `x${String(n % 1000).padStart(3, '0')}/${s}`;
  }
  return `tile/${TILE_HEIGHT}/${level}/${s}${width === 1 << TILE_HEIGHT ? '' : `.p/${width}`}`;
}

/** Fetches a path under the database's base URL; undefined for 404/410. */
export type SumDbGet = (path: string) => Promise<Buffer | undefined>;

/**
 * Checks that record `id` with text `data` is in the tree: the root is recomputed along the record's path from its
 * own hash, every other subtree hash read from the tiles, and compared to the signed root.
 */
export async function proveRecord(id: number, data: Buffer, tree: Tree, get: SumDbGet): Promise<void> {
  const N = tree.size;
  if (!Number.isSafeInteger(id) || id < 0 || id >= N) throw new SumDbError(`record ${id} is not in a tree of size ${N}`);
  const tiles = new Map<string, Buffer>();
  const entry = async (level: number, idx: number): Promise<Buffer> => {
    const stored = Math.floor(N / 2 ** (TILE_HEIGHT * level));
    const t = Math.floor(idx / 256);
    const width = Math.min(256, stored - t * 256);
    const p = tilePath(level, t, width);
    let tile = tiles.get(p);
    if (!tile) {
      tile = await get(p);
      if (!tile && width < 256) tile = await get(tilePath(level, t, 256));
      if (!tile || tile.length < width * 32) throw new SumDbError(`the checksum database did not serve ${p}`);
      tiles.set(p, tile);
    }
    const off = (idx - t * 256) * 32;
    return tile.subarray(off, off + 32);
  };
  // The hash of the complete subtree of 2^k records starting at record index*2^k, from the tiles.
  const stored = async (k: number, index: number): Promise<Buffer> => {
    const level = Math.floor(k / TILE_HEIGHT);
    const r = k % TILE_HEIGHT;
    let hs: Buffer[] = [];
    for (let j = 0; j < 2 ** r; j++) hs.push(await entry(level, index * 2 ** r + j));
    while (hs.length > 1) {
      const next: Buffer[] = [];
      for (let j = 0; j < hs.length; j += 2) next.push(nodeHash(hs[j], hs[j + 1]));
      hs = next;
    }
    return hs[0];
  };
  const leaf = recordHash(data);
  const subtree = async (k: number, start: number): Promise<Buffer> => {
    const size = 2 ** k;
    if (id < start || id >= start + size) return stored(k, start / size);
    if (k === 0) return leaf;
    const half = size / 2;
    return nodeHash(await subtree(k - 1, start), await subtree(k - 1, start + half));
  };
  const parts: Buffer[] = [];
  let start = 0;
  for (let k = Math.floor(Math.log2(N)) + 1; k >= 0; k--) {
    if (Math.floor(N / 2 ** k) % 2 === 1) {
      parts.push(await subtree(k, start));
      start += 2 ** k;
    }
  }
  let root = parts[parts.length - 1];
  for (let j = parts.length - 2; j >= 0; j--) root = nodeHash(parts[j], root);
  if (!root.equals(tree.hash)) throw new SumDbError(`record ${id} is not in the signed tree of size ${N} (the proof does not reach its root)`);
}

/** The zip hash (`h1:`) the checksum database holds for module@version, verified. */
export async function lookupZipHash(module: string, version: string, verifier: Verifier, get: SumDbGet): Promise<string> {
  const body = await get(`lookup/${escapePath(module)}@${escapePath(version)}`);
  if (!body) throw new SumDbError(`the checksum database has no record of ${module}@${version}`);
  const text = body.toString('utf8');
  const m = /^(\d+)\n/.exec(text);
  const end = text.indexOf('\n\n');
  if (!m || end < 0) throw new SumDbError(`malformed checksum database answer for ${module}@${version}`);
  const data = Buffer.from(text.slice(m[0].length, end + 1));
  const tree = parseTree(verifyNote(text.slice(end + 2), verifier));
  await proveRecord(Number(m[1]), data, tree, get);
  for (const line of data.toString('utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length === 3 && f[0] === module && f[1] === version && f[2].startsWith('h1:')) return f[2];
  }
  throw new SumDbError(`the checksum database's record does not hold the zip hash of ${module}@${version}`);
}
