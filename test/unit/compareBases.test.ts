// What "Compare with…" offers as a base, from a captures folder laid out as the extension saves captures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listCaptureFiles } from '../../src/views/captureFiles.ts';
import { baseCandidates, captureNameInfo } from '../../src/views/profilePanel/compareBases.ts';

test('capture names give kind and time', () => {
  assert.deepEqual(captureNameInfo('heap-2026-12-03T10-05-12Z.pb.gz'), { kind: 'heap', time: new Date('2026-12-03T10:05:12Z') });
  assert.equal(captureNameInfo('heap-2026-12-03T10-05-12Z-1.pb.gz')?.kind, 'heap');
  assert.equal(captureNameInfo('goroutine-debug2-2026-12-03T10-05-12Z.txt'), undefined);
  assert.equal(captureNameInfo('etcd.heap.pb.gz'), undefined);
});

test('bases: same kind, not the profile itself, the same pod first, newest first, with time and size', async () => {
  const root = mkdtempSync(join(tmpdir(), 'compare-bases-'));
  try {
    const put = (rel: string, bytes: number) => {
      const p = join(root, rel);
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, Buffer.alloc(bytes));
      // mtimes opposite to the names' times: the order follows the capture time in the name.
      utimesSync(p, new Date(), new Date(Date.now() - bytes * 1000));
      return p;
    };
    const me = put('sandbox/openshift-etcd/etcd-master-0/heap-2026-12-03T10-05-00Z.pb.gz', 10);
    put('sandbox/openshift-etcd/etcd-master-0/heap-2026-12-03T09-00-00Z.pb.gz', 2048);
    put('sandbox/openshift-etcd/etcd-master-0/heap-2026-12-03T10-00-00Z.pb.gz', 300);
    put('sandbox/openshift-etcd/etcd-master-0/cpu-2026-12-03T10-01-00Z.pb.gz', 20);
    put('sandbox/openshift-etcd/etcd-master-1/heap-2026-12-03T10-02-00Z.pb.gz', 40);
    put('sandbox/openshift-etcd/etcd-master-0/goroutine-debug2-2026-12-03T10-01-00Z.txt', 20);
    const got = baseCandidates(me, 'heap', await listCaptureFiles(root), root);
    assert.deepEqual(
      got.map((c) => [c.fileName, c.samePod, c.description]),
      [
        ['heap-2026-12-03T10-00-00Z.pb.gz', true, 'etcd-master-0 · 2026-12-03 10:00:00 UTC · 300 B'],
        ['heap-2026-12-03T09-00-00Z.pb.gz', true, 'etcd-master-0 · 2026-12-03 09:00:00 UTC · 2.0 KB'],
        ['heap-2026-12-03T10-02-00Z.pb.gz', false, 'etcd-master-1 · 2026-12-03 10:02:00 UTC · 40 B'],
      ],
    );
    assert.deepEqual(baseCandidates(me, 'block or mutex', await listCaptureFiles(root), root), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
