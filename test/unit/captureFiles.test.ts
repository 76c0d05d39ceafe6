import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureTree, formatSize, listCaptureFiles, resolveCapturesFolder } from '../../src/views/captureFiles.ts';

test('captures folder: workspace, else global storage; absolute and ~ settings as given', () => {
  assert.equal(resolveCapturesFolder(undefined, '/ws', '/gs'), '/ws/.profiles');
  assert.equal(resolveCapturesFolder('', undefined, '/gs'), '/gs/.profiles');
  assert.equal(resolveCapturesFolder('out/caps', '/ws', '/gs'), '/ws/out/caps');
  assert.equal(resolveCapturesFolder('/data/caps', '/ws', '/gs'), '/data/caps');
  assert.equal(resolveCapturesFolder('~/caps', '/ws', '/gs'), join(homedir(), 'caps'));
});

test('listing: nested by context/namespace/pod, newest first, temp files of atomic saves skipped', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'caps-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.deepEqual(await listCaptureFiles(join(root, 'missing')), []);
  const pod = join(root, 'sandbox', 'openshift-etcd', 'etcd-master-0');
  mkdirSync(pod, { recursive: true });
  const older = join(pod, 'heap-2026-11-26T11-00-00Z.pb.gz');
  const newer = join(pod, 'goroutine-debug2-2026-11-26T11-05-00Z.txt');
  writeFileSync(older, Buffer.alloc(2048));
  writeFileSync(newer, 'goroutine 1 [running]:\n');
  writeFileSync(join(pod, '.heap-2026-11-26T11-06-00Z.pb.gz.123.456.tmp'), 'partial');
  utimesSync(older, new Date('2026-11-26T11:00:00Z'), new Date('2026-11-26T11:00:00Z'));
  utimesSync(newer, new Date('2026-11-26T11:05:00Z'), new Date('2026-11-26T11:05:00Z'));
  const op = join(root, 'sandbox', 'openshift-etcd-operator', 'etcd-operator-abc');
  mkdirSync(op, { recursive: true });
  writeFileSync(join(op, 'cpu-2026-11-26T10-00-00Z.pb.gz'), 'x');
  utimesSync(join(op, 'cpu-2026-11-26T10-00-00Z.pb.gz'), new Date('2026-11-26T10:00:00Z'), new Date('2026-11-26T10:00:00Z'));

  const files = await listCaptureFiles(root);
  assert.deepEqual(files.map((f) => f.segments.at(-1)), [
    'goroutine-debug2-2026-11-26T11-05-00Z.txt',
    'heap-2026-11-26T11-00-00Z.pb.gz',
    'cpu-2026-11-26T10-00-00Z.pb.gz',
  ]);
  assert.equal(files[1].size, 2048);
  assert.deepEqual(files[0].segments, ['sandbox', 'openshift-etcd', 'etcd-master-0', 'goroutine-debug2-2026-11-26T11-05-00Z.txt']);

  const tree = captureTree(files);
  assert.deepEqual(tree.folders.map((f) => f.name), ['sandbox']);
  const ns = tree.folders[0].folders;
  assert.deepEqual(ns.map((f) => f.name), ['openshift-etcd', 'openshift-etcd-operator']);
  assert.deepEqual(ns[0].folders[0].segments, ['sandbox', 'openshift-etcd', 'etcd-master-0']);
  assert.deepEqual(ns[0].folders[0].files.map((f) => f.path), [newer, older]);
});

test('formatSize', () => {
  assert.deepEqual([0, 1023, 1024, 15 * 1024, 3.5 * 1024 * 1024].map(formatSize), ['0 B', '1023 B', '1.0 KB', '15 KB', '3.5 MB']);
});
