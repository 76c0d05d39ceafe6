// Module zips are untrusted: every name must lie under module@version/, no symlink, no duplicate, no size lie;
// extraction writes read-only files inside the target folder only; the h1: hash does not depend on how the zip
// stores its entries. (That the hash equals the go command's and the checksum database's is shown by
// test/integration/sourceFetch.test.ts on real modules.)
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { checkModuleZip, extractModuleZip, readZipEntries, zipHash1, ZipError } from '../../src/source/moduleZip.ts';
import { makeZip } from '../integration/helpers/goProxy.ts';

const PREFIX = 'example.com/m@v1.0.0/';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const file = (name: string, text: string, extra: { deflate?: boolean; mode?: number } = {}) => ({ name, data: Buffer.from(text), ...extra });

test('a module zip extracts read-only under the target, the keep filter choosing files', async () => {
  const zip = makeZip(PREFIX, [file('go.mod', 'module example.com/m\n'), file('src/a/a.go', 'package a\n', { deflate: true }), file('bin/tool', 'x')]);
  const entries = readZipEntries(zip);
  const files = checkModuleZip(entries, PREFIX);
  assert.deepEqual(files.map((f) => f.rel), ['go.mod', 'src/a/a.go', 'bin/tool']);
  const dir = mkdtempSync(path.join(tmpdir(), 'ep-zip-'));
  dirs.push(dir);
  const out = path.join(dir, 'out');
  const bytes = await extractModuleZip(zip, files, out, (rel) => !rel.startsWith('bin/'));
  assert.equal(bytes, 'module example.com/m\n'.length + 'package a\n'.length);
  assert.equal(readFileSync(path.join(out, 'src/a/a.go'), 'utf8'), 'package a\n');
  assert.deepEqual(readdirSync(out).sort(), ['go.mod', 'src']);
  assert.equal(statSync(path.join(out, 'go.mod')).mode & 0o777, 0o444);
});

test('the h1: hash covers names and contents, whether entries are stored or deflated', () => {
  const a = makeZip(PREFIX, [file('go.mod', 'module example.com/m\n'), file('x.go', 'package m\n')]);
  const b = makeZip(PREFIX, [file('x.go', 'package m\n', { deflate: true }), file('go.mod', 'module example.com/m\n', { deflate: true })]);
  const c = makeZip(PREFIX, [file('go.mod', 'module example.com/m\n'), file('x.go', 'package m // changed\n')]);
  const h = (z: Buffer) => zipHash1(z, readZipEntries(z));
  assert.match(h(a), /^h1:[A-Za-z0-9+/]{43}=$/);
  assert.equal(h(a), h(b));
  assert.notEqual(h(a), h(c));
});

test('hostile zips are refused before anything is written', () => {
  const refused = (files: Parameters<typeof makeZip>[1], re: RegExp, prefix = PREFIX) =>
    assert.throws(() => checkModuleZip(readZipEntries(makeZip(prefix, files)), PREFIX), (e: Error) => e instanceof ZipError && re.test(e.message));
  refused([file('../../../../etc/cron.d/x', '')], /unsafe name/);
  refused([file('a/../../x', '')], /unsafe name/);
  refused([file('x', '')], /outside example\.com\/m@v1\.0\.0\//, 'example.com/other@v1.0.0/');
  refused([file('x', '')], /outside/, '/');
  refused([file('link', '/etc/passwd', { mode: 0o120777 })], /symbolic link/);
  refused([file('README', 'a'), file('readme', 'b')], /twice/);
  refused([file('a\\b', '')], /unsafe name/);
});

test('a zip whose sizes lie, or that is not a zip, is refused', () => {
  const zip = makeZip(PREFIX, [file('x.go', 'package m\n', { deflate: true })]);
  // The central directory's uncompressed size says 5 bytes: inflating must not give more than it claims.
  const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  zip.writeUInt32LE(5, cd + 24);
  assert.throws(() => zipHash1(zip, readZipEntries(zip)), /corrupt zip/);
  assert.throws(() => readZipEntries(Buffer.from('not a zip at all, just text that is long enough')), /not a zip file/);
});
