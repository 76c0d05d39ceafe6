// Profiling bundles without a cluster: the tar writer and reader against GNU tar (the reference), unsafe names
// refused, the manifest helpers, and SUMMARY.md's figures from real captures against `go tool pprof -top`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { bundleSummaryLine, goVersionFromMetrics, hexId, parseEndpointStatus, serverHost } from '../../src/capture/bundleManifest.ts';
import { readBundle } from '../../src/capture/bundleRead.ts';
import { readTarGz, writeTarGz } from '../../src/capture/tar.ts';
import { bundleFigures, summaryMarkdown, type SummaryInput } from '../../src/profile/memberSummary.ts';
import { TOOL_VERSION } from '../../src/version.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'bundle-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string): Buffer => readFileSync(path.join(import.meta.dirname, 'testdata', name));

test('TOOL_VERSION is package.json\'s version', () => {
  const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
  assert.equal(TOOL_VERSION, pkg.version);
});

test('GNU tar lists and extracts what writeTarGz wrote, byte for byte (long names included)', () => {
  const long = `openshift-etcd/${'etcd-master-0-'.repeat(6)}x/goroutine-debug2.txt`;
  const entries = [
    { path: 'manifest.json', data: Buffer.from('{"a":1}\n') },
    { path: 'openshift-etcd/etcd-master-0/cpu.pb.gz', data: fixture('etcd.cpu.pb.gz') },
    { path: long, data: fixture('etcd.goroutine-debug2.txt') },
    { path: 'empty.txt', data: Buffer.alloc(0) },
  ];
  const file = path.join(dir, 'w.tar.gz');
  writeFileSync(file, writeTarGz(entries));
  const listed = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n');
  for (const e of entries) assert.ok(listed.includes(e.path), `${e.path} not in ${listed.join(', ')}`);
  const out = path.join(dir, 'x');
  mkdirSync(out);
  execFileSync('tar', ['-xzf', file, '-C', out]);
  for (const e of entries) assert.deepEqual(readFileSync(path.join(out, e.path)), Buffer.from(e.data), e.path);
});

test('readTarGz reads what GNU tar wrote (ustar and gnu formats, long names)', () => {
  const src = path.join(dir, 'src');
  const deep = path.join(src, 'openshift-etcd', 'p'.repeat(90));
  mkdirSync(deep, { recursive: true });
  writeFileSync(path.join(deep, 'heap.pb.gz'), fixture('etcd.heap.pb.gz'));
  writeFileSync(path.join(src, 'SUMMARY.md'), '# hi\n');
  for (const format of ['ustar', 'gnu']) {
    const file = path.join(dir, `${format}.tar.gz`);
    execFileSync('tar', ['--format', format, '-czf', file, '-C', src, '.']);
    const entries = readTarGz(readFileSync(file));
    const byPath = new Map(entries.map((e) => [e.path, e.data]));
    assert.deepEqual(Buffer.from(byPath.get(`openshift-etcd/${'p'.repeat(90)}/heap.pb.gz`)!), fixture('etcd.heap.pb.gz'), format);
    assert.equal(Buffer.from(byPath.get('SUMMARY.md')!).toString(), '# hi\n');
  }
});

test('names that leave the archive are refused, on write and on read', () => {
  assert.throws(() => writeTarGz([{ path: '../evil', data: Buffer.from('x') }]), /Unsafe path/);
  assert.throws(() => writeTarGz([{ path: '/etc/passwd', data: Buffer.from('x') }]), /Unsafe path/);
  const src = path.join(dir, 'evil', 'a');
  mkdirSync(src, { recursive: true });
  writeFileSync(path.join(dir, 'evil', 'x'), 'x');
  const file = path.join(dir, 'evil.tar.gz');
  execFileSync('tar', ['-P', '-czf', file, '-C', src, '../x']);
  assert.throws(() => readTarGz(readFileSync(file)), /Unsafe path/);
});

test('a file that is not a bundle says why', () => {
  assert.throws(() => readBundle(fixture('etcd.heap.pb.gz'), 'heap.pb.gz'), /heap\.pb\.gz is not a profiling bundle/);
  assert.throws(() => readBundle(gzipSync(Buffer.from('hello')), 'x.tar.gz'), /not a profiling bundle/);
  assert.throws(() => readBundle(writeTarGz([{ path: 'a.txt', data: Buffer.from('x') }]), 'x.tar.gz'), /no manifest\.json/);
  assert.throws(() => readBundle(writeTarGz([{ path: 'manifest.json', data: Buffer.from('{"format":"other"}') }]), 'x.tar.gz'), /not an etcd Profiler bundle manifest/);
});

test('manifest helpers: host without credentials, hex member ids, role, Go version, summary line', () => {
  assert.equal(serverHost('https://user:secret@api.example.com:6443/path?token=x'), 'api.example.com:6443');
  assert.equal(serverHost('https://10.0.0.1'), '10.0.0.1');
  assert.equal(hexId('10501334649042878790'), '91bc3c398fb3c146');
  const status = parseEndpointStatus(JSON.stringify({ header: { member_id: '10501334649042878790', raft_term: '2' }, leader: '10501334649042878790', dbSize: '20480', raftIndex: '42', raftTerm: '2' }));
  assert.equal(status.role, 'leader');
  assert.equal(status.dbSize, 20480);
  assert.equal(parseEndpointStatus(JSON.stringify({ header: { member_id: '1' }, leader: '2' })).role, 'follower');
  assert.equal(goVersionFromMetrics('# HELP go_info x\ngo_info{version="go1.24.4"} 1\n'), 'go1.24.4');
  assert.equal(bundleSummaryLine({ attempted: 3, collected: 3, failed: [] }), 'bundle: 3 of 3 items');
  assert.equal(
    bundleSummaryLine({ attempted: 3, collected: 2, failed: [{ namespace: 'n', pod: 'etcd-master-1', item: 'cpu', reason: 'dropped' }] }),
    'bundle: 2 of 3 items; failed: etcd-master-1 cpu (dropped)',
  );
});

function pprofTop(file: string, sampleIndex: string): string[] {
  const out = execFileSync('go', ['tool', 'pprof', '-top', `-sample_index=${sampleIndex}`, file], {
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local', PATH: `/usr/local/go/bin:${process.env.PATH}` },
  });
  return out.split('\n').filter((l) => /^\s*[\d.]+\w*\s+[\d.]+%/.test(l)).map((l) => l.trim().split(/\s+/).slice(5).join(' ').replace(/ \((partial-)?inline\)$/, ''));
}

test('SUMMARY.md: leader first and marked, CPU top 10 and heap top 5 as go tool pprof -top orders them, goroutines by state', () => {
  const files = new Map<string, Uint8Array>([
    ['openshift-etcd/etcd-master-0/cpu.pb.gz', fixture('etcd.cpu.pb.gz')],
    ['openshift-etcd/etcd-master-0/heap.pb.gz', fixture('etcd.heap.pb.gz')],
    ['openshift-etcd/etcd-master-0/goroutine-debug2.txt', fixture('etcd.goroutine-debug2.txt')],
    ['openshift-etcd/etcd-master-1/heap.pb.gz', fixture('operator.heap.pb.gz')],
  ]);
  const input: SummaryInput = {
    manifest: {
      cluster: { context: 'sandbox', server: '127.0.0.1:6443' },
      startedAt: '2026-12-03T10:00:00.000Z',
      seconds: 5,
      pods: [
        { namespace: 'openshift-etcd', name: 'etcd-master-1', group: 'etcd', restarts: 0, etcd: { role: 'follower', memberId: 'b' } },
        { namespace: 'openshift-etcd', name: 'etcd-master-0', group: 'etcd', restarts: 0, etcd: { role: 'leader', memberId: 'a', dbSize: 2 << 20, dbSizeInUse: 1 << 20 } },
      ],
      failed: [{ namespace: 'openshift-etcd', pod: 'etcd-master-1', item: 'cpu', reason: 'The connection dropped' }],
      skipped: [],
      collected: 4,
      attempted: 5,
    },
    files,
  };
  const figures = bundleFigures(input);
  assert.deepEqual(figures.map((f) => f.pod.name), ['etcd-master-0', 'etcd-master-1']);
  const cpuFile = path.join(dir, 'cpu.pb.gz');
  writeFileSync(cpuFile, fixture('etcd.cpu.pb.gz'));
  const heapFile = path.join(dir, 'heap.pb.gz');
  writeFileSync(heapFile, fixture('etcd.heap.pb.gz'));
  const cpu = figures[0].cpu!;
  const heap = figures[0].heap!;
  assert.ok(!('error' in cpu) && !('error' in heap));
  assert.deepEqual(cpu.top.map((r) => r.name), pprofTop(cpuFile, 'cpu').slice(0, cpu.top.length));
  assert.equal(cpu.top.length, Math.min(10, pprofTop(cpuFile, 'cpu').length));
  assert.equal(heap.sampleType, 'inuse_space');
  assert.deepEqual(heap.top.map((r) => r.name), pprofTop(heapFile, 'inuse_space').slice(0, heap.top.length));
  const md = summaryMarkdown(input);
  assert.match(md, /bundle: 4 of 5 items; 1 failed/);
  assert.match(md, /Leader: \*\*etcd-master-0\*\* \(member a\)/);
  assert.match(md, /\| openshift-etcd\/etcd-master-0 \| leader ★ \| a \|/);
  assert.match(md, /## etcd-master-0 \(leader ★\)\n\n### CPU top 10/);
  assert.match(md, /### Goroutines by state\n\n\d+ goroutines: \d+ \w/);
  assert.match(md, /- openshift-etcd\/etcd-master-1 cpu: The connection dropped/);
});

test('bundle entries as tab names and back: the pod in the name, goroutine dumps keep the Goroutine Dump pattern', async () => {
  const { entryOf, shownName } = await import('../../src/views/members/bundleNames.ts');
  assert.equal(shownName('heap.pb.gz', 'etcd-master-0'), 'heap-etcd-master-0.pb.gz');
  assert.equal(shownName('goroutine-debug2.txt', 'etcd-master-0'), 'goroutine-debug2-etcd-master-0.txt');
  assert.equal(entryOf('/openshift-etcd/etcd-master-0/heap-etcd-master-0.pb.gz'), 'openshift-etcd/etcd-master-0/heap.pb.gz');
  assert.equal(entryOf('/openshift-etcd/etcd-master-0/endpoint-status-etcd-master-0.json'), 'openshift-etcd/etcd-master-0/endpoint-status.json');
  assert.equal(entryOf('/SUMMARY.md'), 'SUMMARY.md');
  assert.equal(entryOf('/openshift-etcd/etcd-master-0/heap-etcd-master-1.pb.gz'), undefined);
  assert.equal(entryOf('/a/b'), undefined);
});

test('members view model: a bundle\'s columns, leader first and marked, compare offered for kinds two members have', async () => {
  const { bundlePayload, capturedPayload } = await import('../../src/views/members/model.ts');
  const file = (p: string, item: string, data: Buffer) => ({ path: p, namespace: 'openshift-etcd', pod: p.split('/')[1], item: item as never, size: data.length, sha256: '' });
  const heap0 = fixture('etcd.heap.pb.gz');
  const heap1 = fixture('operator.heap.pb.gz');
  const payload = bundlePayload(
    {
      manifest: {
        format: 'etcd-profiler-bundle/1', tool: { name: 'etcd-profiler', version: '0.1.0' }, startedAt: '2026-12-03T10:00:00.000Z', finishedAt: '', cluster: { context: 'sandbox', server: 'h:1' },
        seconds: 5, kinds: ['heap'], attempted: 3, collected: 2, skipped: [],
        failed: [{ namespace: 'openshift-etcd', pod: 'etcd-master-0', item: 'cpu', reason: 'dropped' }],
        pods: [
          { namespace: 'openshift-etcd', name: 'etcd-master-0', group: 'etcd', containers: [{ name: 'etcd', image: 'etcd:3.6', restartCount: 0 }], restarts: 0, etcd: { role: 'follower', memberId: 'b' } },
          { namespace: 'openshift-etcd', name: 'etcd-master-1', group: 'etcd', containers: [{ name: 'etcd', image: 'etcd:3.6', restartCount: 0 }], restarts: 0, etcd: { role: 'leader', memberId: 'a', dbSize: 20480, dbSizeInUse: 16384 } },
        ],
        files: [file('openshift-etcd/etcd-master-0/heap.pb.gz', 'heap', heap0), file('openshift-etcd/etcd-master-1/heap.pb.gz', 'heap', heap1)],
      },
      files: new Map([['openshift-etcd/etcd-master-0/heap.pb.gz', heap0], ['openshift-etcd/etcd-master-1/heap.pb.gz', heap1]]),
    },
    'b.tar.gz',
  );
  assert.deepEqual(payload.members.map((m) => [m.pod, m.role]), [['etcd-master-1', 'leader'], ['etcd-master-0', 'follower']]);
  assert.equal(payload.members[0].facts.find((f) => f.label === 'Role')?.value, 'leader ★');
  assert.equal(payload.members[0].facts.find((f) => f.label === 'DB size (in use)')?.value, '20kB (16kB)');
  assert.deepEqual(payload.compareItems, ['heap']);
  assert.equal(payload.summaryLine, 'bundle: 2 of 3 items; failed: etcd-master-0 cpu (dropped)');
  assert.deepEqual(payload.problems, ['failed: etcd-master-0 cpu — dropped']);
  assert.equal(payload.members[1].sections[0].title, 'Heap in use: top 5');
  assert.equal(payload.members[1].sections[0].rows.length, 5);

  const captured = capturedPayload({ id: 'heap', label: 'Heap', format: 'profile' }, [
    { namespace: 'openshift-etcd', pod: 'etcd-master-0', role: 'follower', file: { id: '/x/heap-0.pb.gz', name: 'heap-0.pb.gz', bytes: heap0, size: heap0.length } },
    { namespace: 'openshift-etcd', pod: 'etcd-master-2', role: 'unknown', error: 'The connection dropped' },
    { namespace: 'openshift-etcd', pod: 'etcd-master-1', role: 'leader', file: { id: '/x/heap-1.pb.gz', name: 'heap-1.pb.gz', bytes: heap1, size: heap1.length } },
  ], 'sandbox', new Date('2026-12-03T09:07:00Z'));
  assert.deepEqual(captured.members.map((m) => m.pod), ['etcd-master-1', 'etcd-master-0', 'etcd-master-2']);
  assert.equal(captured.summaryLine, '2 of 3 members captured');
  assert.match(captured.members[0].facts.find((f) => f.label === 'Total')!.value, /B inuse_space$/);
  assert.equal(captured.members[2].facts.find((f) => f.label === 'Total')!.value, 'failed: The connection dropped');
  assert.deepEqual(captured.compareItems, ['heap']);
});
