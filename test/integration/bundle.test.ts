// `etcd-profiler bundle` as a user runs it, on the sandbox: three members and the operator in one .tar.gz within
// the CPU seconds + 20 s; every profile read by `go tool pprof -raw`; every file's size and sha256 as the manifest
// says; exactly one leader; no byte of any etcd private key anywhere in the archive (compressed or not).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { BundleManifest } from '../../src/capture/bundleManifest.ts';
import { etcdKeys, filesUnder, findKeyBytes, keyNeedles } from './helpers/keys.ts';
import { adminConfig, etcdPodNames, operatorPodName, REPO, sandboxInfo, SANDBOX_DIR } from './helpers/sandbox.ts';

const info = sandboxInfo();
let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ep-bundle-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO, 'src/cli.ts'), ...args], { cwd: dir, timeout: 180_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const go = (args: string[]): string =>
  execFileSync('/usr/local/go/bin/go', args, { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' }, maxBuffer: 256 << 20 });

test('bundle --seconds 5: three members and the operator, within 5 + 20 s, verified file by file', { timeout: 180_000 }, async () => {
  const out = path.join(dir, 'case.tar.gz');
  const r = await cli(['bundle', '--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '--seconds', '5', '-o', out]);
  console.log(`bundle took ${r.ms} ms; stderr tail:\n${r.stderr.split('\n').slice(-4).join('\n')}`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), out);

  const x = path.join(dir, 'x');
  mkdirSync(x);
  execFileSync('tar', ['-xzf', out, '-C', x]);
  const manifest = JSON.parse(readFileSync(path.join(x, 'manifest.json'), 'utf8')) as BundleManifest;
  assert.match(r.stderr, new RegExp(`^bundle: ${manifest.collected} of ${manifest.attempted} items$`, 'm'));
  assert.deepEqual(manifest.failed, [], JSON.stringify(manifest.failed));
  assert.equal(manifest.collected, manifest.attempted);
  assert.equal(manifest.cluster.context, 'sandbox');
  assert.match(manifest.cluster.server, /^127\.0\.0\.1:\d+$/);

  // Who is in it.
  const members = etcdPodNames(info);
  const operator = operatorPodName(info);
  assert.deepEqual(manifest.pods.map((p) => p.name).sort(), [...members, operator].sort());
  const leaders = manifest.pods.filter((p) => p.etcd?.role === 'leader');
  assert.equal(leaders.length, 1, `leaders: ${leaders.map((p) => p.name).join(', ')}`);
  const etcdPods = manifest.pods.filter((p) => p.group === 'etcd');
  assert.equal(etcdPods.filter((p) => p.etcd?.role === 'follower').length, 2);
  assert.equal(new Set(etcdPods.map((p) => p.etcd?.memberId)).size, 3);
  for (const p of etcdPods) {
    assert.match(p.etcd?.version ?? '', /^3\.6\.\d+$/, p.name);
    assert.match(p.goVersion ?? '', /^go1\.\d+/, p.name);
    assert.ok((p.etcd?.dbSize ?? 0) > 0, `${p.name} db size`);
    assert.ok(p.node && p.containers.length > 0 && p.containers.every((c) => c.image), p.name);
    // Everyone agrees on the leader.
    assert.equal(p.etcd?.leaderId, leaders[0].etcd?.memberId);
  }

  // Every file: present, size and sha256 as the manifest says, nothing unlisted.
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const f of manifest.files) {
    const data = readFileSync(path.join(x, f.path));
    assert.equal(data.length, f.size, f.path);
    assert.equal(createHash('sha256').update(data).digest('hex'), f.sha256, f.path);
  }
  const onDisk = filesUnder(x).map((f) => path.relative(x, f)).filter((f) => f !== 'manifest.json');
  assert.deepEqual(onDisk.sort(), [...listed].sort());

  // The layout: per member profiles, dumps, version, metrics, endpoint status; the operator's log head.
  for (const m of members) {
    for (const name of ['cpu.pb.gz', 'heap.pb.gz', 'allocs.pb.gz', 'goroutine-debug1.txt', 'goroutine-debug2.txt', 'version.json', 'metrics.txt', 'endpoint-status.json']) {
      assert.ok(listed.has(`openshift-etcd/${m}/${name}`), `${m}/${name}`);
    }
  }
  for (const name of ['cpu.pb.gz', 'heap.pb.gz', 'goroutine-debug2.txt', 'log-head.txt']) assert.ok(listed.has(`openshift-etcd-operator/${operator}/${name}`), name);
  // Block and mutex are off in etcd (the index counts 0): skipped with the reason, not failed.
  for (const s of manifest.skipped) assert.match(s.reason, /profiling is off/);

  // Every profile is read by go tool pprof.
  const profiles = [...listed].filter((p) => p.endsWith('.pb.gz'));
  assert.ok(profiles.length >= 4 * 3, `profiles: ${profiles.join(', ')}`);
  for (const p of profiles) {
    const raw = go(['tool', 'pprof', '-raw', path.join(x, p)]);
    assert.match(raw, /PeriodType: /, p);
  }
  const summary = readFileSync(path.join(x, 'SUMMARY.md'), 'utf8');
  assert.match(summary, new RegExp(`Leader: \\*\\*${leaders[0].name}\\*\\*`));
  for (const m of members) assert.match(summary, new RegExp(`## ${m} \\((leader ★|follower)\\)\\n\\n### CPU top 10`));

  // No private key byte in the archive, compressed or not, nor in any file of it.
  const needles = (await etcdKeys(adminConfig())).flatMap(keyNeedles);
  assert.ok(needles.length > 0);
  const gz = readFileSync(out);
  const hits = findKeyBytes([[out, gz], [`${out} (unpacked tar)`, gunzipSync(gz)], ...filesUnder(x).map((f): [string, Buffer] => [f, readFileSync(f)])], needles);
  assert.deepEqual(hits, []);
  assert.ok(statSync(out).size > 0);
  // Last, so a slow run still shows whether the content is right.
  assert.ok(r.ms <= 25_000, `took ${r.ms} ms, more than 5 + 20 s`);
});

test('bundle with a bad flag or kind: exit 1 with the reason, no file', async () => {
  const out = path.join(dir, 'bad.tar.gz');
  const r = await cli(['bundle', '--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '--kinds', 'cpu,bogus', '-o', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^etcd-profiler bundle: --kinds: unknown bogus; known: /m);
  assert.throws(() => statSync(out));
});

test('cancel during the CPU profiles: cancelled, no file, no temp file left', { timeout: 60_000 }, async () => {
  const { collectBundle } = await import('../../src/capture/bundle.ts');
  const { CaptureError } = await import('../../src/capture/validate.ts');
  const folder = path.join(dir, 'cancel');
  mkdirSync(folder);
  const ac = new AbortController();
  const p = collectBundle({
    kubeConfig: adminConfig(),
    output: path.join(folder, 'c.tar.gz'),
    seconds: 10,
    toolVersion: 'test',
    signal: ac.signal,
    onProgress: (x) => {
      if (/CPU profile \d+ s left/.test(x.status)) setTimeout(() => ac.abort(), 500);
    },
  });
  const err = await p.then(
    () => assert.fail('expected cancel'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CaptureError && err.code === 'cancelled', String(err));
  assert.match((err as Error).message, /nothing saved/);
  assert.deepEqual(filesUnder(folder), []);
});
