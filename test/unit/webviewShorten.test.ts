// Shortening names and locations for the Top table: the ellipsis goes in the middle, package and method stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { middleEllipsis, shortenGoName, shortenLocation } from '../../webview/views/shorten.ts';

const upTo = (n: number) => (t: string) => t.length <= n;
const name = 'go.etcd.io/etcd/server/v3/etcdserver.(*EtcdServer).applyEntryNormal';

test('Go names keep their package and method', () => {
  assert.equal(shortenGoName(name, upTo(100)), name);
  assert.equal(shortenGoName(name, upTo(55)), 'go.etcd.io/…/etcdserver.(*EtcdServer).applyEntryNormal');
  assert.equal(shortenGoName(name, upTo(45)), 'etcdserver.(*EtcdServer).applyEntryNormal');
  const short = shortenGoName(name, upTo(36));
  assert.ok(short.length <= 36, short);
  assert.match(short, /^etcdserver\.\(\*Etc?d?.*….*\)\.applyEntryNormal$/);
  // Type arguments may hold paths: the import path ends before them.
  const generic = 'sync/atomic.(*Pointer[go.shape.struct { go.etcd.io/x/y.z int }]).Load';
  assert.match(shortenGoName(generic, upTo(40)), /^atomic\.\(.*….*\.Load$/);
  for (let n = 1; n < name.length; n++) assert.ok(shortenGoName(name, upTo(Math.max(n, 1))).length <= Math.max(n, 1), `fits ${n}`);
});

test('locations keep their file and line', () => {
  const loc = '/usr/local/go/src/net/http/server.go:2044';
  assert.equal(shortenLocation(loc, upTo(60)), loc);
  const s = shortenLocation(loc, upTo(30));
  assert.ok(s.length <= 30 && s.endsWith('/server.go:2044') && s.startsWith('/usr'), s);
  assert.equal(middleEllipsis('abcdef', upTo(1)), '…');
});
