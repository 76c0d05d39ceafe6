import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { captureKind, capturePath, CAPTURE_KINDS } from '../../src/capture/kinds.ts';
import { captureFilePath, captureTitle, ensureCapturesFolder, parseCaptureFileName, safeSegment, saveAtomically, utcStamp } from '../../src/capture/save.ts';

test('paths and parameters of every kind', () => {
  assert.equal(capturePath(captureKind('cpu'), 10), '/debug/pprof/profile?seconds=10');
  assert.equal(capturePath(captureKind('cpu')), '/debug/pprof/profile?seconds=30');
  assert.equal(capturePath(captureKind('trace'), 5), '/debug/pprof/trace?seconds=5');
  assert.equal(capturePath(captureKind('goroutine-debug2')), '/debug/pprof/goroutine?debug=2');
  assert.equal(capturePath(captureKind('goroutine-debug1')), '/debug/pprof/goroutine?debug=1');
  assert.equal(capturePath(captureKind('heap'), 10), '/debug/pprof/heap');
  assert.deepEqual(
    CAPTURE_KINDS.map((k) => k.extension),
    ['.pb.gz', '.pb.gz', '.pb.gz', '.pb.gz', '.txt', '.txt', '.pb.gz', '.pb.gz', '.pb.gz', '.trace'],
  );
  assert.throws(() => captureKind('nope'), /Unknown capture kind "nope"/);
});

test('file layout: <folder>/<context>/<namespace>/<pod>/<kind>-<UTC>.ext, context made path-safe', () => {
  const time = new Date(Date.UTC(2026, 10, 26, 9, 5, 7, 123));
  assert.equal(utcStamp(time), '2026-11-26T09-05-07Z');
  const p = captureFilePath({ folder: '/x', context: 'default/api-c:6443/kube:admin', namespace: 'openshift-etcd', pod: 'etcd-master-0', kind: captureKind('heap'), time });
  assert.equal(p, '/x/default_api-c_6443_kube_admin/openshift-etcd/etcd-master-0/heap-2026-11-26T09-05-07Z.pb.gz');
  assert.equal(safeSegment('..'), '_');
  assert.equal(safeSegment(''), '_');
  const d = captureFilePath({ folder: '/x', context: 's', namespace: 'n', pod: 'p', kind: captureKind('goroutine-debug2'), time });
  assert.ok(d.endsWith('/goroutine-debug2-2026-11-26T09-05-07Z.txt'));
});

test('saveAtomically writes, never overwrites, leaves no temp file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ep-save-'));
  try {
    const file = path.join(dir, 'ctx', 'ns', 'pod', 'heap-2026.pb.gz');
    const a = await saveAtomically(file, Buffer.from('one'));
    const b = await saveAtomically(file, Buffer.from('two'));
    assert.equal(a, file);
    assert.equal(b, path.join(dir, 'ctx', 'ns', 'pod', 'heap-2026-1.pb.gz'));
    assert.equal(readFileSync(a, 'utf8'), 'one');
    assert.equal(readFileSync(b, 'utf8'), 'two');
    assert.deepEqual(readdirSync(path.dirname(file)).sort(), ['heap-2026-1.pb.gz', 'heap-2026.pb.gz']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed save leaves nothing behind; names in use (even directories) are skipped', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ep-save-'));
  try {
    // The parent "directory" is a file: the save fails and writes nothing.
    const blocker = path.join(dir, 'blocker');
    await saveAtomically(blocker, Buffer.from('x'));
    await assert.rejects(saveAtomically(path.join(blocker, 'a.pb.gz'), Buffer.from('y')));
    mkdirSync(path.join(dir, 'sub', 'target.txt'), { recursive: true });
    mkdirSync(path.join(dir, 'sub', 'target-1.txt'));
    const written = await saveAtomically(path.join(dir, 'sub', 'target.txt'), Buffer.from('z'));
    assert.equal(written, path.join(dir, 'sub', 'target-2.txt'));
    assert.deepEqual(readdirSync(path.join(dir, 'sub')).filter((n) => n.endsWith('.tmp')), []);
    assert.deepEqual(readdirSync(dir).sort(), ['blocker', 'sub']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('saved captures are 0600 in 0700 folders, and a captures folder the extension creates gets a .gitignore of *', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ep-save-'));
  const old = process.umask(0o022); // the usual umask: modes must not depend on it being stricter
  try {
    const root = path.join(dir, 'ws', '.profiles');
    const file = captureFilePath({ folder: root, context: 'ctx', namespace: 'openshift-etcd', pod: 'etcd-0', kind: captureKind('heap') });
    const written = await saveAtomically(file, Buffer.from('profile'), { root });
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    assert.equal(mode(written), '600');
    for (let d = path.dirname(written); d !== path.dirname(root); d = path.dirname(d)) assert.equal(mode(d), '700', d);
    assert.equal(readFileSync(path.join(root, '.gitignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).join(), '*');
    assert.equal(mode(path.join(root, '.gitignore')), '600');
    // A folder the user made is left alone: no .gitignore added, its mode kept.
    const own = path.join(dir, 'mine');
    mkdirSync(own, { mode: 0o755 });
    assert.equal(await ensureCapturesFolder(own), false);
    await saveAtomically(path.join(own, 'c', 'n', 'p', 'x.txt'), Buffer.from('d'), { root: own });
    assert.equal(existsSync(path.join(own, '.gitignore')), false);
    assert.equal(mode(own), '755');
    assert.equal(mode(path.join(own, 'c', 'n', 'p', 'x.txt')), '600');
  } finally {
    process.umask(old);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('captureTitle names kind, pod and local time; the date when not today; undefined for other files', () => {
  const time = new Date(2026, 11, 3, 9, 7, 42); // local time
  const file = captureFilePath({ folder: '/w/.profiles', context: 'ctx', namespace: 'openshift-etcd', pod: 'etcd-master-0', kind: captureKind('heap'), time });
  assert.equal(captureTitle(file, new Date(2026, 11, 3, 18, 0)), 'heap · etcd-master-0 · 09:07');
  assert.equal(captureTitle(file, new Date(2026, 11, 4, 1, 0)), 'heap · etcd-master-0 · 2026-12-03 09:07');
  const dump = captureFilePath({ folder: '/w', context: 'c', namespace: 'n', pod: 'etcd-operator-1', kind: captureKind('goroutine-debug2'), time });
  assert.equal(captureTitle(dump.replace(/\.txt$/, '-1.txt'), time), 'goroutines debug=2 · etcd-operator-1 · 09:07');
  assert.equal(captureTitle(dump.replace(/goroutine-debug2-/, 'triggered-goroutine-debug2-'), time), 'triggered goroutines debug=2 · etcd-operator-1 · 09:07');
  assert.deepEqual(parseCaptureFileName('triggered-heap-2026-12-03T09-07-42Z.pb.gz'), { kind: 'heap', time: new Date('2026-12-03T09:07:42Z'), triggered: true });
  assert.equal(captureTitle('/tmp/operator.cpu.pb.gz'), undefined);
  assert.equal(captureTitle('/tmp/x/bogus-2026-12-03T09-07-42Z.pb.gz'), undefined);
  assert.deepEqual(parseCaptureFileName('cpu-2026-12-03T09-07-42Z.pb.gz'), { kind: 'cpu', time: new Date('2026-12-03T09:07:42Z') });
});
