// Profiling bundles on a sick cluster, faults injected for real against the sandbox:
//   an etcd member's process killed (SIGKILL) while its CPU profile runs: that item is recorded as failed with
//   its reason, every other item (the restarted member's included) is present, exit 0, the summary names it;
//   no member reachable (a user who may list pods and nothing else): exit 1 with a one-line reason, no file.
import { PRIVATE_TMP } from './helpers/leaks.ts';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BundleManifest } from '../../src/capture/bundleManifest.ts';
import { adminConfig, etcdPodNames, operatorPodName, REPO, sandboxInfo, SANDBOX_DIR } from '../integration/helpers/sandbox.ts';
import { etcdMemberPid, fault, serviceAccountWith } from './helpers/cluster.ts';

const SRC = 'bundleFaults';
const info = sandboxInfo();
const admin = adminConfig();
const out = path.join(PRIVATE_TMP, 'bundles');
mkdirSync(out, { recursive: true });
after(() => rmSync(out, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as a child process; `during` runs once stderr matches `when`. */
function bundleCli(args: string[], when?: RegExp, during?: () => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, 'src/cli.ts'), 'bundle', ...args], { cwd: out });
    let stdout = '';
    let stderr = '';
    let fired = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (when && during && !fired && when.test(stderr)) {
        fired = true;
        during();
      }
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('profiling bundle', () => {
  test('a member killed while its CPU profile runs: that item failed with its reason, every other item present, exit 0', { timeout: 240_000 }, () =>
    fault(SRC, 'bundle-member-killed-mid-cpu', async () => {
      const victim = etcdPodNames(info)[1];
      const node = info.pods.find((p) => p.name === victim)!.node;
      const file = path.join(out, 'killed.tar.gz');
      let killed = 0;
      const r = await bundleCli(
        ['--kubeconfig', path.join(SANDBOX_DIR, 'kubeconfig'), '--seconds', '10', '-o', file],
        new RegExp(`${victim}: CPU profile (10|5) s left`),
        () => {
          setTimeout(() => {
            const pid = etcdMemberPid(info.pid, node);
            assert.ok(pid, `etcd process of ${node} not found`);
            process.kill(pid, 'SIGKILL');
            killed = pid;
          }, 2000);
        },
      );
      console.log(`killed ${victim} (pid ${killed}); stderr tail:\n${r.stderr.split('\n').slice(-3).join('\n')}`);
      assert.ok(killed > 0, 'the member was not killed');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), file);
      const line = r.stderr.split('\n').find((l) => l.startsWith('bundle: '));
      assert.match(line ?? '', new RegExp(`^bundle: (\\d+) of (\\d+) items; failed: ${victim} cpu \\(`));
      const [, n, m] = /^bundle: (\d+) of (\d+)/.exec(line!)!;
      assert.equal(Number(n), Number(m) - 1);

      const x = path.join(out, 'killed');
      mkdirSync(x);
      execFileSync('tar', ['-xzf', file, '-C', x]);
      const manifest = JSON.parse(readFileSync(path.join(x, 'manifest.json'), 'utf8')) as BundleManifest;
      assert.equal(manifest.failed.length, 1, JSON.stringify(manifest.failed));
      assert.equal(manifest.failed[0].pod, victim);
      assert.equal(manifest.failed[0].item, 'cpu');
      assert.match(manifest.failed[0].reason, /restarted|dropped|deleted/);
      // Every other item of every pod, the victim's dumps and status (taken after it came back) included.
      const listed = new Set(manifest.files.map((f) => f.path));
      for (const pod of etcdPodNames(info)) {
        for (const name of ['cpu.pb.gz', 'heap.pb.gz', 'allocs.pb.gz', 'goroutine-debug1.txt', 'goroutine-debug2.txt', 'version.json', 'metrics.txt', 'endpoint-status.json']) {
          if (pod === victim && name === 'cpu.pb.gz') assert.ok(!listed.has(`openshift-etcd/${pod}/${name}`));
          else assert.ok(listed.has(`openshift-etcd/${pod}/${name}`), `${pod}/${name} missing`);
        }
      }
      assert.ok(listed.has(`openshift-etcd-operator/${operatorPodName(info)}/cpu.pb.gz`));
      for (const f of manifest.files) assert.equal(createHash('sha256').update(readFileSync(path.join(x, f.path))).digest('hex'), f.sha256, f.path);
      const v = manifest.pods.find((p) => p.name === victim)!;
      assert.ok((v.restartsAtEnd ?? 0) > v.restarts, `restart not recorded: ${JSON.stringify(v)}`);
      assert.match(readFileSync(path.join(x, 'SUMMARY.md'), 'utf8'), new RegExp(`- openshift-etcd/${victim} cpu: `));
    }));

  test('no member reachable (may list pods, nothing else): exit 1, one-line reason, no file', { timeout: 120_000 }, () =>
    fault(SRC, 'bundle-nothing-reachable', async () => {
      const sa = await serviceAccountWith(admin, 'openshift-etcd', `bundle-lister-${Date.now() % 100000}`, [
        { namespace: 'openshift-etcd', rules: [{ resources: ['pods'], verbs: ['get', 'list'] }] },
        { namespace: 'openshift-etcd-operator', rules: [{ resources: ['pods'], verbs: ['get', 'list'] }] },
      ]);
      try {
        const kc = path.join(out, 'lister.kubeconfig');
        const server = admin.getCurrentCluster()!.server;
        const ca = readFileSync(path.join(SANDBOX_DIR, 'kubeconfig'), 'utf8').match(/certificate-authority(-data)?: (\S+)/);
        assert.ok(ca, 'no CA in the sandbox kubeconfig');
        const caLine = ca[1] ? `certificate-authority-data: ${ca[2]}` : `certificate-authority: ${ca[2]}`;
        writeFileSync(kc, `apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n    server: ${server}\n    ${caLine}\nusers:\n- name: u\n  user:\n    token: ${sa.token}\ncontexts:\n- name: lister\n  context: {cluster: s, user: u}\ncurrent-context: lister\n`);
        const file = path.join(out, 'none.tar.gz');
        const r = await bundleCli(['--kubeconfig', kc, '--seconds', '2', '--kinds', 'cpu,heap', '-o', file]);
        console.log(r.stderr.split('\n').slice(-2).join('\n'));
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /^bundle: 0 of \d+ items; failed: /m);
        const last = r.stderr.trim().split('\n').pop()!;
        assert.match(last, /^etcd-profiler bundle: nothing collected, no bundle written: .*(Forbidden|forbidden|403)/);
        assert.equal(existsSync(file), false);
        assert.equal(r.stdout, '');
      } finally {
        await sa.remove();
      }
    }));
});
