// The pprof gateway against the sandbox, used by the real Go 1.26 `go tool pprof`, curl and raw HTTP: through
// the extension's gateway core (openPprofGateway) and the `etcd-profiler gateway` CLI, to every etcd member
// (mutual TLS) and the operator (plain http). Refusals are asserted with status and body, and the gateway's
// own port-forward shows that none of them reached the member.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPprofGateway, type PprofGateway } from '../../src/capture/gateway.ts';
import { decodeProfile } from '../../src/profile/decode.ts';
import { PPROF_TMPDIR, pprof, rawRequest, run, startCliGateway, type CliGateway } from './helpers/gateway.ts';
import { etcdKeys, filesUnder, findKeyBytes, keyNeedles, readAll } from './helpers/keys.ts';
import { adminConfig, createScratchOperator, deletePod, etcdPodNames, operatorPodName, restrictedConfig, sandboxInfo, SANDBOX_DIR } from './helpers/sandbox.ts';

const info = sandboxInfo();
const admin = adminConfig();
const members = etcdPodNames(info);
const operator = operatorPodName(info);
const KUBECONFIG = path.join(SANDBOX_DIR, 'kubeconfig');
const started = Date.now();
const logs: string[] = [];
const cliOutput: string[] = [];
const tokens: string[] = [];
const gateways: PprofGateway[] = [];

const targets = [...members.map((pod) => ({ namespace: 'openshift-etcd', pod })), { namespace: 'openshift-etcd-operator', pod: operator }];

async function open(namespace: string, pod: string, extra: Partial<Parameters<typeof openPprofGateway>[0]> = {}): Promise<PprofGateway> {
  const g = await openPprofGateway({ kubeConfig: admin, namespace, pod, log: (l) => logs.push(l), ...extra });
  gateways.push(g);
  tokens.push(new URL(g.url).pathname.split('/')[1]);
  return g;
}

/** Stops a CLI gateway with SIGTERM: exit 0, and its port no longer answers. */
async function stopCli(c: CliGateway): Promise<void> {
  c.child.kill('SIGTERM');
  const code = await c.exited;
  cliOutput.push(c.stderr());
  assert.equal(code, 0, `CLI gateway exit code after SIGTERM; stderr: ${c.stderr()}`);
  await assert.rejects(rawRequest(c.port, 'GET', `/${c.token}/debug/pprof/`), /ECONNREFUSED/);
}

before(() => undefined);
after(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  rmSync(PPROF_TMPDIR, { recursive: true, force: true });
});

/** -top of heap and of a 3 s CPU profile, -raw of goroutine, curl of ?debug=2, through one gateway URL. */
async function pprofThrough(url: string, label: string, flavor: 'etcd' | 'operator'): Promise<void> {
  const heap = await pprof(['-top', `${url}heap`]);
  assert.equal(heap.code, 0, `${label} heap: ${heap.stderr}`);
  assert.match(heap.stdout, /^Type: inuse_space$/m, label);
  assert.match(heap.stdout, /^\s+flat\s+flat%\s+sum%\s+cum\s+cum%$/m, label);
  assert.match(heap.stderr, /Fetching profile over HTTP from http:\/\/127\.0\.0\.1:\d+\/[^/]+\/debug\/pprof\/heap/, label);

  const cpu = await pprof(['-top', `${url}profile?seconds=3`]);
  assert.equal(cpu.code, 0, `${label} cpu: ${cpu.stderr}`);
  assert.match(cpu.stdout, /^Type: cpu$/m, label);
  assert.match(cpu.stdout, /^Duration: 3(\.\d+)?s, Total samples = /m, label);

  const raw = await pprof(['-raw', `${url}goroutine`]);
  assert.equal(raw.code, 0, `${label} goroutine: ${raw.stderr}`);
  assert.match(raw.stdout, /^PeriodType: goroutine count$/m, label);
  assert.match(raw.stdout, /^Samples:\ngoroutine\/count$/m, label);
  assert.match(raw.stdout, flavor === 'etcd' ? /go\.etcd\.io\/etcd\/server/ : /main\./, label);

  const dump = await run('curl', ['-sS', '--fail', `${url}goroutine?debug=2`]);
  assert.equal(dump.code, 0, `${label} curl: ${dump.stderr}`);
  assert.match(dump.stdout, /^goroutine 1 \[[^\]]+\]:$/m, label);
  assert.match(dump.stdout, /\n\t\S+\.go:\d+ \+0x[0-9a-f]+\n/, label);
}

for (const t of targets) {
  const flavor = t.namespace === 'openshift-etcd' ? 'etcd' : 'operator';
  test(`${t.namespace}/${t.pod}: go tool pprof -top heap / 3 s CPU, -raw goroutine, curl ?debug=2 through the core gateway and the CLI gateway`, async () => {
    const g = await open(t.namespace, t.pod);
    assert.equal(g.method, 'forward');
    assert.equal(g.endpoint.scheme, flavor === 'etcd' ? 'https' : 'http');
    if (flavor === 'etcd') assert.match(g.tlsSource ?? '', /secret openshift-etcd\/etcd-all-certs/);
    assert.match(g.url, /^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{32}\/debug\/pprof\/$/);
    await pprofThrough(g.url, `core ${t.pod}`, flavor);
    assert.ok(g.upstreamRequests >= 4, `upstream requests ${g.upstreamRequests}`);

    const cli = await startCliGateway(['--kubeconfig', KUBECONFIG, '-n', t.namespace, t.pod]);
    tokens.push(cli.token);
    cliOutput.push(cli.url);
    assert.notEqual(cli.token, tokens[tokens.length - 2], 'a new token per gateway');
    await pprofThrough(cli.url, `cli ${t.pod}`, flavor);
    assert.match(cli.stderr(), /Gateway [^:]+: GET \/debug\/pprof\/heap → 200 \(\d+ bytes/);
    await stopCli(cli);
  });
}

test('refusals: methods, etcd APIs, /metrics, /version, /health, .. and %-encoded paths, wrong token, foreign Host — none reaches the member', async () => {
  const g = await open('openshift-etcd', members[0]);
  const token = new URL(g.url).pathname.split('/')[1];
  // The gateway's forward is opened lazily per request: one warm-up request, then the counters must not move.
  assert.equal((await rawRequest(g.port, 'GET', `/${token}/debug/pprof/`)).status, 200);
  const upstream = g.upstreamRequests;
  const connections = g.forwardConnections;
  assert.equal(connections, 1, 'one connection through the forward for the warm-up request');

  const api = (p: string) => `Refused: ${p} is refused: only /debug/pprof/ is served (etcd's KV, auth and maintenance APIs are not reachable through the gateway).\n`;
  const method = (m: string) => `Refused: only GET and HEAD pass the pprof gateway, not ${m}.\n`;
  const notFound = 'Not found: the gateway URL has a token; copy it from etcd Profiler (status bar) or the CLI output.\n';
  const encoded = 'Refused: the path has an encoded "/" or "\\", a NUL or a bad %-escape.\n';
  const cases: Array<[string, string, string | undefined, number, string]> = [
    ['POST', `/${token}/debug/pprof/heap`, undefined, 403, method('POST')],
    ['PUT', `/${token}/debug/pprof/heap`, undefined, 403, method('PUT')],
    ['DELETE', `/${token}/debug/pprof/heap`, undefined, 403, method('DELETE')],
    ['POST', `/${token}/v3/kv/range`, undefined, 403, method('POST')],
    ['POST', `/${token}/v3/maintenance/status`, undefined, 403, method('POST')],
    ['GET', `/${token}/v3/kv/range`, undefined, 403, api('/v3/kv/range')],
    ['GET', `/${token}/v3/maintenance/status`, undefined, 403, api('/v3/maintenance/status')],
    ['GET', `/${token}/health`, undefined, 403, api('/health')],
    ['GET', `/${token}/metrics`, undefined, 403, 'Refused: /metrics is refused unless the etcdProfiler.gateway.allowMetrics setting is on.\n'],
    ['GET', `/${token}/version`, undefined, 403, 'Refused: /version is refused unless the etcdProfiler.gateway.allowMetrics setting is on.\n'],
    ['GET', `/${token}/debug/pprof/../../v3/kv/range`, undefined, 403, api('/v3/kv/range')],
    ['GET', `/${token}/debug/pprof/%2e%2e/%2e%2e/v3/kv/range`, undefined, 403, api('/v3/kv/range')],
    ['GET', `/${token}/debug/pprof/%2E%2E/%2E%2E/v3/maintenance/status`, undefined, 403, api('/v3/maintenance/status')],
    ['GET', `/${token}/debug/pprof/..%2f..%2fv3%2fkv%2frange`, undefined, 403, encoded],
    ['GET', `/${token}/debug/pprof/%2e%2e%2f%2e%2e%2fv3/kv/range`, undefined, 403, encoded],
    ['GET', `/${token}/%76%33/kv/range`, undefined, 403, api('/v3/kv/range')],
    ['GET', `/${token}//debug/pprof/../../../health`, undefined, 403, api('/health')],
    ['GET', '/v3/kv/range', undefined, 404, notFound],
    ['GET', '/debug/pprof/heap', undefined, 404, notFound],
    ['GET', `/${token.slice(0, -2)}xx/debug/pprof/heap`, undefined, 404, notFound],
    ['POST', '/wrong/v3/kv/range', undefined, 404, notFound],
    ['GET', `/${token}/debug/pprof/heap`, 'evil.example:80', 403, `Host header refused: only 127.0.0.1:${g.port} and localhost:${g.port} are served (DNS rebinding protection).\n`],
    ['GET', `/${token}/debug/pprof/heap`, `rebind.example:${g.port}`, 403, `Host header refused: only 127.0.0.1:${g.port} and localhost:${g.port} are served (DNS rebinding protection).\n`],
  ];
  for (const [m, target, host, status, body] of cases) {
    const r = await rawRequest(g.port, m, target, host);
    assert.equal(r.status, status, `${m} ${target} (Host ${host ?? 'ok'})`);
    assert.equal(r.body.toString(), body, `${m} ${target}`);
  }
  assert.equal(g.upstreamRequests, upstream, 'no refused request was sent on to the member');
  assert.equal(g.forwardConnections, connections, 'no refused request opened a connection through the port-forward to the member');
  assert.equal(g.refusedRequests, cases.length);

  // The counters do move for a request that passes (localhost is accepted as Host too).
  const ok = await rawRequest(g.port, 'HEAD', `/${token}/debug/pprof/heap`, `localhost:${g.port}`);
  assert.equal(ok.status, 200);
  assert.equal(g.upstreamRequests, upstream + 1);
  assert.equal(g.forwardConnections, connections + 1);
});

test('with allowMetrics, /metrics and /version of a member pass; /health and the KV API still do not', async () => {
  const g = await open('openshift-etcd', members[1], { allowMetrics: true });
  const token = new URL(g.url).pathname.split('/')[1];
  const metrics = await rawRequest(g.port, 'GET', `/${token}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.body.toString(), /^etcd_server_has_leader 1$/m);
  const version = await rawRequest(g.port, 'GET', `/${token}/version`);
  assert.equal(version.status, 200);
  assert.match(version.body.toString(), /"etcdserver":"3\.\d+\.\d+"/);
  assert.equal((await rawRequest(g.port, 'GET', `/${token}/health`)).status, 403);
  assert.equal((await rawRequest(g.port, 'GET', `/${token}/v3/kv/range`)).status, 403);
});

test('load: 20 concurrent heap requests through one gateway all answer a heap profile', async () => {
  const g = await open('openshift-etcd', members[1]);
  const token = new URL(g.url).pathname.split('/')[1];
  const before = g.upstreamRequests;
  const answers = await Promise.all(Array.from({ length: 20 }, () => rawRequest(g.port, 'GET', `/${token}/debug/pprof/heap`)));
  for (const a of answers) {
    assert.equal(a.status, 200, a.body.toString().slice(0, 200));
    const profile = decodeProfile(a.body, 'heap');
    assert.equal(profile.sampleTypes.map((s) => s.type).join(','), 'alloc_objects,alloc_space,inuse_objects,inuse_space');
  }
  assert.equal(g.upstreamRequests - before, 20);
  assert.equal(g.forwardConnections, 20);
});

test('a 30 s CPU profile streams through without a timeout; a second one meanwhile gets Go\'s readable "already in use"', async () => {
  const g = await open('openshift-etcd', members[2]);
  const token = new URL(g.url).pathname.split('/')[1];
  const t0 = Date.now();
  const long = pprof(['-top', `${g.url}profile?seconds=30`], 120_000);
  await new Promise((r) => setTimeout(r, 3000));
  const second = await rawRequest(g.port, 'GET', `/${token}/debug/pprof/profile?seconds=1`);
  assert.equal(second.status, 500);
  assert.match(second.body.toString(), /^Could not enable CPU profiling: cpu profiling already in use\n?$/);
  const r = await long;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Duration: 30(\.\d+)?s, Total samples = /m);
  assert.ok(Date.now() - t0 >= 30_000);
});

test('cancelling the client cancels the pod request: the next CPU profile starts at once', async () => {
  const g = await open('openshift-etcd-operator', operator);
  const token = new URL(g.url).pathname.split('/')[1];
  const ac = new AbortController();
  const first = rawRequest(g.port, 'GET', `/${token}/debug/pprof/profile?seconds=30`, undefined, ac.signal);
  await new Promise((r) => setTimeout(r, 2000));
  ac.abort();
  await assert.rejects(first, /abort/i);
  const abortedAt = Date.now();
  let last;
  // The pod sees the connection close within moments; 10 s is a bound, far below the 28 s left of the first profile.
  while (Date.now() - abortedAt < 10_000) {
    last = await rawRequest(g.port, 'GET', `/${token}/debug/pprof/profile?seconds=1`);
    if (last.status === 200) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(last?.status, 200, last?.body.toString());
  assert.ok(Date.now() - abortedAt < 15_000);
});

test('restricted user (no pods/portforward): the gateway uses exec; pprof works, refusals still hold', async () => {
  const g = await openPprofGateway({ kubeConfig: restrictedConfig(), namespace: 'openshift-etcd', pod: members[0], log: (l) => logs.push(l) });
  gateways.push(g);
  const token = new URL(g.url).pathname.split('/')[1];
  tokens.push(token);
  assert.equal(g.method, 'exec');
  const heap = await pprof(['-top', `${g.url}heap`]);
  assert.equal(heap.code, 0, heap.stderr);
  assert.match(heap.stdout, /^Type: inuse_space$/m);
  const refused = await rawRequest(g.port, 'POST', `/${token}/v3/kv/range`);
  assert.equal(refused.status, 403);
  assert.equal(g.upstreamRequests, 1);
  assert.ok(logs.some((l) => /Forbidden.*create pods\/portforward.*The gateway uses exec/.test(l)), logs.join('\n'));
});

test('the gateway closes when its pod is deleted; the CLI gateway then exits 1 saying why', async () => {
  const pod = await createScratchOperator(admin, info, 'gw');
  const g = await open('openshift-etcd-operator', pod, { podCheckMs: 1000 });
  const token = new URL(g.url).pathname.split('/')[1];
  assert.equal((await rawRequest(g.port, 'GET', `/${token}/debug/pprof/heap`)).status, 200);
  const cli = await startCliGateway(['--kubeconfig', KUBECONFIG, '-n', 'openshift-etcd-operator', pod]);
  tokens.push(cli.token);
  cliOutput.push(cli.url);
  const closed = new Promise<void>((resolve) => g.onDidChange(() => g.state === 'closed' && resolve()));
  await deletePod(admin, 'openshift-etcd-operator', pod, 0);
  await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('gateway still open 30 s after the pod was deleted')), 30_000))]);
  assert.match(g.closeReason ?? '', /pod openshift-etcd-operator\/capture-test-gw-\w+ (was deleted|is being deleted)/);
  await assert.rejects(rawRequest(g.port, 'GET', `/${token}/debug/pprof/heap`), /ECONNREFUSED/);
  // The CLI checks every 10 s.
  const code = await Promise.race([cli.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
  cliOutput.push(cli.stderr());
  assert.equal(code, 1, cli.stderr());
  assert.match(cli.stderr(), /etcd-profiler gateway: the gateway closed: pod openshift-etcd-operator\/capture-test-gw-\w+ (was deleted|is being deleted)\n$/);
});

test('key scan with gateways open: no private key bytes in pprof\'s files, temp files, logs or CLI output; no token in a log line', async () => {
  assert.ok(gateways.filter((g) => g.state === 'open').length >= 6, 'gateways still open during the scan');
  const keys = await etcdKeys(admin);
  assert.ok(keys.length >= 4);
  const needles = keys.flatMap(keyNeedles);
  const files = filesUnder(PPROF_TMPDIR);
  assert.ok(files.length >= 8, `pprof saved ${files.length} fetched profiles`);
  for (const f of readdirSync(tmpdir())) {
    const p = path.join(tmpdir(), f);
    try {
      const st = statSync(p);
      if (st.isFile() && st.mtimeMs >= started) files.push(p);
    } catch {
      // raced with its removal
    }
  }
  const hay = readAll(files);
  hay.push(['gateway logs', Buffer.from(logs.join('\n'))], ['cli output', Buffer.from(cliOutput.join('\n'))]);
  assert.deepEqual(findKeyBytes(hay, needles), []);
  const cliStderr = cliOutput.filter((o) => !o.startsWith('http://')).join('\n');
  for (const t of tokens) {
    assert.ok(!logs.some((l) => l.includes(t)), 'a gateway log line holds a token');
    assert.ok(!cliStderr.includes(t), 'the CLI\'s stderr holds a token');
  }
  assert.ok(logs.length > 20 && tokens.length >= 8);
  console.log(`scanned ${hay.length} files and logs (${logs.length} log lines) against ${needles.length} needles; ${tokens.length} tokens absent from logs`);
});
