// The checksum-database client's checks, on a tree built here (RFC 6962 hashes computed independently, tiles of
// height 8, a tree head signed with a fresh Ed25519 key): a record in the tree is proven, a changed record, a
// changed tile, an unsigned or wrongly signed head are refused. The real database is exercised by
// test/integration/sourceFetch.test.ts.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import { lookupZipHash, parseGoSumDb, parseVerifierKey, proveRecord, SUM_GOLANG_ORG_KEY, tilePath, type Verifier } from '../../src/source/sumdb.ts';

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leaf = (d: Buffer) => sha(Buffer.from([0]), d);
const node = (l: Buffer, r: Buffer) => sha(Buffer.from([1]), l, r);

/** RFC 6962 MTH, recursively: the reference the tiles-based proof must agree with. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return node(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function record(i: number): Buffer {
  return Buffer.from(`example.com/m${i} v1.0.${i} h1:${sha(Buffer.from(String(i))).toString('base64')}\nexample.com/m${i} v1.0.${i}/go.mod h1:${sha(Buffer.from('mod' + i)).toString('base64')}\n`);
}

/** A tree of n records and a tile server for it (full and partial tiles of height 8). */
function tree(n: number) {
  const records = Array.from({ length: n }, (_, i) => record(i));
  const levels: Buffer[][] = [records.map(leaf)];
  for (let h = 1; 2 ** h <= n; h++) {
    const prev = levels[h - 1];
    levels.push(Array.from({ length: Math.floor(prev.length / 2) }, (_, j) => node(prev[2 * j], prev[2 * j + 1])));
  }
  const tiles = new Map<string, Buffer>();
  for (let L = 0; 8 * L < levels.length; L++) {
    const hs = levels[8 * L];
    for (let t = 0; t * 256 < hs.length; t++) {
      const w = Math.min(256, hs.length - t * 256);
      tiles.set(tilePath(L, t, w), Buffer.concat(hs.slice(t * 256, t * 256 + w)));
    }
  }
  return { records, root: mth(levels[0]), tiles };
}

function signer(name: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  const keyBytes = Buffer.concat([Buffer.from([1]), raw]);
  const hash = sha(Buffer.from(name + '\n'), keyBytes).readUInt32BE(0);
  const vkey = `${name}+${hash.toString(16).padStart(8, '0')}+${keyBytes.toString('base64')}`;
  const note = (text: string) => {
    const sig = Buffer.concat([Buffer.alloc(4), sign(null, Buffer.from(text), privateKey)]);
    sig.writeUInt32BE(hash, 0);
    return `${text}\n\u2014 ${name} ${sig.toString('base64')}\n`;
  };
  return { vkey, verifier: parseVerifierKey(vkey), note };
}

function server(t: ReturnType<typeof tree>, s: ReturnType<typeof signer>, n: number, override: Partial<{ record: Buffer; tile: [string, Buffer] }> = {}) {
  return async (p: string): Promise<Buffer | undefined> => {
    if (override.tile && p === override.tile[0]) return override.tile[1];
    const m = /^lookup\/example\.com\/m(\d+)@v1\.0\.\d+$/.exec(p);
    if (m) {
      const i = Number(m[1]);
      const head = s.note(`go.sum database tree\n${n}\n${t.root.toString('base64')}\n`);
      return Buffer.from(`${i}\n${(override.record ?? t.records[i]).toString()}\n${head}`);
    }
    return t.tiles.get(p);
  };
}

test('tile paths are the go command\'s', () => {
  assert.equal(tilePath(0, 1234067, 256), 'tile/8/0/x001/x234/067');
  assert.equal(tilePath(1, 5, 19), 'tile/8/1/005.p/19');
  assert.equal(tilePath(2, 0, 256), 'tile/8/2/000');
});

test('the built-in sum.golang.org key parses; GOSUMDB forms', () => {
  assert.equal(parseVerifierKey(SUM_GOLANG_ORG_KEY).name, 'sum.golang.org');
  const db = parseGoSumDb('sum.golang.org');
  assert.ok(db !== 'off' && db.verifier.name === 'sum.golang.org' && db.url === undefined);
  assert.equal(parseGoSumDb('off'), 'off');
  const own = signer('sum.example.com');
  const withUrl = parseGoSumDb(`${own.vkey} https://sum.example.com/`);
  assert.ok(withUrl !== 'off' && withUrl.url === 'https://sum.example.com');
  assert.throws(() => parseGoSumDb('sum.example.com'), /without its key/);
  assert.throws(() => parseVerifierKey(own.vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')), /wrong key hash/);
});

for (const n of [1, 2, 3, 255, 256, 257, 5000, 65536 + 300]) {
  test(`records of a tree of ${n} are proven from its tiles`, async () => {
    const t = tree(n);
    const s = signer('sum.example.com');
    for (const i of new Set([0, Math.floor(n / 2), n - 1, Math.min(n - 1, 256), Math.min(n - 1, 4999)])) {
      const h1 = (await lookupZipHash(`example.com/m${i}`, `v1.0.${i}`, s.verifier, server(t, s, n)));
      assert.equal(h1, t.records[i].toString().split('\n')[0].split(' ')[2]);
    }
  });
}

test('a changed record, a changed tile, a head signed by another key are refused', async () => {
  const n = 5000;
  const t = tree(n);
  const s = signer('sum.example.com');
  const i = 1234;
  const forged = Buffer.from(t.records[i].toString().replace(/h1:\S+/, 'h1:' + Buffer.alloc(32, 7).toString('base64')));
  await assert.rejects(lookupZipHash(`example.com/m${i}`, `v1.0.${i}`, s.verifier, server(t, s, n, { record: forged })), /not in the signed tree/);
  // A tile entry changed so the forged record would sit in it: the root no longer matches.
  const tp = tilePath(0, Math.floor(i / 256), 256);
  const tile = Buffer.from(t.tiles.get(tp)!);
  leaf(forged).copy(tile, (i % 256) * 32);
  await assert.rejects(lookupZipHash(`example.com/m${i}`, `v1.0.${i}`, s.verifier, server(t, s, n, { record: forged, tile: [tp, tile] })), /not in the signed tree/);
  const other = signer('sum.example.com');
  await assert.rejects(lookupZipHash(`example.com/m${i}`, `v1.0.${i}`, s.verifier, server(t, other, n)), /does not verify|not signed by/);
  const wrongName: Verifier = signer('sum.other.example').verifier;
  await assert.rejects(lookupZipHash(`example.com/m${i}`, `v1.0.${i}`, wrongName, server(t, s, n)), /not signed by sum\.other\.example/);
  await assert.rejects(proveRecord(n, record(0), { size: n, hash: t.root }, server(t, s, n)), /not in a tree of size/);
});
