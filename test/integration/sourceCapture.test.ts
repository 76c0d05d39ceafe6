// A heap capture from a sandbox etcd member (mutual TLS, through a port-forward) records what source resolution needs
// in its sidecar: the container image from the pod, etcd's version from /version, the Go version from go_info on
// /metrics (the same Go that built the sandbox's etcd binary, `go version` says which) and etcd's modules at that
// version. `etcd-profiler source --fetch` then resolves the capture with an empty module cache and no flags: every
// dependency frame at the exact version, the standard library at the recorded Go version (the local GOROOT, the
// same version here), only the sandbox wrapper's main.go left, saying to give --main-module.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { capture } from '../../src/capture/capture.ts';
import { parseCaptureMeta, sidecarPath } from '../../src/profile/captureMeta.ts';
import { classifyBuildPath } from '../../src/source/modules.ts';
import { adminConfig, etcdPodNames, sandboxInfo } from './helpers/sandbox.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cacheRoot = process.env.ETCD_PROFILER_CACHE || path.join(homedir(), '.cache/etcd-profiler');
const versions = readFileSync(path.join(repo, 'test/sandbox/versions.env'), 'utf8');
const ETCD_VERSION = /^ETCD_VERSION=v(\S+)$/m.exec(versions)![1];
const kc = adminConfig();
let work: string;

before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'ep-srccap-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('an etcd member capture carries image, etcd and Go versions; source --fetch resolves it with no flags', { timeout: 10 * 60_000 }, async (t) => {
  const pod = etcdPodNames(sandboxInfo())[0];
  const logs: string[] = [];
  const result = await capture({ kubeConfig: kc, namespace: 'openshift-etcd', pod, kind: 'heap', method: 'forward', folder: path.join(work, 'captures'), metadata: true, log: (l) => logs.push(l) });
  const side = sidecarPath(result.file);
  assert.equal(path.basename(side), `.${path.basename(result.file)}.meta.json`);
  assert.equal(statSync(side).mode & 0o777, 0o600);
  const meta = parseCaptureMeta(readFileSync(side, 'utf8'));
  const spec = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: pod, namespace: 'openshift-etcd' });
  assert.equal(meta.image, spec.spec!.containers.find((c) => c.name === result.endpoint.container)!.image);
  assert.equal(meta.etcdVersion, ETCD_VERSION, logs.join('\n'));
  const built = execFileSync('/usr/local/go/bin/go', ['version', path.join(cacheRoot, 'bin', `etcd-v${ETCD_VERSION}`)]).toString();
  assert.equal(meta.goVersion, /: (go\S+)/.exec(built)![1]);
  assert.ok(meta.mainModules?.includes(`go.etcd.io/etcd/server/v3@v${ETCD_VERSION}`), JSON.stringify(meta));

  const gomodcache = path.join(work, 'gomodcache');
  mkdirSync(gomodcache);
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GO'))),
    PATH: `/usr/local/go/bin:${path.dirname(process.execPath)}:/usr/bin:/bin`,
    GOMODCACHE: gomodcache,
    GOTOOLCHAIN: 'local',
  };
  const out = await new Promise<{ files: { file: string; module: string | null; version: string | null; local: string | null; exact: boolean; reason: string | null }[]; resolved: number; total: number }>((resolve, reject) =>
    execFile(process.execPath, [path.join(repo, 'src/cli.ts'), 'source', result.file, '--fetch', '--cache', path.join(work, 'cache'), '--json'], { env, maxBuffer: 32 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(JSON.parse(stdout)),
    ),
  );
  t.diagnostic(`${out.resolved} of ${out.total} files of ${path.basename(result.file)} resolved; sidecar ${JSON.stringify(meta)}`);
  const wrapper = out.files.filter((r) => r.file === 'sandbox/etcd/main.go');
  for (const r of wrapper) assert.match(r.reason ?? '', /--main-module PATH@VERSION/);
  assert.equal(out.resolved, out.total - wrapper.length, JSON.stringify(out.files.filter((r) => !r.local)));
  const etcd = out.files.filter((r) => r.module === 'go.etcd.io/etcd/server/v3');
  assert.ok(etcd.length > 0 && etcd.every((r) => r.exact && r.version === `v${ETCD_VERSION}`), JSON.stringify(etcd));
  const stdlib = out.files.filter((r) => classifyBuildPath(r.file).kind === 'stdlib' && r.file !== 'sandbox/etcd/main.go');
  assert.ok(stdlib.length > 0 && stdlib.every((r) => r.exact && r.local === path.join('/usr/local/go/src', r.file)), JSON.stringify(stdlib.filter((r) => !r.exact)));
  for (const r of out.files) if (classifyBuildPath(r.file).kind === 'module') assert.ok(r.exact, `${r.file}: ${r.reason}`);
});
