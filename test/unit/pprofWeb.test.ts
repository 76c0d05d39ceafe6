// `go tool pprof -http` behind *Open in go tool pprof*: the real Go 1.26 pprof on a committed real capture serves
// its UI (graph, top, source views) on the port we chose, and stop() ends the process. Without `go` on PATH the
// error says so and names the alternative.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { findGo, GoNotFoundError, startPprofWeb } from '../../src/capture/pprofWeb.ts';

function hasDot(): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && existsSync(path.join(d, 'dot')));
}

const GO = [process.env.GO, '/usr/local/go/bin/go', findGo()].find((p) => p) as string;
const CPU = path.join(import.meta.dirname, 'testdata', 'etcd.cpu.pb.gz');

function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('pprof web UI on a real etcd CPU profile: graph and top pages answer; stop() kills the process', async () => {
  const s = await startPprofWeb({ source: CPU, goBinary: GO, env: { GOTOOLCHAIN: 'local' } });
  const pid = s.pid!;
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/ui\/$/);
    // Go 1.26's pprof opens on its flame graph.
    const index = await get(s.port, '/ui/');
    assert.equal(index.status, 301);
    const flame = await get(s.port, '/ui/flamegraph');
    assert.equal(flame.status, 200);
    assert.match(flame.body, /<title>etcd-v3\.6\.\d+ cpu<\/title>/);
    // The graph view runs Graphviz's `dot`; without it pprof says what to install.
    const graph = await get(s.port, '/ui/graph');
    if (hasDot()) assert.match(graph.body, /<svg/);
    else assert.equal(graph.body, 'Could not execute dot; may need to install graphviz.\n');
    const top = await get(s.port, '/ui/top');
    assert.equal(top.status, 200);
    assert.match(top.body, /go\.etcd\.io\/etcd/);
  } finally {
    await s.stop();
  }
  assert.equal(s.running, false);
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
  await assert.rejects(get(s.port, '/ui/'), /ECONNREFUSED/);
});

test('pprof exiting before its UI is up reports pprof\'s own words', async () => {
  await assert.rejects(
    startPprofWeb({ source: path.join(import.meta.dirname, 'testdata', 'README.md'), goBinary: GO, env: { GOTOOLCHAIN: 'local' } }),
    /: go tool pprof exited \(code 2\) before its web UI came up: \S+README\.md: parsing profile: unrecognized profile format; failed to fetch any source profiles$/,
  );
});

test('no go on PATH: GoNotFoundError names the gateway alternative', async () => {
  assert.equal(findGo('/nonexistent:/also-not'), undefined);
  const saved = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    await assert.rejects(startPprofWeb({ source: CPU }), (err: unknown) => {
      assert.ok(err instanceof GoNotFoundError);
      assert.equal((err as Error).message, '`go` is not on PATH: pprof\'s web UI needs a Go toolchain (go tool pprof). Install Go, or run `go tool pprof -http=:` with the gateway URL on a machine that has it.');
      return true;
    });
  } finally {
    process.env.PATH = saved;
  }
});
