// The resolution order (a module's upper case encoded as the module cache does) and what a user reads when a file cannot be had: a file in the module cache is exact; a
// module proxy that cannot be reached (offline) names the module, the version and where to map the path; without
// --fetch nothing is downloaded. (Real downloads: test/integration/sourceFetch.test.ts.)
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { resolveFiles } from '../../src/source/resolveFiles.ts';
import type { SourceRoots } from '../../src/source/sourceMap.ts';
import { goFetchEnv } from './helpers/goFetchEnv.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function roots(modCache?: string): SourceRoots {
  return { workspaceFolders: [], modules: [], vendorDirs: [], modCache, rewrites: [], workspaceFiles: [] };
}

const env = (goproxy: string) => goFetchEnv({ GOPROXY: goproxy });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('the module cache first: a -trimpath dependency found there is the exact version', async () => {
  const mc = mkdtempSync(path.join(tmpdir(), 'ep-mc-'));
  dirs.push(mc);
  mkdirSync(path.join(mc, 'github.com/!burnt!sushi/toml@v1.2.1'), { recursive: true });
  writeFileSync(path.join(mc, 'github.com/!burnt!sushi/toml@v1.2.1/decode.go'), 'package toml\n');
  mkdirSync(path.join(mc, 'go.etcd.io/bbolt@v1.4.3'), { recursive: true });
  writeFileSync(path.join(mc, 'go.etcd.io/bbolt@v1.4.3/tx.go'), 'package bbolt\n');
  const [r] = await resolveFiles(['go.etcd.io/bbolt@v1.4.3/tx.go'], { roots: roots(mc) });
  assert.deepEqual(r, { file: 'go.etcd.io/bbolt@v1.4.3/tx.go', module: 'go.etcd.io/bbolt', version: 'v1.4.3', local: path.join(mc, 'go.etcd.io/bbolt@v1.4.3/tx.go'), exact: true, reason: null });
  const [upper] = await resolveFiles(['github.com/BurntSushi/toml@v1.2.1/decode.go'], { roots: roots(mc) });
  assert.equal(upper.local, path.join(mc, 'github.com/!burnt!sushi/toml@v1.2.1/decode.go'), 'the cache folder is case-encoded');
  assert.equal(upper.exact, true);
  const [off] = await resolveFiles(['go.etcd.io/raft/v3@v3.6.0/raft.go'], { roots: roots(mc) });
  assert.equal(off.local, null);
  assert.match(off.reason!, /fetching go\.etcd\.io\/raft\/v3@v3\.6\.0 is off \(--fetch\)/);
});

test('offline: one message naming the module and version, and where to map the path; nothing cached', async () => {
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'ep-offline-'));
  dirs.push(cacheDir);
  const port = await closedPort();
  const [r] = await resolveFiles(['go.etcd.io/etcd/server/v3@v3.6.16/etcdserver/server.go'], {
    roots: roots(),
    fetch: { cacheDir, env: env(`http://127.0.0.1:${port}`) },
    rewriteHint: 'etcdProfiler.sourcePathRewrites',
  });
  assert.equal(r.local, null);
  assert.match(
    r.reason!,
    new RegExp(`^go\\.etcd\\.io/etcd/server/v3@v3\\.6\\.16 could not be downloaded \\(127\\.0\\.0\\.1:${port}: ECONNREFUSED\\)\\. Offline or forbidden\\? Map go\\.etcd\\.io/etcd/server/v3@v3\\.6\\.16/etcdserver/server\\.go to a checkout with etcdProfiler\\.sourcePathRewrites\\.$`),
  );
  assert.deepEqual(readdirSync(cacheDir), []);
});
